"""What the applicants are told as their application moves through the handling: one e-mail
per step to the contact persons of the participating organisations, in Norwegian, with the
project's title, the step, the outcome as its label (never a code), dates written out and a
link to the application's Saksgang (progress.py, which shows the same facts on the page).

The assessment's domain functions call these at the end of their transaction, after the
change is made: record_formal_check -> formal_check_recorded, forward -> after_forwarding,
conclude -> decided. A step that is saved again without a change for the applicants (the
same outcome, the same forwarding) is not told twice.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.assessment.models import Decision, FormalCheck, Forwarding
from rsportal.core.audit import notify, record
from rsportal.core.formatting import long_date
from rsportal.core.models import Notification

from . import progress
from .models import Application, Call

SUBJECT_LENGTH = Notification._meta.get_field("subject").max_length


def site_url() -> str:
    """Where the portal answers, for links in e-mails: RSPORTAL_SITE_URL, or else the first
    allowed host (https outside development)."""
    configured = getattr(settings, "RSPORTAL_SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))), "localhost")
    return f"{'http' if settings.DEBUG else 'https'}://{host}"


def application_link(application: Application) -> str:
    return site_url() + reverse("applications:detail", args=[application.pk])


def recipients(application: Application) -> list[str]:
    """The contact persons the applicants named for the application, one e-mail each, and the
    notice address (postmottak) of each participating municipality that has one."""
    participants = application.participants.select_related("municipality")
    addresses = [p.contact_email for p in participants if p.contact_email]
    addresses += [p.municipality.notice_email for p in participants if p.municipality_id and p.municipality.notice_email]
    return list(dict.fromkeys(addresses))


def _send(application: Application, subject: str, lines: list[str], links: list[tuple[str, str]] = (), *, category: str = "status") -> None:
    body = "\n\n".join(line for line in lines if line)
    links = [*links, (_("Se saksgangen i RS-portalen"), application_link(application))]
    body += "\n\n" + "\n".join(f"{label}: {url}" for label, url in links)
    subject = subject % {"title": application.title}
    if application.case_number:  # a public body's mail is filed by its case reference
        subject = _("Sak %(case)s: %(subject)s") % {"case": application.case_number, "subject": subject}
    if len(subject) > SUBJECT_LENGTH:  # a title may be longer than an e-mail subject is stored
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    notify(recipients(application), subject, body, category=category, link=reverse("applications:detail", args=[application.pk]))


def _in_assessment_line(application: Application) -> str:
    body = progress.decision_body_name(application)
    if body:
        return _("Søknaden er nå til behandling i %(body)s.") % {"body": body}
    return _("Søknaden er nå til behandling.")


def formal_check_recorded(check: FormalCheck, *, previous: FormalCheck | None) -> None:
    """After record_formal_check. `previous` is the check as it was before (None for the first)."""
    if previous is not None and (previous.outcome, previous.note.strip()) == (check.outcome, check.note.strip()):
        return  # saved again unchanged: the applicants already know
    application = Application.objects.select_related("call", "helsefellesskap").get(pk=check.application_id)
    lines = [
        _("Søknaden «%(title)s» er formelt kontrollert %(date)s.") % {"title": application.title, "date": long_date(check.checked_at)},
        *progress.formal_check_lines(check),
    ]
    if previous is not None:
        lines.insert(1, _("Kontrollen er endret. Tidligere resultat: %(outcome)s.") % {"outcome": previous.get_outcome_display()})
    forwarded = progress.forwarding_state(application) if progress.needs_forwarding(application) else progress.ForwardingState()
    if previous is None and progress.in_assessment_since(application, check, forwarded) is not None:
        lines.append(_in_assessment_line(application))
    _send(application, _("Formell kontroll av søknaden «%(title)s»"), lines)


def after_forwarding(actor, call: Call, helsefellesskap, *, before: set[int], reasons: dict[int, str] | None = None) -> None:
    """After forward(): tell the applicants whose application is newly forwarded or newly
    left behind, and keep the reason for leaving one behind (the audit event progress.py
    reads). `before` holds the ids forwarded before this prioritisation; `reasons` maps an
    application id to why it is not forwarded."""
    reasons = reasons or {}
    rows = {f.application_id: f for f in Forwarding.objects.filter(application__call=call, helsefellesskap=helsefellesskap)}
    submitted = call.applications.filter(helsefellesskap=helsefellesskap, status=Application.Status.SUBMITTED).select_related("call", "helsefellesskap")
    for application in submitted.prefetch_related("participants", "call__steps__body"):
        row = rows.get(application.pk)
        if row is not None:
            if application.pk not in before:
                _forwarded(application, row)
            continue
        reason = (reasons.get(application.pk) or "").strip()
        told = progress.forwarding_state(application).refusal
        if application.pk in before or told is None or (told.data or {}).get("reason", "") != reason:
            record(
                actor,
                progress.NOT_FORWARDED,
                application,
                _("Ikke sendt videre av %(hf)s") % {"hf": helsefellesskap.name} + (f": {reason}" if reason else ""),
                helsefellesskap=helsefellesskap.pk,
                reason=reason,
            )
            _not_forwarded(application, reason)


def _forwarded(application: Application, row: Forwarding) -> None:
    if row.joint:
        outcome = _("Søknaden «%(title)s» er sendt videre som felles søknad med andre helsefellesskap.") % {"title": application.title}
    else:
        outcome = _("Søknaden «%(title)s» er prioritert som nr. %(rank)s og sendt videre.") % {"title": application.title, "rank": row.rank}
    lines = [
        _("%(hf)s prioriterte søknadene i «%(call)s» %(date)s.")
        % {"hf": application.helsefellesskap.name, "call": application.call.title, "date": long_date(row.forwarded_at)},
        outcome,
    ]
    if progress.in_assessment_since(application, progress.formal_check(application), progress.ForwardingState(forwarding=row)) is not None:
        lines.append(_in_assessment_line(application))
    _send(application, _("Søknaden «%(title)s» er sendt videre"), lines)


def _not_forwarded(application: Application, reason: str) -> None:
    lines = [
        _("%(hf)s prioriterte søknadene i «%(call)s» %(date)s.")
        % {"hf": application.helsefellesskap.name, "call": application.call.title, "date": long_date(timezone.now())},
        _("Søknaden «%(title)s» er ikke sendt videre, og den går ikke videre til behandling.") % {"title": application.title},
        _("Begrunnelse: %(reason)s") % {"reason": reason} if reason else "",
    ]
    _send(application, _("Søknaden «%(title)s» er ikke sendt videre"), lines)


def decided(decision: Decision) -> None:
    """After conclude(), when the decision is adopted. Links the decision letter."""
    application = Application.objects.select_related("call", "helsefellesskap").prefetch_related("participants").get(pk=decision.application_id)
    lines = [
        _("%(body)s behandlet søknaden «%(title)s» %(date)s.") % {"body": decision.body.name, "title": application.title, "date": long_date(decision.concluded_at)},
        _("Vedtak: %(outcome)s.") % {"outcome": decision.get_outcome_display()},
        *progress.decision_lines(decision)[1:],
    ]
    letter = (_("Vedtaksbrevet (PDF)"), site_url() + progress.letter_path(decision))
    _send(application, _("Vedtak om RS-tilskudd: %(title)s"), lines, [letter], category="decision")


def call_audience(call: Call) -> list:
    """Who is told that `call` is open: the postmottak of every municipality that is a member
    (today) of a helsefellesskap the call is for, the applicants of those communities' trusts
    (the registry keeps no postmottak for a trust), and every user who registered interest in
    one of those communities. A call from an RHF's pot is for all its helsefellesskap."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from rsportal.accounts.models import OrganisationRole
    from rsportal.registry.models import Helsefellesskap, Membership

    from .models import CallInterest

    pot = call.pot
    communities = Helsefellesskap.objects.filter(pk=pot.helsefellesskap_id) if pot.helsefellesskap_id else Helsefellesskap.objects.filter(rhf_id=pot.rhf_id)
    community_ids = list(communities.values_list("pk", flat=True))
    trust_ids = list(communities.values_list("trust_id", flat=True))
    today = timezone.localdate()
    memberships = Membership.objects.filter(helsefellesskap_id__in=community_ids, valid_from__lte=today).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    addresses = list(memberships.exclude(municipality__notice_email="").values_list("municipality__notice_email", flat=True))
    trust_roles = OrganisationRole.objects.active_on(today).filter(kind=OrganisationRole.Kind.APPLICANT).filter(Q(trust_id__in=trust_ids) | Q(trust__area_trust_id__in=trust_ids))
    users = get_user_model().objects.filter(is_active=True).filter(
        Q(organisation_roles__in=trust_roles) | Q(pk__in=CallInterest.objects.filter(helsefellesskap_id__in=community_ids).values("user_id"))
    ).distinct()
    return [*addresses, *users]


def call_published(call: Call) -> None:
    """After publish_call: tell the audience (call_audience) that the call is open."""
    from rsportal.core import notifications

    deadline = call.next_deadline()
    lines = [
        _("%(owner)s har lyst ut midler: «%(title)s».") % {"owner": call.owner_name, "title": call.title},
        call.purpose,
        _("Søknadsfrist: %(date)s.") % {"date": long_date(deadline.at)} if deadline else _("Løpende søknadsfrist."),
        _("Les utlysningen og søk i RS-portalen: %(url)s") % {"url": site_url() + reverse("applications:call-detail", args=[call.pk])},
        _("Du får dette fordi kommunen eller helseforetaket ditt er med i helsefellesskapet, eller fordi du har bedt om varsel om nye utlysninger."),
    ]
    subject = _("Ny utlysning: %(title)s") % {"title": call.title}
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    notify(call_audience(call), subject, "\n\n".join(lines), category=notifications.NEW_CALL, link=reverse("applications:call-detail", args=[call.pk]))
