"""Questions and help: the thread on an application between its applicants and the secretariat.

Before submission the applicants may invite the secretariat to read and comment on the draft
(`invite_secretariat`, `withdraw_invitation`); after submission the two sides ask and answer
for clarification. The secretariat and the committee keep internal notes the applicants never
see. Who may read and write what is the one rule in assessment/visibility.py (`thread`, `notes`,
`secretariat`), so a member conflicted on the application sees no internal notes, and a draft
reaches the secretariat only while the authors invite it. Every change is audited, and the
other side is told (category "Spørsmål og svar", core/notifications.py)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts.models import OrganisationRole
from rsportal.core import notifications
from rsportal.core.audit import notify, record
from rsportal.registry.models import Body, BodyMember

from . import notices
from .models import Application, DraftReview, Message

MAX_LENGTH = 10_000


def _visibility(user, application: Application):
    from rsportal.assessment.visibility import what_may_see

    return what_may_see(user, application)


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("call__pot", "helsefellesskap").get(pk=application.pk)


def thread_link(application: Application) -> str:
    return reverse("applications:thread", args=[application.pk])


def applicant_users(application: Application):
    """The applicants of the participating organisations (the authors)."""
    participants = list(application.participants.all())
    municipalities = [p.municipality_id for p in participants if p.municipality_id]
    trusts = [p.trust_id for p in participants if p.trust_id]
    roles = OrganisationRole.objects.active_on(timezone.localdate()).filter(kind=OrganisationRole.Kind.APPLICANT).filter(
        Q(municipality_id__in=municipalities) | Q(trust_id__in=trusts)
    )
    return get_user_model().objects.filter(organisation_roles__in=roles, is_active=True).distinct()


def secretariat_users(application: Application):
    """The secretariats on the other side of the thread: the receiving helsefellesskap's and the
    secretariat of the RHF or helsefellesskap that manages the call's pot."""
    pot = application.call.pot
    scope = Q(body__helsefellesskap_id=application.helsefellesskap_id) | Q(body__rhf_id=pot.rhf_id)
    if pot.helsefellesskap_id:
        scope |= Q(body__helsefellesskap_id=pot.helsefellesskap_id)
    seats = BodyMember.objects.active_on(timezone.localdate()).filter(scope, body__kind=Body.Kind.SECRETARIAT, user__isnull=False)
    return get_user_model().objects.filter(pk__in=seats.values("user_id"), is_active=True)


def _tell(users, application: Application, subject: str, line: str) -> None:
    """Notify the users who may read the thread now (the rule decides, so a conflicted or
    uninvited person is never told)."""
    readers = [u for u in users if _visibility(u, application).thread]
    if not readers:
        return
    body = "\n\n".join([line, _("Les og svar i RS-portalen: %(url)s") % {"url": notices.site_url() + thread_link(application)}])
    notify(readers, subject % {"title": application.title}, body, category=notifications.QUESTION, link=thread_link(application))


@transaction.atomic
def invite_secretariat(actor, application: Application, *, note: str = "") -> DraftReview:
    """The authors ask the secretariat to read and comment on the draft before it is sent in."""
    application = _lock(application)
    seen = _visibility(actor, application)
    if not seen.draft:
        raise PermissionDenied(_("Bare søkerne kan invitere sekretariatet til å lese utkastet."))
    if application.status != Application.Status.DRAFT:
        raise ValidationError(_("Sekretariatet kan bare inviteres til å lese et utkast som ikke er sendt inn."))
    review, created = DraftReview.objects.get_or_create(application=application, defaults={"invited_by": actor, "note": note.strip()})
    if not created:
        raise ValidationError(_("Sekretariatet er allerede invitert til å lese utkastet."))
    record(actor, "thread.invited", application, _("Sekretariatet er invitert til å lese utkastet"))
    line = _("Søkerne ber sekretariatet lese og kommentere utkastet «%(title)s» før det sendes inn.") % {"title": application.title}
    if review.note:
        line += "\n\n" + _("De ønsker hjelp med: %(note)s") % {"note": review.note}
    _tell(secretariat_users(application), application, _("Invitasjon til å lese utkastet «%(title)s»"), line)
    return review


@transaction.atomic
def withdraw_invitation(actor, application: Application) -> None:
    application = _lock(application)
    if not _visibility(actor, application).draft:
        raise PermissionDenied(_("Bare søkerne kan trekke invitasjonen."))
    deleted, _rows = DraftReview.objects.filter(application=application).delete()
    if not deleted:
        raise ValidationError(_("Sekretariatet er ikke invitert til å lese utkastet."))
    record(actor, "thread.invitation_withdrawn", application, _("Invitasjonen til sekretariatet om å lese utkastet er trukket"))


@transaction.atomic
def post(actor, application: Application, body: str, *, kind: str = Message.Kind.SHARED) -> Message:
    """Write in the thread (`shared`) or an internal note (`internal`)."""
    application = _lock(application)
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Skriv en melding."))
    if len(body) > MAX_LENGTH:
        raise ValidationError(_("Meldingen kan være høyst %(n)s tegn.") % {"n": f"{MAX_LENGTH:,}".replace(",", "\u00a0")})
    seen = _visibility(actor, application)
    if kind == Message.Kind.INTERNAL:
        if not seen.notes:
            raise PermissionDenied(_("Du kan ikke skrive interne notater på denne søknaden."))
        from_applicants = False
    elif kind == Message.Kind.SHARED:
        if not seen.thread:
            raise PermissionDenied(_("Du kan ikke skrive i samtalen om denne søknaden."))
        from_applicants = seen.draft  # the authors (their own edit history is theirs alone)
        if not from_applicants and not seen.secretariat:
            raise PermissionDenied(_("Samtalen er mellom søkerne og sekretariatet."))
    else:
        raise ValidationError(_("Ukjent meldingstype."))
    message = Message.objects.create(application=application, kind=kind, author=actor, from_applicants=from_applicants, body=body)
    if kind == Message.Kind.INTERNAL:
        record(actor, "thread.note", application, _("Internt notat skrevet"), message=message.pk)
        return message
    record(actor, "thread.message", application, _("Melding i samtalen med søkerne") if not from_applicants else _("Melding fra søkerne"), message=message.pk)
    name = actor.get_full_name() or actor.username
    if from_applicants:
        _tell(secretariat_users(application), application, _("Spørsmål fra søkerne: %(title)s"), _("%(name)s har skrevet i samtalen om søknaden «%(title)s».") % {"name": name, "title": application.title})
    else:
        _tell(applicant_users(application), application, _("Svar fra sekretariatet: %(title)s"), _("%(name)s har skrevet i samtalen om søknaden «%(title)s».") % {"name": name, "title": application.title})
    return message


def messages_for(user, application: Application, seen=None) -> dict:
    """The thread and the notes `user` may read, with the authors (two queries at most)."""
    seen = seen or _visibility(user, application)
    kinds = [k for k, allowed in ((Message.Kind.SHARED, seen.thread), (Message.Kind.INTERNAL, seen.notes)) if allowed]
    rows = list(Message.objects.filter(application=application, kind__in=kinds).select_related("author")) if kinds else []
    return {
        "shared": [m for m in rows if m.kind == Message.Kind.SHARED],
        "internal": [m for m in rows if m.kind == Message.Kind.INTERNAL],
    }
