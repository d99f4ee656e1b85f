"""Inviting people and giving and ending their organisation roles.

A secretariat or an RHF administrator invites a person by e-mail to a seat or a role; the person
opens the one-time link, sets a password (or signs in to the account they have) and gets it.
Ending a role sets its last day; nothing is deleted, since the audit trail and old decisions
refer to who held which role when."""

import datetime
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from rsportal.core.audit import notify, record
from rsportal.core.backoffice import lock
from rsportal.core.formatting import person_name

from . import permissions
from .models import Invitation, OrganisationRole, RepresentationRequest


class InvitationError(Exception):
    """The link can no longer be used; the message says why."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find(token: str) -> Invitation | None:
    return Invitation.objects.select_related("seat__body", "municipality", "trust", "rhf").filter(token_hash=digest(token)).first()


def problem(invitation: Invitation) -> str:
    """Why the invitation cannot be used now ("" when it can)."""
    if invitation.used_at is not None:
        return _("Denne invitasjonen er allerede brukt. Logg inn med kontoen din, eller be sekretariatet om en ny invitasjon.")
    if invitation.expires_at <= timezone.now():
        return _("Denne invitasjonen er utløpt. Be sekretariatet om å sende en ny.")
    return ""


def _date(day) -> str:
    return dateformat.format(day, "j. F Y")


@transaction.atomic
def invite(actor, *, email: str, name: str, base_url: str, seat=None, kind: str = "", municipality=None, trust=None, rhf=None) -> tuple[Invitation, str]:
    """Queue an e-mail with a one-time link to a seat (one without an account yet) or an organisation
    role. Returns the invitation and the token, which is stored only as a digest."""
    if seat is not None:
        if not permissions.may_manage_body(actor, seat.body):
            raise PermissionDenied(_("Du administrerer ikke dette organet."))
        seat = lock(seat, None)
        if seat.user_id:
            raise ValidationError(_("Setet er allerede knyttet til en konto."))
        if seat.end is not None and seat.end < timezone.localdate():
            raise ValidationError(_("Setet er avsluttet."))
        kind = ""
    else:
        if not permissions.may_grant_role(actor, kind, municipality=municipality, trust=trust, rhf=rhf):
            raise PermissionDenied(_("Du kan ikke gi denne rollen."))
        if kind == OrganisationRole.Kind.RHF_ADMIN:
            municipality = trust = None
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.strip(),
        name=name.strip(),
        token_hash=digest(token),
        seat=seat,
        kind=kind,
        municipality=municipality,
        trust=trust,
        rhf=rhf,
        invited_by=actor,
        expires_at=timezone.now() + datetime.timedelta(days=Invitation.VALID_DAYS),
    )
    link = base_url.rstrip("/") + reverse("accounts:invitation", args=[token])
    notify(
        [invitation.email],
        _("Invitasjon til RS-portalen"),
        _(
            "Hei %(name)s,\n\n%(who)s har invitert deg til RS-portalen som %(grants)s.\n\n"
            "Åpne lenken for å velge passord og ta imot invitasjonen (har du allerede en konto, logger du inn):\n%(link)s\n\n"
            "Lenken kan brukes én gang og virker til og med %(until)s. Var invitasjonen ikke ment for deg, kan du se bort fra den."
        )
        % {"name": invitation.name, "who": person_name(actor), "grants": invitation.grants, "link": link, "until": _date(timezone.localdate(invitation.expires_at))},
    )
    summary = _("%(name)s (%(email)s) er invitert som %(grants)s.") % {"name": invitation.name, "email": invitation.email, "grants": invitation.grants}
    record(actor, "invitation_sent", invitation, summary)
    if seat is not None:
        record(actor, "seat_invited", seat, summary, body=seat.body_id)
    return invitation, token


@transaction.atomic
def accept(invitation: Invitation, user):
    """Give the invited person the seat or the role. Only for the account with the invited e-mail."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if reason := problem(invitation):
        raise InvitationError(reason)
    if (user.email or "").strip().lower() != invitation.email.strip().lower():
        raise PermissionDenied(_("Invitasjonen gjelder en annen e-postadresse enn kontoen du er logget inn med."))
    if invitation.seat_id:
        seat = lock(invitation.seat, None)
        if seat.user_id and seat.user_id != user.pk:
            raise InvitationError(_("Setet er allerede knyttet til en annen konto. Ta kontakt med sekretariatet."))
        seat.user = user
        seat.save(update_fields=["user"])
        granted = seat
        summary = _("%(user)s tok imot setet som %(role)s i %(body)s.") % {"user": person_name(user), "role": seat.get_role_display().lower(), "body": seat.body.name}
        record(user, "seat_accepted", seat, summary, body=seat.body_id)
    else:
        granted = OrganisationRole.objects.create(
            user=user, kind=invitation.kind, municipality=invitation.municipality, trust=invitation.trust, rhf=invitation.rhf, valid_from=timezone.localdate()
        )
        summary = _("%(user)s fikk rollen %(role)s for %(org)s.") % {"user": person_name(user), "role": granted.get_kind_display().lower(), "org": granted.organisation}
        record(user, "role_granted", granted, summary, invitation=invitation.pk)
    invitation.used_at = timezone.now()
    invitation.used_by = user
    invitation.save(update_fields=["used_at", "used_by"])
    record(user, "invitation_accepted", invitation, summary)
    return granted


