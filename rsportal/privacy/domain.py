"""Privacy: export and anonymisation of a person's data, retention of attachments, and
the log of who viewed whose personal data.

As elsewhere, each state change is one function that runs in a transaction, checks
permission, writes an audit record and queues the notifications someone needs.

A *person* is a user account, one or more e-mail addresses, or both: contact persons
named in applications often have no account, and the e-mail address is then all that
ties their entries together.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from rsportal.accounts import permissions
from rsportal.accounts.models import Invitation, OrganisationRole, RepresentationRequest
from rsportal.applications.models import Application, ApplicationVersion, Attachment, JoinRequest, Participant
from rsportal.assessment import visibility
from rsportal.assessment.models import Conflict, Decision, FormalCheck, Score, Vote
from rsportal.core.audit import notify, record
from rsportal.core.formatting import person_name
from rsportal.core.models import AuditEvent, Notification
from rsportal.funding.models import Grant
from rsportal.registry.models import Body, BodyMember

from . import conf
from .models import AttachmentDisposal, PersonalDataView

ANONYMISED = "[anonymisert]"
EXPORT_FORMAT = "rsportal-personopplysninger/1"


class PrivacyError(Exception):
    """A rule was broken; the message is shown to the user as it is."""


# --- who is the person --------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user: object | None = None
    emails: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Identifies the person in the audit trail without writing their e-mail address
        into it: the trail can never be changed, so it must not hold what anonymisation
        has to remove. A keyed hash, so the address cannot be confirmed by hashing guesses."""
        if self.user is not None:
            return str(self.user.pk)
        return salted_hmac("rsportal.privacy.person", self.emails[0], algorithm="sha256").hexdigest() if self.emails else ""

    @property
    def confirmation_word(self) -> str:
        """What the administrator must type to confirm an anonymisation."""
        return self.user.username if self.user is not None else (self.emails[0] if self.emails else "")

    def __str__(self) -> str:
        parts = []
        if self.user is not None:
            parts.append(person_name(self.user))
            parts.append(f"({self.user.username})")
        parts.extend(e for e in self.emails if self.user is None or e != (self.user.email or "").lower())
        return " ".join(parts)


def _normal(email: str) -> str:
    return (email or "").strip().lower()


def person_for_user(user, *extra_emails: str) -> Person:
    emails = [_normal(user.email)] + [_normal(e) for e in extra_emails]
    return Person(user=user, emails=tuple(dict.fromkeys(e for e in emails if e)))


def resolve_person(*, username: str = "", email: str = "") -> Person:
    """Find the person an administrator asks about.

    With an e-mail address only, the account holding that address is included when
    exactly one account does; otherwise the address stands alone (a contact person
    without an account)."""
    User = get_user_model()
    username, email = (username or "").strip(), _normal(email)
    if not username and not email:
        raise PrivacyError(_("Oppgi brukernavn eller e-postadresse."))
    if username:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise PrivacyError(_("Fant ingen bruker med brukernavnet %(u)s.") % {"u": username})
        return person_for_user(user, email)
    accounts = list(User.objects.filter(email__iexact=email)[:2])
    if len(accounts) == 1:
        return person_for_user(accounts[0], email)
    return Person(user=None, emails=(email,))


def _email_q(field_name: str, emails) -> Q:
    query = Q(pk__in=[])
    for email in emails:
        query |= Q(**{f"{field_name}__iexact": email})
    return query


def _record_person(actor, action: str, person: Person, summary: str, **data) -> AuditEvent:
    if person.user is not None:
        return record(actor, action, person.user, summary, **data)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type="privacy.person",
        object_id=person.key,
        summary=summary,
        data=data,
    )


def can_export(actor, person: Person) -> bool:
    """System administrators export anyone; everyone else only their own account, and only
    under the account's own e-mail address (claiming another address proves nothing)."""
    if permissions.is_system_admin(actor):
        return True
    if person.user is None or person.user.pk != actor.pk:
        return False
    return set(person.emails) <= {_normal(actor.email)}


# --- export -------------------------------------------------------------------


def _account(user) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_system_admin": user.is_superuser,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def _models(app_label: str, name: str):
    from django.apps import apps

    return apps.get_model(app_label, name)


