"""State changes of calls and applications. One function per change: each runs
in a transaction, checks permission, writes an audit record and queues
notifications where someone needs to know. Whether a change is allowed in the
application's current state, and for whom, is decided by lifecycle.require()."""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions as account_permissions
from rsportal import archive
from rsportal.core.audit import notify, record
from rsportal.core.formatting import kroner
from rsportal.registry.models import Body, BodyMember

from . import casenumbers, lifecycle, permissions, uploads, variants
from .forms import SECTIONS
from .lifecycle import ApplicationError
from .models import (
    Application,
    ApplicationType,
    ApplicationVersion,
    Attachment,
    BenefitRow,
    BudgetLine,
    Call,
    DesignedProject,
    JoinRequest,
    Participant,
    SectionVersion,
)


class SectionConflict(ApplicationError):
    def __init__(self, message, saved_by, saved_at):
        super().__init__(message)
        self.saved_by = saved_by
        self.saved_at = saved_at


@transaction.atomic
def start_application(actor, *, call: Call, title: str, type: str, helsefellesskap) -> Application:
    """An applicant starts a draft; their organisation becomes the first participant."""
    municipalities, trusts = permissions.applicant_scopes(actor)
    if not municipalities and not trusts:
        raise PermissionDenied(_("Bare søkere for en kommune eller et helseforetak kan starte en søknad."))
    if not call.is_open():
        raise ApplicationError(_("Utlysningen er ikke åpen for søknader."))
    if call.kind != Call.Kind.OPEN:
        raise ApplicationError(_("Denne utlysningen gjelder prosjekter utformet av utvalg. Meld interesse for et av prosjektene i stedet."))
    if type not in dict(call.type_choices()):
        raise ApplicationError(_("Utlysningen tar ikke imot denne søknadstypen."))
    if helsefellesskap.rhf_id != call.pot.rhf_id or (call.pot.helsefellesskap_id and call.pot.helsefellesskap_id != helsefellesskap.pk):
        raise ApplicationError(_("Søknaden må sendes til et helsefellesskap som hører til utlysningen."))
    organisation = _member_organisation(municipalities, trusts, helsefellesskap)
    if organisation is None:
        raise ApplicationError(
            _("Du kan bare starte en søknad til %(hf)s for en kommune eller et helseforetak som hører til dette helsefellesskapet.")
            % {"hf": helsefellesskap.name}
        )
    application = Application.objects.create(call=call, helsefellesskap=helsefellesskap, title=title, type=type, created_by=actor)
    Participant.objects.create(
        application=application,
        is_owner=True,
        added_by=actor,
        contact_name=actor.get_full_name(),
        contact_email=actor.email,
        **organisation,
    )
    record(actor, "application.started", application, _("Søknad påbegynt: %(title)s") % {"title": title}, call=call.pk)
    return application


def _member_organisation(municipalities: set[int], trusts: set[int], helsefellesskap) -> dict | None:
    """The applicant's organisation that belongs to the helsefellesskap today, as participant fields.

    The starter's organisation becomes the owning participant, so it must be one of the
    community's own: a member municipality (memberships carry dates) or its health trust.
    Other municipalities and trusts, also from other regions, join as participants later."""
    members = set(
        helsefellesskap.memberships.valid_on(timezone.localdate()).filter(municipality_id__in=municipalities).values_list("municipality_id", flat=True)
    )
    if members:
        return {"municipality_id": min(members)}
    if helsefellesskap.trust_id in trusts:
        return {"trust_id": helsefellesskap.trust_id}
    return None


def section_version(application: Application, section: str) -> SectionVersion:
    version, _created = SectionVersion.objects.get_or_create(application=application, section=section)
    return version


