"""Decision letters: the texts an RHF keeps (LetterTemplate), the facts of a decision, and the
PDF. The texts differ between bodies (their appeal information above all), so they are data the
RHF's administrators edit, with a preview; this module only fills them in.

Placeholders are `{{ name }}` from PLACEHOLDERS and nothing else: a plain substitution, so a
template text can never reach settings, objects or template tags. A text with an unknown
placeholder or a template tag is refused when saved (check_text), and if one ever were stored
it would be printed as written."""

import base64
import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.accounts import permissions
from rsportal.core import backoffice
from rsportal.core.audit import record
from rsportal.core.formatting import kroner
from rsportal.funding import research

from .models import Decision, LetterTemplate

Kind = Decision.Outcome

PLACEHOLDERS = {
    "tittel": gettext_lazy("prosjektets navn"),
    "saksnummer": gettext_lazy("saksnummeret, for eksempel 26/00123"),
    "utlysning": gettext_lazy("utlysningens tittel"),
    "organ": gettext_lazy("organet som fattet vedtaket"),
    "helsefellesskap": gettext_lazy("helsefellesskapet søknaden ble sendt til"),
    "vedtaksdato": gettext_lazy("datoen vedtaket ble fattet, for eksempel 18. november 2026"),
    "innvilget": gettext_lazy("innvilget beløp i alt, for eksempel 1 250 000 kr"),
    "avsender": gettext_lazy("avsenderen i brevhodet"),
}
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
TEMPLATE_SYNTAX = re.compile(r"\{%|%\}|\{#|#\}")


def check_text(text: str) -> None:
    """Refuse template tags and any placeholder not in PLACEHOLDERS."""
    if TEMPLATE_SYNTAX.search(text):
        raise ValidationError(_("Teksten kan ikke inneholde malkoder som {% … %}. Bruk bare flettefeltene i listen."))
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("Ukjent flettefelt: %(names)s. Tillatt: %(allowed)s.")
            % {"names": ", ".join("{{ %s }}" % n for n in unknown), "allowed": ", ".join("{{ %s }}" % n for n in PLACEHOLDERS)}
        )


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the known placeholders; anything else stays as written (the letter template escapes it)."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)] if m.group(1) in PLACEHOLDERS else m.group(0), text)


# --- default texts -------------------------------------------------------------------

APPEAL = gettext_lazy(
    "Vedtaket kan påklages etter forvaltningsloven §§ 28 og 29. Klagefristen er tre uker fra den dagen dette brevet "
    "kom fram til dere. Klagen skal være skriftlig, si hvilket vedtak den gjelder og hvilken endring dere ber om, "
    "og bør begrunnes. Send klagen til {{ avsender }}, som fattet vedtaket, og oppgi saksnummer {{ saksnummer }}. "
    "Hvis vedtaket ikke blir endret, sendes klagen videre til klageinstansen. Dere har rett til å se dokumentene "
    "i saken etter forvaltningsloven §§ 18 og 19."
)
GRANTED_TERMS = gettext_lazy(
    "Midlene brukes etter dokumentert enighet mellom kommunene og helseforetaket, som likeverdige parter.\n"
    "Midlene skal ikke finansiere ordinær drift.\n"
    "Tilskudd for senere år forutsetter tilfredsstillende framdrift, dokumentert i rapporteringen.\n"
    "Prosjektet rapporterer på felles mal i RS-portalen, med prosjektregnskap, tallfestet egeninnsats og brukermedvirkning."
)
PRE_PROJECT_TERMS = gettext_lazy(
    "Midlene brukes etter dokumentert enighet mellom kommunene og helseforetaket, som likeverdige parter.\n"
    "Midlene skal ikke finansiere ordinær drift.\n"
    "Forprosjektet rapporterer på felles mal i RS-portalen, med prosjektregnskap og tallfestet egeninnsats."
)
DEFAULTS = {
    Kind.FULL: (
        gettext_lazy("Vedtak om tilskudd – {{ tittel }}"),
        gettext_lazy("{{ organ }} behandlet {{ vedtaksdato }} søknaden om rekrutterings- og samhandlingstilskudd i utlysningen «{{ utlysning }}». "
          "Søknaden er innvilget.\n\nTilskuddet er {{ innvilget }} i alt, fordelt på år som vist nedenfor."),
        GRANTED_TERMS,
    ),
    Kind.PARTIAL: (
        gettext_lazy("Vedtak om tilskudd – {{ tittel }}"),
        gettext_lazy("{{ organ }} behandlet {{ vedtaksdato }} søknaden om rekrutterings- og samhandlingstilskudd i utlysningen «{{ utlysning }}». "
          "Søknaden er delvis innvilget.\n\nTilskuddet er {{ innvilget }} i alt. Tabellen viser søkt og innvilget beløp per år."),
        GRANTED_TERMS,
    ),
    Kind.PRE_PROJECT: (
        gettext_lazy("Vedtak om tilskudd til forprosjekt – {{ tittel }}"),
        gettext_lazy("{{ organ }} behandlet {{ vedtaksdato }} søknaden om rekrutterings- og samhandlingstilskudd i utlysningen «{{ utlysning }}». "
          "Søknaden er innvilget som forprosjekt, med {{ innvilget }} i alt.\n\nEt hovedprosjekt kan søkes i en senere utlysning."),
        PRE_PROJECT_TERMS,
    ),
    Kind.REJECTED: (
        gettext_lazy("Vedtak om avslag – {{ tittel }}"),
        gettext_lazy("{{ organ }} behandlet {{ vedtaksdato }} søknaden om rekrutterings- og samhandlingstilskudd i utlysningen «{{ utlysning }}». "
          "Søknaden er avslått. Begrunnelsen står nedenfor."),
        "",
    ),
    Kind.REAPPLY: (
        gettext_lazy("Vedtak – {{ tittel }}"),
        gettext_lazy("{{ organ }} behandlet {{ vedtaksdato }} søknaden om rekrutterings- og samhandlingstilskudd i utlysningen «{{ utlysning }}». "
          "Dere blir bedt om å sende en ny søknad. Begrunnelsen sier hva som bør endres."),
        "",
    ),
}