def collect(person: Person) -> dict:
    """Everything the portal holds about the person, as plain data. Reads only."""
    user, emails = person.user, person.emails
    by_user = (lambda qs, **lookup: qs.filter(**lookup)) if user is not None else (lambda qs, **lookup: qs.none())
    key = {"user": user} if user is not None else {}

    roles = by_user(OrganisationRole.objects.select_related("municipality", "trust", "rhf"), **key)
    seats = by_user(BodyMember.objects.select_related("body"), **key)
    participants = Participant.objects.filter(_email_q("contact_email", emails)).select_related("application", "municipality", "trust")
    join_requests = JoinRequest.objects.filter(_email_q("contact_email", emails)).select_related("project", "municipality")
    scores = by_user(Score.objects.select_related("application", "criterion", "member__body"), member__user=user)
    votes = by_user(Vote.objects.select_related("decision__application", "member__body"), member__user=user)
    conflicts = (
        Conflict.objects.filter(Q(member__user=user) | Q(raised_by=user) | Q(decided_by=user)).select_related("application", "member")
        if user is not None
        else Conflict.objects.none()
    )
    created = by_user(Application.objects.all(), created_by=user)
    uploaded = by_user(Attachment.objects.select_related("application"), uploaded_by=user)
    events = by_user(AuditEvent.objects.all(), actor=user)
    notifications = Notification.objects.filter(_email_q("recipient", emails))
    invitations = Invitation.objects.filter(_email_q("email", emails)).select_related("seat__body", "municipality", "trust", "rhf")
    seen = PersonalDataView.objects.filter(_email_q("person_email", emails)).select_related("viewer")
    looked = by_user(PersonalDataView.objects.all(), viewer=user)
    devices = []
    if user is not None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # Name and state only: the secret key is a credential, not information about the person.
        devices = [{"name": d.name, "confirmed": d.confirmed} for d in TOTPDevice.objects.filter(user=user)]
    from rsportal.signin.models import IdentityBinding

    # When and how the account was bound to ID-porten; the keyed hash is left out (it is not
    # information about the person, and the number itself is never stored).
    bindings = [{"kind": b.kind, "bound": b.created_at, "last_used": b.last_used_at} for b in by_user(IdentityBinding.objects.all(), **key)]

    who = person_name

    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "person": {"user_id": user.pk if user is not None else None, "emails": list(emails)},
        "account": _account(user),
        "two_factor_devices": devices,
        "sign_in_bindings": bindings,
        "organisation_roles": [
            {"role": r.kind, "organisation": str(r.organisation), "valid_from": r.valid_from, "valid_to": r.valid_to} for r in roles
        ],
        "representation_requests": [
            {"organisation": str(r.organisation), "message": r.message, "status": r.status, "sent": r.created_at, "decided_at": r.decided_at, "reason": r.reason}
            for r in by_user(RepresentationRequest.objects.select_related("municipality", "trust"), **key)
        ],
        "seats": [
            {"body": s.body.name, "name": s.name, "role": s.role, "side": s.side, "voting": s.voting, "start": s.start, "end": s.end} for s in seats
        ],
        "contact_person_in_applications": [
            {
                "application_id": p.application_id,
                "application": p.application.title,
                "organisation": str(p.organisation),
                "is_owner": p.is_owner,
                "name": p.contact_name,
                "email": p.contact_email,
                "phone": p.contact_phone,
                "consents_to_publication": p.publish_contact,
            }
            for p in participants
        ],
        "join_requests": [
            {"project": j.project.title, "municipality": j.municipality.name, "name": j.contact_name, "email": j.contact_email, "contribution": j.contribution, "created_at": j.created_at}
            for j in join_requests
        ],
        "scores": [
            {"application_id": s.application_id, "application": s.application.title, "criterion": s.criterion.name, "body": s.member.body.name, "value": s.value, "comment": s.comment, "updated_at": s.updated_at}
            for s in scores
        ],
        "votes": [
            {"application_id": v.decision.application_id, "application": v.decision.application.title, "body": v.member.body.name, "choice": v.choice, "cast_at": v.cast_at}
            for v in votes
        ],
        "conflicts": [
            {
                "application_id": c.application_id,
                "application": c.application.title,
                "member": c.member.name,
                "source": c.source,
                "reason": c.reason,
                "status": c.status,
                "is_the_member": user is not None and c.member.user_id == user.pk,
                "raised_by_person": user is not None and c.raised_by_id == user.pk,
                "decided_by_person": user is not None and c.decided_by_id == user.pk,
                "decided_at": c.decided_at,
            }
            for c in conflicts
        ],
        "applications_created": [{"id": a.pk, "title": a.title, "status": a.status, "created_at": a.created_at} for a in created],
        "attachments_uploaded": [
            {"id": a.pk, "application_id": a.application_id, "application": a.application.title, "kind": a.kind, "file_name": a.original_name, "uploaded_at": a.uploaded_at, "file_deleted": not a.file}
            for a in uploaded
        ],
        "audit_events_as_actor": [
            {"at": e.at, "action": e.action, "object_type": e.object_type, "object_id": e.object_id, "summary": e.summary, "data": e.data} for e in events
        ],
        "invitations": [
            {
                "name": i.name,
                "email": i.email,
                "grants": i.seat.body.name if i.seat_id else i.get_kind_display(),
                "organisation": str(i.municipality or i.trust or i.rhf or ""),
                "sent_at": i.created_at,
                "expires_at": i.expires_at,
                "used_at": i.used_at,
            }
            for i in invitations
        ],
        "notifications": [
            {"created_at": n.created_at, "recipient": n.recipient, "subject": n.subject, "body": n.body, "sent_at": n.sent_at} for n in notifications
        ],
        # Issue 14: the portal's notification list, the choices, the calls followed and the messages written.
        "notices_in_the_portal": [
            {"created_at": n.created_at, "category": n.category, "subject": n.subject, "body": n.body, "read_at": n.read_at}
            for n in by_user(_models("core", "Notice").objects.all(), user=user)
        ],
        "notification_preferences": [{"category": p.category, "mode": p.mode} for p in by_user(_models("core", "NotificationPreference").objects.all(), user=user)],
        "calls_followed": [i.helsefellesskap.name for i in by_user(_models("applications", "CallInterest").objects.select_related("helsefellesskap"), user=user)],
        "messages_written": [
            {"application_id": m.application_id, "application": m.application.title, "kind": m.kind, "body": m.body, "created_at": m.created_at}
            for m in by_user(_models("applications", "Message").objects.select_related("application"), author=user)
        ],
        "views_of_the_persons_data": [
            {"at": v.at, "viewer": who(v.viewer), "reason": v.reason, "object": v.object_label, "detail": v.detail} for v in seen
        ],
        "personal_data_viewed_by_the_person": [
            {"at": v.at, "reason": v.reason, "object": v.object_label, "detail": v.detail, "person": v.person_name} for v in looked
        ],
    }