@transaction.atomic
def create_account_and_accept(invitation: Invitation, *, password: str):
    """A new account for the invited e-mail, with the password the person chose (already checked
    against the password validators), then `accept`."""
    User = get_user_model()
    email = invitation.email.strip().lower()
    if User.objects.filter(username__iexact=email).exists() or User.objects.filter(email__iexact=email).exists():
        raise InvitationError(_("Det finnes allerede en konto for denne e-postadressen. Logg inn, så kan du ta imot invitasjonen."))
    first, _sep, last = invitation.name.strip().rpartition(" ")
    user = User(username=email, email=email, first_name=first or last, last_name=last if first else "")
    user.set_password(password)
    user.save()
    record(user, "account_created", user, _("Konto opprettet fra invitasjon: %(email)s.") % {"email": email})
    accept(invitation, user)
    return user


@transaction.atomic
def withdraw(actor, invitation: Invitation, *, expected: str | None = None) -> Invitation:
    """The link stops working now (a wrong address, a person who will not take the seat after all)."""
    if not permissions.manageable_invitations(actor).filter(pk=invitation.pk).exists():
        raise PermissionDenied(_("Du kan ikke trekke tilbake denne invitasjonen."))
    invitation = lock(invitation, expected)
    if invitation.used_at is not None:
        raise ValidationError(_("Invitasjonen er allerede tatt imot. Avslutt rollen eller setet i stedet."))
    if invitation.expires_at > timezone.now():
        invitation.expires_at = timezone.now()
        invitation.save(update_fields=["expires_at"])
    record(actor, "invitation_withdrawn", invitation, _("Invitasjonen til %(name)s (%(email)s) er trukket tilbake.") % {"name": invitation.name, "email": invitation.email})
    return invitation


@transaction.atomic
def end_role(actor, role: OrganisationRole, *, end: datetime.date, expected: str | None = None) -> OrganisationRole:
    """The role's last day is `end`; the row stays."""
    if not permissions.manageable_roles(actor).filter(pk=role.pk).exists():
        raise PermissionDenied(_("Du kan ikke endre denne rollen."))
    role = lock(role, expected)
    if end < role.valid_from:
        raise ValidationError({"end": _("Rollen kan ikke slutte før den begynte (%(start)s).") % {"start": _date(role.valid_from)}})
    if role.valid_to is not None and role.valid_to < end:
        raise ValidationError({"end": _("Rollen sluttet allerede %(end)s.") % {"end": _date(role.valid_to)}})
    role.valid_to = end
    role.save(update_fields=["valid_to"])
    what = {"user": person_name(role.user), "role": role.get_kind_display().lower(), "org": role.organisation, "end": _date(end)}
    record(actor, "role_ended", role, _("Rollen til %(user)s som %(role)s for %(org)s er avsluttet fra og med %(end)s.") % what)
    if role.user.email:
        notify([role.user.email], _("Rollen din i RS-portalen er avsluttet"), _("Rollen din som %(role)s for %(org)s varer til og med %(end)s.") % what)
    return role


# --- requests to represent a municipality or a trust ---------------------------------------


def deciding_helsefellesskap(*, municipality=None, trust=None):
    """The communities whose secretariat answers: the one(s) the municipality is a member of
    today, or those of the trust (for a private hospital: of the trust whose area it serves)."""
    from rsportal.registry.models import Helsefellesskap, Membership

    if municipality is not None:
        members = Membership.objects.valid_on(timezone.localdate()).filter(municipality=municipality).values("helsefellesskap")
        return Helsefellesskap.objects.filter(pk__in=members)
    return Helsefellesskap.objects.filter(trust_id=trust.own_trust_id)


def _secretariat_addresses(communities) -> list[str]:
    from rsportal.registry.models import Body, BodyMember

    seats = BodyMember.objects.active_on(timezone.localdate()).filter(body__kind=Body.Kind.SECRETARIAT, body__helsefellesskap__in=communities)
    return [email for email in seats.values_list("user__email", flat=True) if email]


