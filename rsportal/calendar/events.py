"""What goes in the calendars: the yearly wheel (årshjul) of a helsefellesskap or an RHF, and a
person's own feed.

The wheel is public and shows only what is public anyway: that a call opened (the date it was
published), its deadlines, the meetings of the bodies (date and body, not the agenda), the dates
decisions were adopted (how many, not which), and how many project reports fall due on a date.
The personal feed adds what concerns the person: the deadlines of calls they have drafts or
applications in, the meetings of the bodies they sit in, and the reports their organisations owe.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.accounts import permissions as account_permissions
from rsportal.accounts.models import OrganisationRole
from rsportal.applications.models import Application, Call, Deadline
from rsportal.assessment.models import Decision, Meeting
from rsportal.core.models import AuditEvent
from rsportal.followup.models import AfterProject, ReportDue
from rsportal.registry.models import Body

KINDS = {
    "opening": gettext_lazy("Utlysning åpner"),
    "deadline": gettext_lazy("Søknadsfrist"),
    "meeting": gettext_lazy("Møte"),
    "decision": gettext_lazy("Vedtak"),
    "report": gettext_lazy("Rapportfrist"),
}


@dataclass
class Event:
    uid: str  # stable across feeds, so a calendar updates the event instead of adding a copy
    kind: str
    title: str
    start: datetime.date | datetime.datetime  # a date: an all-day event
    link: str = ""
    description: str = ""

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime.datetime)

    @property
    def day(self) -> datetime.date:
        return self.start if self.all_day else timezone.localtime(self.start).date()

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def summary(self) -> str:
        """The title in a calendar program, where no kind is shown beside it: deadlines and
        meetings are named by their kind first (the pages show the kind on their own)."""
        return f"{self.kind_label}: {self.title}" if self.kind in ("deadline", "meeting") else self.title


def _year_range(year: int):
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=tz),
        datetime.datetime(year + 1, 1, 1, tzinfo=tz),
    )


def _calls_scope(helsefellesskap=None, rhf=None) -> Q:
    """The calls of a helsefellesskap's own pots and of its RHF's pots, or of all an RHF's pots."""
    if helsefellesskap is not None:
        return Q(pot__helsefellesskap=helsefellesskap) | Q(pot__rhf_id=helsefellesskap.rhf_id, pot__helsefellesskap__isnull=True)
    return Q(pot__rhf=rhf)


def _bodies_scope(helsefellesskap=None, rhf=None) -> Q:
    if helsefellesskap is not None:
        return Q(helsefellesskap=helsefellesskap) | Q(rhf_id=helsefellesskap.rhf_id, helsefellesskap__isnull=True)
    return Q(rhf=rhf) | Q(helsefellesskap__rhf=rhf)


def wheel(year: int, *, helsefellesskap=None, rhf=None) -> list[Event]:
    """The public yearly wheel, soonest first. Five queries, whatever the number of events."""
    start, end = _year_range(year)
    calls = Call.objects.filter(_calls_scope(helsefellesskap, rhf)).exclude(status=Call.Status.DRAFT)
    events: list[Event] = []
    call_ids = list(calls.values_list("pk", flat=True))
    titles = dict(calls.values_list("pk", "title"))
    opened = AuditEvent.objects.filter(action="call.published", object_type=Call._meta.label_lower, object_id__in=[str(c) for c in call_ids], at__gte=start, at__lt=end)
    for row in opened.values("object_id", "at"):
        pk = int(row["object_id"])
        events.append(Event(f"call-{pk}-opening", "opening", titles[pk], timezone.localtime(row["at"]).date(), reverse("applications:call-detail", args=[pk])))
    for deadline in Deadline.objects.filter(call_id__in=call_ids, at__gte=start, at__lt=end).select_related("call"):
        events.append(_deadline_event(deadline))
    meetings = Meeting.objects.filter(body__in=Body.objects.filter(_bodies_scope(helsefellesskap, rhf)), starts_at__gte=start, starts_at__lt=end).select_related("body")
    for meeting in meetings:
        events.append(_meeting_event(meeting))
    decided = (
        Decision.objects.filter(status=Decision.Status.ADOPTED, application__call_id__in=call_ids, concluded_at__gte=start, concluded_at__lt=end)
        .values("body__name", "concluded_at__date")
        .annotate(n=Count("pk"))
    )
    for row in decided:
        day = row["concluded_at__date"]
        events.append(Event(f"decisions-{row['body__name']}-{day:%Y%m%d}", "decision", _("%(body)s vedtok %(n)s saker") % {"body": row["body__name"], "n": row["n"]}, day))
    grants = Q(grant__pot__helsefellesskap=helsefellesskap) | Q(grant__helsefellesskap=helsefellesskap) if helsefellesskap is not None else Q(grant__pot__rhf=rhf)
    dues = ReportDue.objects.filter(grants, due_date__gte=start.date(), due_date__lt=end.date()).values("due_date").annotate(n=Count("pk"))
    for row in dues:
        day = row["due_date"]
        events.append(Event(f"reports-{day:%Y%m%d}", "report", _("%(n)s prosjektrapporter har frist") % {"n": row["n"]}, day))
    return sorted(events, key=_order)