@transaction.atomic
def export_person(actor, person: Person) -> dict:
    """Machine-readable copy of everything held about `person` (the right of access).

    An administrator's export is audited and the account holder is told, so nobody's
    data leaves the portal unnoticed; a person exporting their own data is audited only.
    """
    if not can_export(actor, person):
        raise PermissionDenied(_("Du kan bare hente ut dine egne personopplysninger."))
    data = collect(person)
    own = person.user is not None and person.user.pk == actor.pk
    _record_person(
        actor,
        "privacy.exported",
        person,
        _("Egne personopplysninger hentet ut") if own else _("Personopplysninger hentet ut av systemadministrator"),
        sections={k: len(v) for k, v in data.items() if isinstance(v, list)},
    )
    if not own and person.user is not None and person.user.email:
        notify(
            [person.user.email],
            _("Personopplysningene dine er hentet ut"),
            _("En systemadministrator i RS-portalen har hentet ut en kopi av personopplysningene som er lagret om deg. Kontakt sekretariatet hvis du har spørsmål."),
        )
    return data


# --- anonymisation --------------------------------------------------------------


@dataclass
class Anonymisation:
    """Counts of what anonymise_person changed (or would change, in a preview)."""

    account: bool = False
    roles_ended: int = 0
    seats_ended: int = 0
    two_factor_devices: int = 0
    contact_entries: int = 0
    submitted_versions: int = 0
    join_requests: int = 0
    invitations: int = 0
    notifications_deleted: int = 0
    view_records: int = 0
    login_records_deleted: int = 0
    kept: dict = field(default_factory=dict)


def _kept(person: Person) -> dict:
    """What stays untouched, counted for the confirmation page and the audit record."""
    user = person.user
    if user is None:
        return {}
    return {
        "audit_events": AuditEvent.objects.filter(actor=user).count(),
        "scores": Score.objects.filter(member__user=user).count(),
        "votes": Vote.objects.filter(member__user=user).count(),
        "conflicts": Conflict.objects.filter(Q(member__user=user) | Q(raised_by=user) | Q(decided_by=user)).count(),
        "decisions_proposed": Decision.objects.filter(proposed_by=user).count(),
        "applications_created": Application.objects.filter(created_by=user).count(),
        "attachments_uploaded": Attachment.objects.filter(uploaded_by=user).count(),
    }