@transaction.atomic
def request_to_represent(actor, *, municipality=None, trust=None, message: str = "") -> RepresentationRequest:
    """A signed-in person asks for the applicant role for one municipality or trust. The deciding
    secretariat and the municipality's notice address are told; nothing is granted yet."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Du må være logget inn."))
    if (municipality is None) == (trust is None):
        raise ValidationError(_("Velg én kommune eller ett helseforetak."))
    org = {"municipality": municipality} if municipality is not None else {"trust": trust}
    if permissions.active_roles(actor).filter(kind=OrganisationRole.Kind.APPLICANT, **org).exists():
        raise ValidationError(_("Du er allerede søker for %(org)s.") % {"org": municipality or trust})
    # The row lock on the person keeps two simultaneous submissions from both passing this check.
    get_user_model()._base_manager.select_for_update().filter(pk=actor.pk).first()
    if RepresentationRequest.objects.filter(user=actor, status=RepresentationRequest.Status.PENDING, **org).exists():
        raise ValidationError(_("Du har allerede en forespørsel om %(org)s som venter på svar.") % {"org": municipality or trust})
    communities = deciding_helsefellesskap(**org)
    if not communities.exists():
        raise ValidationError(_("%(org)s hører ikke til noe helsefellesskap i RS-portalen ennå.") % {"org": municipality or trust})
    request = RepresentationRequest.objects.create(user=actor, message=message.strip(), **org)
    what = {"user": person_name(actor), "email": actor.email or "–", "org": request.organisation, "message": request.message or "–"}
    record(actor, "representation_requested", request, _("%(user)s ba om å representere %(org)s.") % what)
    body = _(
        "%(user)s (%(email)s) ber om å bli søker for %(org)s i RS-portalen.\n\nMelding: %(message)s\n\n"
        "Sekretariatet i helsefellesskapet godkjenner eller avslår forespørselen under Administrasjon i RS-portalen."
    ) % what
    subject = _("Forespørsel om å representere %(org)s") % what
    notify(_secretariat_addresses(communities), subject, body)
    if municipality is not None and municipality.notice_email:
        notify([municipality.notice_email], subject, body)
    return request


@transaction.atomic
def decide_request(actor, request: RepresentationRequest, *, approve: bool, reason: str = "", expected: str | None = None) -> RepresentationRequest:
    """Approve (the applicant role is made, valid from today) or refuse (a reason is required)
    a pending request. Only those who give applicant roles for the organisation may answer."""
    if not permissions.manageable_requests(actor).filter(pk=request.pk).exists():
        raise PermissionDenied(_("Du kan ikke svare på denne forespørselen."))
    request = lock(request, expected)
    if request.status != RepresentationRequest.Status.PENDING:
        raise ValidationError(_("Forespørselen er allerede besvart."))
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("Skriv en begrunnelse når du avslår. Den sendes til personen som spurte.")})
    what = {"user": person_name(request.user), "org": request.organisation, "reason": reason}
    if approve:
        org = {"municipality": request.municipality} if request.municipality_id else {"trust": request.trust}
        if not permissions.active_roles(request.user).filter(kind=OrganisationRole.Kind.APPLICANT, **org).exists():
            role = OrganisationRole.objects.create(user=request.user, kind=OrganisationRole.Kind.APPLICANT, valid_from=timezone.localdate(), **org)
            record(actor, "role_granted", role, _("%(user)s fikk rollen søker for %(org)s.") % what, request=request.pk)
        request.status = RepresentationRequest.Status.APPROVED
        summary = _("Forespørselen fra %(user)s om å representere %(org)s er godkjent.") % what
        subject = _("Du er nå søker for %(org)s i RS-portalen") % what
        body = _("Forespørselen din om å representere %(org)s er godkjent. Du kan nå skrive søknader for %(org)s i RS-portalen.") % what
        if reason:
            body += "\n\n" + _("Kommentar fra sekretariatet: %(reason)s") % what
    else:
        request.status = RepresentationRequest.Status.REFUSED
        summary = _("Forespørselen fra %(user)s om å representere %(org)s er avslått: %(reason)s") % what
        subject = _("Forespørselen din om å representere %(org)s er avslått") % what
        body = _("Sekretariatet har avslått forespørselen din om å representere %(org)s i RS-portalen.\n\nBegrunnelse: %(reason)s") % what
    request.reason = reason
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    record(actor, f"representation_{request.status}", request, summary)
    if request.user.email:
        notify([request.user.email], subject, body)
    return request


@transaction.atomic
def set_notice_email(actor, municipality, *, notice_email: str, expected: str | None = None):
    """The municipality's inbox for notices, kept by the secretariat of its helsefellesskap."""
    if not permissions.notice_municipalities(actor).filter(pk=municipality.pk).exists():
        raise PermissionDenied(_("Du kan ikke endre denne kommunen."))
    municipality = lock(municipality, expected)
    before = municipality.notice_email
    municipality.notice_email = notice_email.strip()
    municipality.save(update_fields=["notice_email"])
    record(
        actor,
        "notice_email_changed",
        municipality,
        _("E-post for varsler for %(org)s er endret fra %(before)s til %(after)s.") % {"org": municipality.name, "before": before or "–", "after": municipality.notice_email or "–"},
    )
    return municipality