def _order(event: Event):
    start = event.start if not event.all_day else datetime.datetime.combine(event.start, datetime.time.min, tzinfo=timezone.get_current_timezone())
    return (start, event.title)


def _deadline_event(deadline: Deadline) -> Event:
    title = deadline.call.title
    if deadline.label:
        title += f" ({deadline.label})"
    return Event(f"deadline-{deadline.pk}", "deadline", title, deadline.at, reverse("applications:call-detail", args=[deadline.call_id]))


def _meeting_event(meeting: Meeting) -> Event:
    title = meeting.body.name
    if meeting.label:
        title += f" ({meeting.label})"
    return Event(f"meeting-{meeting.pk}", "meeting", title, meeting.starts_at, description=meeting.location)


def personal(user, *, since: datetime.date | None = None) -> list[Event]:
    """The person's own dates from `since` (default: a year back): deadlines of calls they have
    applications in, meetings of their bodies, and reports their organisations owe."""
    since = since or timezone.localdate() - datetime.timedelta(days=365)
    moment = datetime.datetime.combine(since, datetime.time.min, tzinfo=timezone.get_current_timezone())
    events: list[Event] = []
    roles = account_permissions.active_roles(user).filter(kind=OrganisationRole.Kind.APPLICANT)
    municipalities = [r.municipality_id for r in roles if r.municipality_id]
    trusts = [r.trust_id for r in roles if r.trust_id]
    if municipalities or trusts:
        own = Application.objects.filter(Q(participants__municipality_id__in=municipalities) | Q(participants__trust_id__in=trusts))
        for deadline in Deadline.objects.filter(call__in=own.values("call_id"), at__gte=moment).select_related("call"):
            events.append(_deadline_event(deadline))
        dues = ReportDue.objects.filter(Q(grant__municipalities__in=municipalities) | Q(grant__trusts__in=trusts), report__isnull=True, due_date__gte=since)
        for due in dues.select_related("grant").distinct():
            events.append(
                Event(
                    f"report-{due.pk}",
                    "report",
                    _("%(kind)s: %(title)s") % {"kind": due.get_kind_display(), "title": due.grant.title},
                    due.due_date,
                    reverse("followup:grant", args=[due.grant_id]),
                )
            )
        # The three questions a year after the project ends (followup.AfterProject), while unanswered.
        after = AfterProject.objects.filter(Q(grant__municipalities__in=municipalities) | Q(grant__trusts__in=trusts), answered_at__isnull=True, due_date__gte=since)
        for row in after.select_related("grant").distinct():
            events.append(
                Event(
                    f"after-project-{row.pk}",
                    "report",
                    _("Etter prosjektet, tre spørsmål: %(title)s") % {"title": row.grant.title},
                    row.due_date,
                    reverse("followup:after-project", args=[row.grant_id]),
                )
            )
    seats = account_permissions.active_seats(user)
    for meeting in Meeting.objects.filter(body_id__in=seats.values("body_id"), starts_at__gte=moment).select_related("body"):
        event = _meeting_event(meeting)
        event.link = reverse("assessment:meeting", args=[meeting.pk])
        events.append(event)
    return sorted(events, key=_order)


def announced_decision_dates(*, helsefellesskap=None, rhf=None) -> list[tuple[Call, list[str]]]:
    """The decision dates the open calls announce to applicants (Call.decision_dates: free text,
    one per line, e.g. "Vedtak i Tildelingsutvalget 12. juni"), shown beside the wheel as written."""
    calls = Call.objects.filter(_calls_scope(helsefellesskap, rhf), status=Call.Status.PUBLISHED).exclude(decision_dates="").order_by("title")
    return [(call, [line.strip() for line in call.decision_dates.splitlines() if line.strip()]) for call in calls]