def _versions_naming(emails):
    """Submitted versions whose frozen participant list names one of `emails`."""
    if not emails:
        return []
    text = ApplicationVersion.objects.annotate(text=Cast("data", models.TextField()))
    # A cheap text match narrows the candidates; the participant list decides.
    query = Q(pk__in=[])
    for email in emails:
        query |= Q(text__icontains=email)
    candidates = text.filter(query)
    found = []
    for version in candidates:
        participants = (version.data or {}).get("participants") or []
        if any(_normal(p.get("email", "")) in emails for p in participants if isinstance(p, dict)):
            found.append(version)
    return found


def preview_anonymisation(person: Person) -> Anonymisation:
    """What anonymise_person would do, without doing it."""
    user, emails = person.user, person.emails
    today = timezone.localdate()
    result = Anonymisation(account=user is not None, kept=_kept(person))
    if user is not None:
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django_otp.plugins.otp_totp.models import TOTPDevice

        result.roles_ended = OrganisationRole.objects.filter(user=user).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)).count()
        result.seats_ended = BodyMember.objects.filter(user=user).filter(Q(end__isnull=True) | Q(end__gte=today)).count()
        result.two_factor_devices = TOTPDevice.objects.filter(user=user).count()
        result.login_records_deleted = sum(m.objects.filter(username=user.username).count() for m in (AccessAttempt, AccessLog, AccessFailureLog))
    result.contact_entries = Participant.objects.filter(_email_q("contact_email", emails)).count()
    result.submitted_versions = len(_versions_naming(emails))
    result.join_requests = JoinRequest.objects.filter(_email_q("contact_email", emails)).count()
    result.invitations = Invitation.objects.filter(_email_q("email", emails)).count()
    result.notifications_deleted = Notification.objects.filter(_email_q("recipient", emails)).count()
    result.view_records = PersonalDataView.objects.filter(_email_q("person_email", emails)).count()
    return result