def template_for(rhf, kind: str, body=None) -> LetterTemplate:
    """The body's own template of this kind, else the RHF's; the RHF's is created with the
    default texts the first time it is needed."""
    if body is not None:
        own = LetterTemplate.objects.filter(rhf=rhf, body=body, kind=kind).first()
        if own:
            return own
    subject, body_text, terms = DEFAULTS[Kind(kind)]
    template, _created = LetterTemplate.objects.get_or_create(
        rhf=rhf, body=None, kind=kind, defaults={"subject": str(subject), "body_text": str(body_text), "terms": str(terms), "appeal_text": str(APPEAL)}
    )
    return template


def ensure_defaults(rhf) -> None:
    for kind in Kind.values:
        template_for(rhf, kind)


# --- the letter ----------------------------------------------------------------------


@dataclass
class Recipient:
    name: str
    address: str
    attention: str = ""


@dataclass
class Row:
    year: int
    applied: int | None
    granted: int | None
    conditional: bool = False
    research: int = 0  # the part of `granted` set aside for research (see funding.research)

    @property
    def to_project(self) -> int | None:
        return None if self.granted is None else self.granted - self.research


@dataclass
class Letter:
    template: LetterTemplate
    case_number: str
    date: str
    sender: str
    sender_address: str
    sender_org_number: str
    logo: str  # a data: URI or ""
    recipients: list[Recipient]
    subject: str
    body: str
    outcome: str
    rows: list[Row] = field(default_factory=list)
    applied_total: int = 0
    granted_total: int = 0
    research: int = 0  # the applied research share held out of the grant, when the call deducts it
    part_description: str = ""
    reason: str = ""
    terms: list[str] = field(default_factory=list)
    contact: str = ""
    appeal: str = ""
    sample: bool = False

    @property
    def to_project(self) -> int:
        return self.granted_total - self.research

    @property
    def has_conditional(self) -> bool:
        return any(row.conditional for row in self.rows)


def long_date(day: datetime.date) -> str:
    return dateformat.format(day, "j. F Y")


def _sender(template: LetterTemplate, body) -> tuple[str, str, str]:
    """Name, postal address and organisation number of the deciding organisation, from the
    template or else from the registry (the RHF, or the helsefellesskap's name for its bodies)."""
    rhf = template.rhf
    own_rhf = body is None or body.rhf_id
    name = template.letterhead_name or (rhf.name if own_rhf else body.helsefellesskap.name)
    address = template.letterhead_address or (rhf.postal_address if own_rhf else "")
    org_number = template.letterhead_org_number or (rhf.org_number if own_rhf else "")
    return name, address, org_number