@transaction.atomic
def save_section(actor, application: Application, section: str, form, expected_version: int) -> SectionVersion:
    """Save one section from a valid form, unless someone else saved it since `expected_version`."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    lifecycle.require(application, lifecycle.EDIT, actor)
    if section not in SECTIONS:
        raise ApplicationError(_("Ukjent del av skjemaet."))
    version = SectionVersion.objects.select_for_update().get_or_create(application=application, section=section)[0]
    if version.version != expected_version and version.saved_by_id != actor.pk:
        raise SectionConflict(
            _("%(name)s lagret denne delen %(time)s, mens du skrev. Teksten din er ikke lagret: sammenlign og lagre på nytt.")
            % {"name": version.saved_by.get_full_name() if version.saved_by else _("Noen andre"), "time": timezone.localtime(version.saved_at).strftime("%H:%M")},
            version.saved_by,
            version.saved_at,
        )
    changed = {name: value for name, value in form.cleaned_data.items() if getattr(application, name) != value}
    for name, value in changed.items():
        setattr(application, name, value)
    if changed:
        application.save()
    version.version += 1
    version.saved_by = actor
    version.saved_at = timezone.now()
    version.save()
    if changed:
        record(actor, "application.section_saved", application, _("Del «%(section)s» lagret") % {"section": section}, fields=sorted(changed))
    return version


@transaction.atomic
def add_participant(
    actor,
    application: Application,
    *,
    municipality=None,
    trust=None,
    district=None,
    is_owner=False,
    contact_name="",
    contact_email="",
    contact_phone="",
    publish_contact=False,
) -> Participant:
    """Add a municipality, a trust (or private non-profit hospital) or a city district. A district
    takes part as itself but is counted as its municipality, so the participant carries both."""
    lifecycle.require(application, lifecycle.ADD_PARTICIPANT, actor, is_owner=is_owner)
    if district is not None:
        if municipality is not None and municipality != district.municipality:
            raise ApplicationError(_("%(district)s hører ikke til %(municipality)s.") % {"district": district, "municipality": municipality.name})
        municipality = district.municipality
    organisation = district or municipality or trust
    if application.participants.filter(municipality=municipality, trust=trust, district=district).exists():
        raise ApplicationError(_("%(org)s er allerede med i søknaden.") % {"org": organisation})
    participant = Participant.objects.create(
        application=application,
        municipality=municipality,
        trust=trust,
        district=district,
        is_owner=is_owner,
        added_by=actor,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        publish_contact=publish_contact,
    )
    record(actor, "application.participant_added", application, _("%(org)s lagt til som deltaker") % {"org": organisation})
    return participant


@transaction.atomic
def remove_participant(actor, participant: Participant) -> None:
    """Project owners stay: nobody removes them, so an application always keeps its owner and the
    owner never loses access. An owner's applicants remove the others; a co-applicant removes
    their own organisation (leaving the application) or participants they added themselves."""
    application = participant.application
    lifecycle.require(application, lifecycle.REMOVE_PARTICIPANT, actor, participant=participant)
    name = str(participant.organisation)
    participant.delete()
    record(actor, "application.participant_removed", application, _("%(org)s fjernet som deltaker") % {"org": name})


@transaction.atomic
def add_budget_line(actor, application: Application, form) -> BudgetLine:
    lifecycle.require(application, lifecycle.EDIT, actor)
    line = form.save(commit=False)
    line.application = application
    line.save()
    record(actor, "application.budget_line_added", application, _("Budsjettlinje %(year)s: %(amount)s") % {"year": line.year, "amount": kroner(line.amount)})
    return line


@transaction.atomic
def remove_budget_line(actor, line: BudgetLine) -> None:
    lifecycle.require(line.application, lifecycle.EDIT, actor)
    record(actor, "application.budget_line_removed", line.application, _("Budsjettlinje %(year)s fjernet: %(amount)s") % {"year": line.year, "amount": kroner(line.amount)})
    line.delete()


@transaction.atomic
def add_benefit(actor, application: Application, form) -> BenefitRow:
    lifecycle.require(application, lifecycle.EDIT, actor)
    row = form.save(commit=False)
    row.application = application
    row.save()
    record(actor, "application.benefit_added", application, _("Nytterad lagt til: %(benefit)s") % {"benefit": row.get_benefit_display()})
    return row


@transaction.atomic
def remove_benefit(actor, row: BenefitRow) -> None:
    lifecycle.require(row.application, lifecycle.EDIT, actor)
    record(actor, "application.benefit_removed", row.application, _("Nytterad fjernet: %(benefit)s") % {"benefit": row.get_benefit_display()})
    row.delete()


@transaction.atomic
def upload_attachment(actor, application: Application, *, kind: str, uploaded) -> Attachment:
    lifecycle.require(application, lifecycle.EDIT, actor)
    try:
        content_type = uploads.check(uploaded, pdf_only=kind == Attachment.Kind.AGREEMENT)
    except uploads.RejectedUpload as exc:
        raise ApplicationError(str(exc)) from exc
    attachment = Attachment(
        application=application,
        kind=kind,
        token=uploads.new_token(),
        original_name=uploads.display_name(uploaded.name),
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=actor,
    )
    attachment.file.save(attachment.token, uploaded, save=False)
    attachment.save()
    record(actor, "application.attachment_added", application, _("Vedlegg lastet opp: %(name)s") % {"name": attachment.original_name}, kind=kind)
    return attachment


@transaction.atomic
def remove_attachment(actor, attachment: Attachment) -> None:
    application = attachment.application
    lifecycle.require(application, lifecycle.EDIT, actor)
    name = attachment.original_name
    storage, path = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(path))
    record(actor, "application.attachment_removed", application, _("Vedlegg slettet: %(name)s") % {"name": name})


@dataclass
class Problem:
    section: str
    message: str


def submission_problems(application: Application, now: datetime.datetime | None = None) -> list[Problem]:
    """Everything that stops a submission, in Norwegian, with the section to fix it in. The light
    form (see variants) requires only what it asks for."""
    call = application.call
    variant = variants.for_application(application)
    full = variant == variants.FULL
    asked = {field for _form, fields in variants.sections(variant).values() for field in fields}
    problems: list[Problem] = []

    def need(section, condition, message):
        if not condition:
            problems.append(Problem(section, message))

    if not call.is_open(now):
        problems.append(Problem("prosjektet", _("Søknadsfristen har gått ut, eller utlysningen er ikke åpen.")))
    participants = list(application.participants.all())
    municipalities = [p for p in participants if p.municipality_id]
    trusts = [p for p in participants if p.trust_id]
    need("deltakere", municipalities, _("Minst én kommune må være med i søknaden."))
    need("deltakere", trusts, _("Et helseforetak må være med i søknaden: søknaden skal være felles."))
    need("deltakere", any(p.is_owner for p in participants), _("Oppgi hvem som er prosjekteier."))
    need("deltakere", all(p.contact_name and p.contact_email for p in participants), _("Alle deltakere må ha kontaktperson med e-post."))
    need("prosjektet", application.start_date and application.end_date, _("Oppgi planlagt oppstart og avslutning."))
    if application.start_date and application.end_date:
        years = (application.end_date - application.start_date).days / 365.25
        if application.type == ApplicationType.PRE_PROJECT:
            need("prosjektet", years <= call.pre_project_max_years, _("Et forprosjekt kan vare høyst %(n)s år.") % {"n": call.pre_project_max_years})
        need("prosjektet", years <= call.max_project_years, _("Prosjektet kan vare høyst %(n)s år.") % {"n": call.max_project_years})
    for field, label in (
        ("goal", _("mål")),
        ("target_group", _("målgruppe")),
        ("activities", _("hva som skal gjennomføres")),
        ("organisations_and_staff", _("virksomheter og personellgrupper")),
        ("expected_benefit", _("forventet nytte")),
        ("supports_purpose", _("hvordan tiltaket støtter formålet")),
        ("grant_use", _("hva tilskuddet skal brukes til")),
        ("financing_at_start", _("finansieringsplan ved oppstart")),
        ("ordinary_operation_plan", _("plan for overgang til ordinær drift")),
        ("project_plan", _("prosjektplan")),
        ("involvement_users", _("involvering av brukere")),
        ("involvement_unions", _("involvering av tillitsvalgte")),
        ("involvement_safety", _("involvering av vernetjenesten")),
    ):
        if field not in asked:
            continue
        section = next(name for name, form in SECTIONS.items() if field in form.Meta.fields)
        need(section, getattr(application, field).strip(), _("Beskriv %(what)s.") % {"what": label})
    if full and application.is_digital:
        for field in ("digital_regional_path", "digital_ehealth_strategy", "digital_normen", "digital_governance"):
            need("pasienter-digitalt", getattr(application, field).strip(), _("Svar på alle spørsmålene om digitale tiltak."))
            if not getattr(application, field).strip():
                break
    lines = list(application.budget_lines.all())
    applied = sum(line.amount for line in lines if line.kind == BudgetLine.Kind.GRANT)
    need("budsjett", applied > 0, _("Budsjettet må vise hvor mye det søkes om, per år."))
    if full:
        own = [line for line in lines if line.kind != BudgetLine.Kind.GRANT and line.participant_id]
        need("budsjett", any(line.participant.municipality_id for line in own), _("Tallfest hva kommunen(e) bidrar med (tid, kompetanse eller penger)."))
        need("budsjett", any(line.participant.trust_id for line in own), _("Tallfest hva helseforetaket bidrar med (tid, kompetanse eller penger)."))
    for message in budget_year_problems(application, lines):
        problems.append(Problem("budsjett", message))
    if application.type == ApplicationType.PRE_PROJECT and applied:
        cap = call.pre_project_cap(len(municipalities))
        if cap is not None:
            need("budsjett", applied <= cap, _("Et forprosjekt med %(n)s kommune(r) kan få høyst %(cap)s, men det søkes om %(applied)s.") % {"n": len(municipalities), "cap": kroner(cap), "applied": kroner(applied)})
    if full:
        if call.research_deducted:
            need("finansiering", application.research_share <= applied, _("Forskningsandelen kan ikke være større enn beløpet det søkes om."))
        need("budsjett", application.attachments.filter(kind="budget").exists(), _("Last opp budsjettet som vedlegg."))
        need("nyttetabell", application.benefits.exists(), _("Fyll ut minst én rad i nyttetabellen."))
    if call.requires_agreement:
        if full:
            need("prosjektet", application.agreement_date, _("Oppgi datoen for signert avtale om felles søknad."))
        need("vedlegg", application.attachments.filter(kind="agreement").exists(), _("Last opp den signerte avtalen om felles søknad (PDF)."))
    return problems


def _years(years) -> str:
    return ", ".join(str(y) for y in sorted(years))


def budget_year_problems(application: Application, lines: list[BudgetLine] | None = None) -> list[str]:
    """Budget years the project or the call cannot have, in Norwegian.

    Every budget line lies within the project's planned period; the grant years also lie
    within what the call allows (from its frame year, for at most its maximum project length
    counted from the planned start) and, once the pot has frames from that year on, in years
    the pot has money for. A year outside any of these would be promised to the committee
    only to fail when the money is booked."""
    call = application.call
    lines = list(application.budget_lines.all()) if lines is None else lines
    if not lines:
        return []
    messages = []
    start, end = application.start_date, application.end_date
    if start and end and start <= end:
        outside = {line.year for line in lines if not start.year <= line.year <= end.year}
        if outside:
            messages.append(
                _("Budsjettet har år utenfor prosjektperioden (%(first)s–%(last)s): %(years)s. Endre budsjettet eller planlagt oppstart og avslutning.")
                % {"first": start.year, "last": end.year, "years": _years(outside)}
            )
    grant_years = {line.year for line in lines if line.kind == BudgetLine.Kind.GRANT}
    if not grant_years:
        return messages
    first_allowed = call.frame_year
    if first_allowed and min(grant_years) < first_allowed:
        messages.append(
            _("Utlysningen gir tilskudd fra og med %(first)s, men det søkes om tilskudd for %(years)s.")
            % {"first": first_allowed, "years": _years(y for y in grant_years if y < first_allowed)}
        )
    max_years = call.pre_project_max_years if application.type == ApplicationType.PRE_PROJECT else call.max_project_years
    begins = start or datetime.date(min(grant_years), 1, 1)
    # A project of n years from 1 July runs into a sixth calendar year: count from the planned start.
    last_allowed = (_add_years(begins, max_years) - datetime.timedelta(days=1)).year
    beyond = {y for y in grant_years if y > last_allowed}
    if beyond:
        messages.append(
            _("Utlysningen tillater prosjekter på høyst %(n)s år, så det kan søkes om tilskudd til og med %(last)s. Det søkes om tilskudd for %(years)s.")
            % {"n": max_years, "last": last_allowed, "years": _years(beyond)}
        )
    framed = set(call.pot.years.filter(frame__gt=0, year__gte=first_allowed or 0).values_list("year", flat=True))
    unframed = grant_years - framed
    if framed and unframed:
        messages.append(
            _("Potten til utlysningen har midler for %(framed)s, men ikke for %(years)s. Det kan ikke søkes om tilskudd for år uten midler.")
            % {"framed": _years(framed), "years": _years(unframed)}
        )
    return messages


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def fingerprint(application: Application) -> str:
    """A short digest of everything a submission would freeze (see snapshot)."""
    def canonical(value):
        # Rows are compared as sets: the database may return them in another order next time.
        if isinstance(value, dict):
            return {key: canonical(item) for key, item in value.items()}
        if isinstance(value, list):
            return sorted((canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True, default=str))
        return value

    data = json.dumps(canonical(snapshot(application)), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def snapshot(application: Application) -> dict:
    """Everything the committee reads, frozen as plain data: what the application's form variant
    asks for (see variants), and which variant that was."""
    variant = variants.for_application(application)
    return snapshot_from_rows(
        application,
        variant,
        participants=application.participants.all(),
        budget_lines=application.budget_lines.select_related("participant__municipality", "participant__trust"),
        benefits=application.benefits.all() if "nyttetabell" in variants.parts(variant) else [],
        attachments=application.attachments.all(),
    )


def snapshot_from_rows(application: Application, variant: str, *, participants, budget_lines, benefits, attachments) -> dict:
    """The snapshot of `application` in `variant` from rows already read: the one place that says
    what a version holds (the benchmark's generator builds thousands of versions in bulk with it)."""
    fields = [f for _form, names in variants.sections(variant).values() for f in names]
    data = model_to_dict(application, fields=fields)
    for key, value in data.items():
        if isinstance(value, datetime.date):
            data[key] = value.isoformat()
    data["helsefellesskap"] = application.helsefellesskap.name
    data["call"] = application.call.title
    data["participants"] = [
        {"organisation": str(p.organisation), "owner": p.is_owner, "contact": p.contact_name, "email": p.contact_email, "phone": p.contact_phone}
        for p in participants
    ]
    data["budget"] = [
        {"year": b.year, "kind": b.get_kind_display(), "party": str(b.participant.organisation) if b.participant else "", "amount": b.amount, "hours": b.hours, "description": b.description}
        for b in budget_lines
    ]
    data["benefits"] = [
        {
            "benefit": r.get_benefit_display(),
            "description": r.description,
            "beneficiaries": r.beneficiary_labels(),
            "responsible": r.responsible,
            "measurement": r.measurement,
            "frequency_and_data": r.frequency_and_data,
            "prerequisites": r.prerequisites,
            "freed_resources": r.freed_resources,
            "time_horizon": r.time_horizon,
        }
        for r in benefits
    ]
    data["form_variant"] = variant
    data["attachments"] = [{"kind": a.get_kind_display(), "name": a.original_name, "token": a.token} for a in attachments]
    return data


@transaction.atomic
def submit(actor, application: Application, expected_fingerprint: str | None = None) -> ApplicationVersion:
    """Submit (or re-submit a revised) application: freeze a version and tell everyone concerned.

    `expected_fingerprint` is the fingerprint of the application the submitter looked at; if a
    co-author changed anything since, nothing is submitted, so what is frozen is what was read."""
    lifecycle.require(application, lifecycle.SUBMIT, actor)
    application = Application.objects.get(pk=application.pk)
    problems = submission_problems(application)
    if problems:
        raise ApplicationError(_("Søknaden kan ikke sendes inn ennå: %(first)s") % {"first": problems[0].message})
    if expected_fingerprint is not None and expected_fingerprint != fingerprint(application):
        raise ApplicationError(
            _("Søknaden er endret siden du åpnet denne siden, kanskje av en medforfatter. Se over søknaden og send inn på nytt.")
        )
    number = application.versions.count() + 1
    now = timezone.now()
    version = ApplicationVersion.objects.create(application=application, number=number, submitted_at=now, submitted_by=actor, data=snapshot(application))
    application.status = Application.Status.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["status", "submitted_at", "updated_at"])
    casenumbers.assign(application)
    record(actor, "application.submitted", application, _("Søknad sendt inn (versjon %(n)s): %(title)s") % {"n": number, "title": application.title})
    secretariat = BodyMember.objects.active_on(now.date()).filter(
        body__kind=Body.Kind.SECRETARIAT, body__helsefellesskap=application.helsefellesskap, user__isnull=False
    )
    recipients = [p.contact_email for p in application.participants.all()] + [s.user.email for s in secretariat.select_related("user")]
    notify(
        recipients,
        _("Sak %(case)s: Søknad mottatt: %(title)s") % {"case": application.case_number, "title": application.title},
        _("Søknaden «%(title)s» er sendt inn til %(hf)s (versjon %(n)s).") % {"title": application.title, "hf": application.helsefellesskap.name, "n": number},
        link=reverse("applications:detail", args=[application.pk]),  # a receipt (forvaltningsloven § 11 a): mandatory
    )
    archive.record("application", version, actor)
    return version