@transaction.atomic
def anonymise_person(actor, person: Person, *, confirmation: str) -> Anonymisation:
    """Erase a person's personal data where the law lets us, and keep the rest.

    Only a system administrator may do this, never on their own account, and only after
    typing the person's username (or e-mail address, for a contact person without an
    account) as confirmation. It cannot be undone.

    Replaced by the marker "[anonymisert]" or emptied:

    * the account: name, e-mail and username (becomes "anonymisert-<id>"); the account is
      deactivated, loses its password, system-administrator flag, two-factor devices and its
      binding to ID-porten,
      and its failed-login records are deleted;
    * contact-person entries in applications (Participant: name, e-mail, phone, consent
      to publication) and the same contact fields in the frozen submitted versions;
    * contact persons of requests to join committee-designed projects;
    * the name and address of invitations sent to the person (a pending link is expired);
    * the person's identity in the log of viewed personal data.

    Deleted: queued and sent e-mail notifications to the person's addresses (a mail log,
    not a case document).

    Ended, not deleted: organisation roles and seats in bodies get an end date of
    yesterday. The seat keeps the member's name: the composition of a deciding body,
    who voted and who was found conflicted are part of the minutes and decisions.

    Kept intact, because the Archives Act requires public bodies to keep their case
    documents and the grant's accounting must show on what basis public money was paid:
    applications and their content, decisions and amounts, scores and comments, votes,
    conflict-of-interest assessments, payments and reports, and the audit trail. Those
    rows point at the deactivated, anonymised account, so the trail still shows that
    one and the same (now anonymous) person acted. Audit summaries are never rewritten.
    Who *viewed* personal data also stays: that log exists to hold staff accountable.

    The anonymisation itself is audited without the person's name or e-mail address,
    and the other system administrators are told.
    """
    if not permissions.is_system_admin(actor):
        raise PermissionDenied(_("Bare systemadministratorer kan anonymisere personopplysninger."))
    user, emails = person.user, person.emails
    if user is not None and user.pk == actor.pk:
        raise PrivacyError(_("Du kan ikke anonymisere din egen konto."))
    if not person.confirmation_word or confirmation.strip().lower() != person.confirmation_word.lower():
        raise PrivacyError(_("Bekreftelsen stemmer ikke. Skriv inn %(word)s for å bekrefte.") % {"word": person.confirmation_word})
    result = preview_anonymisation(person)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    if user is not None:
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django_otp.plugins.otp_totp.models import TOTPDevice

        User = get_user_model()
        user = User.objects.select_for_update().get(pk=user.pk)
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            model.objects.filter(username=user.username).delete()
        TOTPDevice.objects.filter(user=user).delete()
        # The keyed hash of the identity number goes too: it would let the key's holder tell
        # whether a given person had this account.
        from rsportal.signin.models import IdentityBinding

        IdentityBinding.objects.filter(user=user).delete()
        # What the person wrote goes; a pending request is closed so nobody grants a role to the emptied account.
        RepresentationRequest.objects.filter(user=user, status=RepresentationRequest.Status.PENDING).update(status=RepresentationRequest.Status.REFUSED, decided_at=timezone.now())
        RepresentationRequest.objects.filter(user=user).update(message="")
        OrganisationRole.objects.filter(user=user).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=yesterday)).update(valid_to=yesterday)
        for seat in BodyMember.objects.filter(user=user).filter(Q(end__isnull=True) | Q(end__gt=yesterday)):
            # A seat that had not started yet ends on its first day (the period must not run backwards).
            BodyMember.objects.filter(pk=seat.pk).update(end=max(seat.start, yesterday))
        user.username = f"anonymisert-{user.pk}"
        user.first_name = ""
        user.last_name = ANONYMISED
        user.email = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()

    Participant.objects.filter(_email_q("contact_email", emails)).update(
        contact_name=ANONYMISED, contact_email="", contact_phone="", publish_contact=False
    )
    for version in _versions_naming(emails):
        data = dict(version.data)
        data["participants"] = [
            {**p, "contact": ANONYMISED, "email": "", "phone": ""} if isinstance(p, dict) and _normal(p.get("email", "")) in emails else p
            for p in data.get("participants") or []
        ]
        ApplicationVersion.objects.filter(pk=version.pk).update(data=data)
    JoinRequest.objects.filter(_email_q("contact_email", emails)).update(contact_name=ANONYMISED, contact_email="")
    # Invitations keep what they granted and when (the back office's history), not who was asked;
    # a pending link stops working at once.
    now = timezone.now()
    invitations = Invitation.objects.filter(_email_q("email", emails))
    invitations.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    invitations.update(name=ANONYMISED, email="")
    Notification.objects.filter(_email_q("recipient", emails)).delete()
    if user is not None:  # the portal's copies of those notifications, the choices and the calendar address go too
        from rsportal.applications.models import CallInterest
        from rsportal.calendar.models import CalendarFeed
        from rsportal.core.models import Notice, NotificationPreference

        Notice.objects.filter(user=user).delete()
        NotificationPreference.objects.filter(user=user).delete()
        CallInterest.objects.filter(user=user).delete()
        CalendarFeed.objects.filter(user=user).delete()
    # The single permitted change to the view log: the viewed person's identity, nothing else.
    PersonalDataView.objects.filter(_email_q("person_email", emails)).update(person_name=ANONYMISED, person_email="")

    counts = {k: v for k, v in result.__dict__.items() if k != "kept"}
    _record_person(
        actor,
        "privacy.anonymised",
        person,
        _("Personopplysninger anonymisert (bruker #%(id)s)") % {"id": user.pk} if user is not None else _("Personopplysninger for en kontaktperson anonymisert"),
        changed=counts,
        kept=result.kept,
    )
    admins = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(pk=actor.pk).exclude(email="")
    notify(
        [a.email for a in admins],
        _("Personopplysninger er anonymisert i RS-portalen"),
        _("%(actor)s har anonymisert personopplysningene til en person. Se revisjonssporet for detaljer.")
        % {"actor": person_name(actor)},
    )
    return result


# --- retention of attachments -----------------------------------------------------


@dataclass
class RetentionItem:
    attachment: Attachment
    rule: str
    clock_started: datetime.datetime
    retention_years: int