def _logo(template: LetterTemplate) -> str:
    if not template.logo:
        return ""
    return f"data:{template.logo_type};base64,{base64.b64encode(bytes(template.logo)).decode()}"


def _org_number(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 9 else value


def _compose(template, *, body, case_number, day, values, **facts) -> Letter:
    sender, address, org_number = _sender(template, body)
    values = {**values, "saksnummer": case_number, "vedtaksdato": long_date(day), "avsender": sender}
    return Letter(
        template=template,
        case_number=case_number,
        date=long_date(day),
        sender=sender,
        sender_address=address,
        sender_org_number=_org_number(org_number),
        logo=_logo(template),
        subject=fill(template.subject, values),
        body=fill(template.body_text, values),
        terms=[line.strip() for line in fill(template.terms, values).splitlines() if line.strip()],
        appeal=fill(template.appeal_text, values),
        **facts,
    )


def recipients(application) -> list[Recipient]:
    """The owning organisations (all participants if none is marked owner), as addressed in a letter."""
    participants = list(application.participants.select_related("municipality", "trust", "district"))
    owners = [p for p in participants if p.is_owner] or participants
    result = []
    for p in owners:
        org = p.organisation
        name = org.official_name if p.municipality_id else org.name
        result.append(Recipient(name=name, address=org.postal_address, attention=p.contact_name))
    return result


def for_decision(decision: Decision, template: LetterTemplate | None = None) -> Letter:
    application = decision.application
    call = application.call
    rhf = call.pot.rhf
    template = template or template_for(rhf, decision.outcome, decision.body)
    granted = {int(y): int(a) for y, a in decision.amounts.items()}
    applied = application.applied_by_year()
    conditional = set()
    if decision.grant_id:
        conditional = set(decision.grant.commitments.filter(status="conditional").values_list("pot_year__year", flat=True))
    years = sorted(set(granted) | set(applied))
    granting = decision.outcome in Decision.GRANTING
    split = research.split(research.deducted_share(application), granted) if granting else None
    rows = [Row(y, applied.get(y), granted.get(y), y in conditional, split.for_year(y).research if split and split.for_year(y) else 0) for y in years]
    values = {
        "tittel": application.title,
        "utlysning": call.title,
        "organ": decision.body.name,
        "helsefellesskap": application.helsefellesskap.name,
        "innvilget": kroner(decision.total()),
    }
    day = timezone.localdate(decision.concluded_at) if decision.concluded_at else timezone.localdate()
    return _compose(
        template,
        body=decision.body,
        case_number=application.case_number,
        day=day,
        values=values,
        recipients=recipients(application),
        outcome=decision.get_outcome_display(),
        rows=rows,
        applied_total=sum(applied.values()),
        granted_total=decision.total(),
        research=split.research if split else 0,
        part_description=decision.part_description,
        reason=decision.reason,
        contact=call.contact,
    )


def latest_decisions(template: LetterTemplate, limit: int = 10) -> list[Decision]:
    """Recent adopted decisions of the template's RHF (and body) and kind, to preview it on."""
    decisions = Decision.objects.filter(status=Decision.Status.ADOPTED, outcome=template.kind, application__call__pot__rhf=template.rhf)
    if template.body_id:
        decisions = decisions.filter(body=template.body)
    return decisions.select_related("application__call__pot__rhf", "application__helsefellesskap", "body", "grant").order_by("-concluded_at")[:limit]


def sample(template: LetterTemplate) -> Letter:
    """An invented decision, for previewing a template before any real decision of its kind."""
    year = timezone.localdate().year + 1
    granting = template.kind in Decision.GRANTING
    rows = [
        Row(year, 1_250_000, 1_000_000 if granting else None, research=75_000 if granting else 0),
        Row(year + 1, 1_250_000, 1_000_000 if granting else None, conditional=granting, research=75_000 if granting else 0),
    ]
    total = 2_000_000 if granting else 0
    values = {
        "tittel": _("Eksempelprosjekt: felles legevaktsamarbeid"),
        "utlysning": _("Eksempelutlysning %(year)s") % {"year": year},
        "organ": template.body.name if template.body_id else _("Det regionale tildelingsutvalget"),
        "helsefellesskap": _("Eksempel helsefellesskap"),
        "innvilget": kroner(total),
    }
    return _compose(
        template,
        body=template.body,
        case_number=f"{year % 100 - 1:02d}/00001",
        day=timezone.localdate(),
        values=values,
        recipients=[Recipient(_("Balsfjord kommune"), _("Postadresse"), _("Kari Nordmann"))],
        outcome=template.get_kind_display(),
        rows=rows,
        applied_total=2_500_000,
        granted_total=total,
        research=150_000 if granting else 0,
        reason=_("Her står organets begrunnelse for vedtaket."),
        contact=_("Kontaktperson i sekretariatet, e-post og telefon"),
        sample=True,
    )


def pdf(letter: Letter) -> bytes:
    from . import documents

    return documents.pdf("assessment/letter_pdf.html", {"letter": letter})


# --- editing (the back office) --------------------------------------------------------

TEXT_FIELDS = ["subject", "body_text", "terms", "appeal_text", "signer_name", "signer_title", "letterhead_name", "letterhead_address", "letterhead_org_number"]
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_LOGO_BYTES = 1024 * 1024


def manageable(user):
    """Templates of the RHFs the person administers (not their secretariat: the texts are the RHF's)."""
    return LetterTemplate.objects.filter(rhf__in=permissions.managed_rhfs(user, secretariat=False))


def logo_type(content: bytes) -> str:
    """The image type judged by the file's first bytes (PNG or JPEG), or a refusal."""
    for magic, content_type in LOGO_TYPES.items():
        if content.startswith(magic):
            return content_type
    raise ValidationError(_("Logoen må være en PNG- eller JPEG-fil."))


def bodies_for(user):
    """Bodies that may decide on the money of the RHFs the person administers: the RHF's own and its helsefellesskaps'."""
    from django.db.models import Q

    from rsportal.registry.models import Body

    rhfs = permissions.managed_rhfs(user, secretariat=False)
    return Body.objects.filter(Q(rhf__in=rhfs) | Q(helsefellesskap__rhf__in=rhfs)).exclude(kind=Body.Kind.SECRETARIAT).select_related("rhf", "helsefellesskap")


@transaction.atomic
def create_body_template(actor, *, body, kind: str) -> LetterTemplate:
    """A body's own template of a kind, starting from the RHF's texts (its appeal text most often differs)."""
    if not bodies_for(actor).filter(pk=body.pk).exists():
        raise PermissionDenied(_("Du kan bare lage brevmaler for organer i ditt eget RHF."))
    rhf = body.owner_rhf
    if LetterTemplate.objects.filter(rhf=rhf, body=body, kind=kind).exists():
        raise ValidationError(_("%(body)s har allerede en egen brevmal for dette vedtaket.") % {"body": body.name})
    base = template_for(rhf, kind)
    template = LetterTemplate.objects.create(rhf=rhf, body=body, kind=kind, **{name: getattr(base, name) for name in TEXT_FIELDS}, logo=base.logo, logo_type=base.logo_type)
    record(actor, "letter_template.created", template, _("Egen brevmal for %(body)s: %(kind)s") % {"body": body.name, "kind": template.get_kind_display()})
    return template


@transaction.atomic
def update_template(actor, template: LetterTemplate, *, expected: str | None, logo: bytes | None = None, remove_logo: bool = False, **values) -> LetterTemplate:
    """The RHF administrator changes a letter template's texts (and logo)."""
    if not manageable(actor).filter(pk=template.pk).exists():
        raise PermissionDenied(_("Du kan bare endre brevmalene til ditt eget RHF."))
    template = backoffice.lock(template, expected)
    errors = {}
    for name in ("subject", "body_text", "terms", "appeal_text"):
        try:
            check_text(values.get(name, ""))
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    changed = sorted(name for name in TEXT_FIELDS if name in values and getattr(template, name) != values[name])
    for name in TEXT_FIELDS:
        if name in values:
            setattr(template, name, values[name])
    if logo:
        if len(logo) > MAX_LOGO_BYTES:
            raise ValidationError({"logo_file": _("Logoen er for stor (høyst 1 MB).")})
        try:
            template.logo_type = logo_type(logo)
        except ValidationError as exc:
            raise ValidationError({"logo_file": exc.messages}) from None
        template.logo = logo
        changed.append("logo")
    elif remove_logo and template.logo:
        template.logo, template.logo_type = b"", ""
        changed.append("logo")
    template.save()
    record(actor, "letter_template.updated", template, _("Brevmal endret: %(what)s") % {"what": template}, fields=changed)
    return template