@transaction.atomic
def reopen_for_revision(actor, application: Application, reason: str) -> Application:
    """The secretariat asks the applicants to revise; the submitted version stays readable.
    Refused once a proposal for a decision is up for the vote or a decision is adopted."""
    lifecycle.require(application, lifecycle.REOPEN, actor)
    application = Application.objects.get(pk=application.pk)
    if not reason.strip():
        raise ApplicationError(_("Skriv hva søkerne skal endre."))
    application.status = Application.Status.REVISION
    application.save(update_fields=["status", "updated_at"])
    record(actor, "application.reopened", application, _("Åpnet for revisjon: %(reason)s") % {"reason": reason})
    notify(
        [p.contact_email for p in application.participants.all()],
        _("Søknaden «%(title)s» er åpnet for revisjon") % {"title": application.title},
        reason,
        category="status",
        link=reverse("applications:edit", args=[application.pk]),
    )
    return application


@transaction.atomic
def withdraw(actor, application: Application) -> Application:
    """The applicants withdraw until a decision is adopted; a granted application is ended by
    releasing its grant on the money side, so the decision and the accounts stay true."""
    lifecycle.require(application, lifecycle.WITHDRAW, actor)
    application = Application.objects.get(pk=application.pk)
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    record(actor, "application.withdrawn", application, _("Søknad trukket: %(title)s") % {"title": application.title})
    return application