def _years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def retention_due(now: datetime.datetime | None = None) -> list[RetentionItem]:
    """Attachments whose files the retention rules (see conf.py) say must go now.

    * Drafts never submitted: the clock runs from the draft's last change.
    * Applications that ended without a grant, that is withdrawn, refused or asked to
      re-apply by an adopted decision, failed at the formal check, or left without a
      decision when their call closed: the clock runs from the latest of the last change,
      submission, any decision and the formal check.
    * Applications with an adopted granting decision are never touched.
    """
    now = now or timezone.now()
    draft_years, closed_years = conf.draft_retention_years(), conf.attachment_retention_years()
    live_files = Attachment.objects.filter(application=OuterRef("pk")).exclude(file="").filter(disposal__isnull=True)
    adopted = Decision.objects.filter(application=OuterRef("pk"), status=Decision.Status.ADOPTED)
    applications = (
        Application.objects.filter(Exists(live_files))
        .annotate(
            granted=Exists(adopted.filter(outcome__in=Decision.GRANTING)),
            refused=Exists(adopted.exclude(outcome__in=Decision.GRANTING)),
            failed_check=Exists(FormalCheck.objects.filter(application=OuterRef("pk"), outcome__in=[FormalCheck.Outcome.REJECTED, FormalCheck.Outcome.REAPPLY])),
            checked_at=Subquery(FormalCheck.objects.filter(application=OuterRef("pk")).values("checked_at")[:1]),
            last_decision=Max("decisions__concluded_at"),
            has_versions=Exists(ApplicationVersion.objects.filter(application=OuterRef("pk"))),
        )
        .select_related("call")
        .order_by("pk")
    )
    due_applications: dict[int, tuple[str, datetime.datetime, int]] = {}
    for application in applications:
        if application.granted:
            continue
        if application.status == Application.Status.DRAFT and application.submitted_at is None and not application.has_versions:
            rule, clock, years = AttachmentDisposal.Rule.DRAFT, application.updated_at, draft_years
        else:
            ended = (
                application.status == Application.Status.WITHDRAWN
                or application.refused
                or application.failed_check
                or application.call.status == application.call.Status.CLOSED
            )
            if not ended:
                continue
            moments = [m for m in (application.updated_at, application.submitted_at, application.last_decision, application.checked_at) if m]
            rule, clock, years = AttachmentDisposal.Rule.NOT_GRANTED, max(moments), closed_years
        if clock <= _years_before(now, years):
            due_applications[application.pk] = (rule, clock, years)
    attachments = (
        Attachment.objects.filter(application_id__in=due_applications).exclude(file="").filter(disposal__isnull=True).select_related("application").order_by("application_id", "pk")
    )
    return [RetentionItem(a, *due_applications[a.application_id]) for a in attachments]


def apply_retention(*, now: datetime.datetime | None = None, dry_run: bool = False, actor=None) -> list[RetentionItem]:
    """Delete the files retention_due() lists and mark their Attachment rows.

    Each attachment is handled in its own transaction: the row's file name is emptied,
    an AttachmentDisposal row records rule and period, and an audit event is written on
    the application (so it shows in the call's audit trail). The file itself is deleted
    only after the transaction commits, so a failure never leaves a row without its file
    unexplained. With dry_run nothing changes. Run by the system (no actor) from the
    apply_retention command; no one is notified: the audit trail is the record.
    """
    items = retention_due(now)
    if dry_run:
        return items
    for item in items:
        with transaction.atomic():
            attachment = Attachment.objects.select_for_update().get(pk=item.attachment.pk)
            if not attachment.file or AttachmentDisposal.objects.filter(attachment=attachment).exists():
                continue
            storage, path = attachment.file.storage, attachment.file.name
            Attachment.objects.filter(pk=attachment.pk).update(file="")
            AttachmentDisposal.objects.create(attachment=attachment, rule=item.rule, retention_years=item.retention_years, clock_started=item.clock_started)
            record(
                actor,
                "attachment.retention_deleted",
                attachment.application,
                _("Vedleggsfil slettet etter oppbevaringsreglene (%(rule)s, %(years)s år): %(kind)s")
                % {"rule": AttachmentDisposal.Rule(item.rule).label, "years": item.retention_years, "kind": attachment.get_kind_display()},
                attachment=attachment.pk,
                rule=item.rule,
                clock_started=item.clock_started.isoformat(),
            )
            transaction.on_commit(lambda storage=storage, path=path: storage.delete(path))
    return items


# --- who viewed whose data ----------------------------------------------------------


def _contacts(participants) -> list[tuple[str, str]]:
    return [(p.contact_name, p.contact_email) for p in participants if p.contact_name or p.contact_email]