@transaction.atomic
def request_to_join(actor, project: DesignedProject, form) -> JoinRequest:
    """A municipality asks to join a committee-designed project (models 3 and 4)."""
    municipalities, _trusts = permissions.applicant_scopes(actor)
    request = form.save(commit=False)
    if request.municipality_id not in municipalities:
        raise PermissionDenied(_("Du kan bare melde interesse på vegne av din egen kommune."))
    if not project.call.is_open():
        raise ApplicationError(_("Utlysningen er ikke åpen."))
    if project.join_deadline and project.join_deadline < timezone.localdate():
        raise ApplicationError(_("Fristen for å melde interesse har gått ut."))
    if JoinRequest.objects.filter(project=project, municipality_id=request.municipality_id).exists():
        raise ApplicationError(_("Kommunen har allerede meldt interesse for dette prosjektet."))
    request.project = project
    request.created_by = actor
    request.save()
    record(actor, "designed_project.join_requested", project, _("%(m)s ønsker å delta i %(p)s") % {"m": request.municipality.name, "p": project.title})
    seats = BodyMember.objects.active_on(timezone.localdate()).filter(body=project.designed_by, user__isnull=False).select_related("user")
    notify([s.user.email for s in seats], _("Ny kommune vil delta: %(p)s") % {"p": project.title}, _("%(m)s har meldt interesse.") % {"m": request.municipality.name})
    return request


def can_manage_calls(user, pot) -> bool:
    return account_permissions.can_manage_money(user, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap)