def _describe(obj):
    """(object, detail, helsefellesskap id, function returning the persons shown)."""
    if isinstance(obj, Application):
        return obj, "", obj.helsefellesskap_id, lambda: _contacts(obj.participants.all())
    if isinstance(obj, ApplicationVersion):
        people = [(p.get("contact", ""), p.get("email", "")) for p in (obj.data or {}).get("participants") or [] if isinstance(p, dict)]
        return obj.application, _("versjon %(n)s") % {"n": obj.number}, obj.application.helsefellesskap_id, lambda: [p for p in people if p[0] or p[1]]
    if isinstance(obj, Attachment):
        application = obj.application
        return application, _("vedlegg #%(id)s (%(kind)s)") % {"id": obj.pk, "kind": obj.get_kind_display()}, application.helsefellesskap_id, lambda: _contacts(application.participants.all())
    if isinstance(obj, Grant):
        # The public page shows contact persons only with their consent; so does the log.
        shown = Participant.objects.filter(
            application__decisions__grant=obj, application__decisions__status=Decision.Status.ADOPTED, publish_contact=True
        ).exclude(contact_name="")
        return obj, "", obj.helsefellesskap_id, lambda: _contacts(shown)
    return obj, "", None, lambda: []


def record_view(user, obj, reason, *, persons=None) -> list[PersonalDataView]:
    """Log that `user` was shown the personal data in `obj`, one append-only row per person.

    `obj` is an application, a submitted version, an attachment or a catalogue grant; the
    persons are the contact persons it shows (for a grant: only those who consented to
    publication), unless `persons` gives (name, e-mail) pairs. Versions and attachments
    are logged against their application, with the part in `detail`, so one filter finds
    every look at an application.

    Anonymous visitors of the public catalogue are not logged: they see only what the
    person agreed to publish, and a row without a viewer holds no one accountable.

    An attachment whose file the retention rules have deleted raises Http404 here, before
    anything is logged, so the download view answers "not found" instead of failing.

    Call it from the view before the response is built; it costs one INSERT (and for an
    attachment or a grant one SELECT), and nothing at all when no person is shown.
    """
    if isinstance(obj, Attachment) and not obj.file:
        raise Http404(_("Filen er slettet etter reglene for oppbevaring av vedlegg."))
    if not getattr(user, "is_authenticated", False):
        return []
    target, detail, helsefellesskap_id, find = _describe(obj)
    seen, rows = set(), []
    for name, email in persons if persons is not None else find():
        identity = (_normal(email), (name or "").strip())
        if identity in seen:
            continue
        seen.add(identity)
        rows.append(
            PersonalDataView(
                viewer=user,
                reason=reason,
                object_type=target._meta.label_lower,
                object_id=str(target.pk),
                object_label=str(target)[:300],
                detail=detail[:200],
                helsefellesskap_id=helsefellesskap_id,
                person_name=identity[1][:200],
                person_email=identity[0][:254],
            )
        )
    return PersonalDataView.objects.bulk_create(rows) if rows else []


def can_see_view_log(user) -> bool:
    return permissions.is_system_admin(user) or permissions.active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT).exists()


def view_log(user, *, person: str = "", obj: str = ""):
    """The view records `user` may read, newest first: everything for a system administrator;
    for a secretariat, the records about its helsefellesskap (an RHF's secretariat: all of the
    region's). `person` matches an e-mail address exactly or a name in part; `obj` is
    "type:id" as stored, e.g. "applications.application:12"."""
    if not can_see_view_log(user):
        raise PermissionDenied(_("Visningsloggen er for sekretariatet og systemadministratorer."))
    # Looks at drafts are their authors' business: a draft's title and contact persons stay theirs.
    rows = visibility.without_drafts(PersonalDataView.objects.select_related("viewer", "helsefellesskap"))
    if not permissions.is_system_admin(user):
        seats = list(permissions.active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT).values_list("body__helsefellesskap_id", "body__rhf_id"))
        communities = {hf for hf, _rhf in seats if hf}
        regions = {rhf for _hf, rhf in seats if rhf}
        rows = rows.filter(Q(helsefellesskap_id__in=communities) | Q(helsefellesskap__rhf_id__in=regions))
    person = person.strip()
    if person:
        rows = rows.filter(Q(person_email__iexact=person) | Q(person_name__icontains=person))
    obj = obj.strip()
    if obj:
        object_type, _sep, object_id = obj.partition(":")
        rows = rows.filter(object_type=object_type, object_id=object_id)
    return rows
