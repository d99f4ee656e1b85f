"""The front page's to-do list: per role, the work waiting for the signed-in person.

One function per role returns that role's sections; `for_user` composes them for all the
roles the person has. Every function reads its data in a fixed number of queries (prefetch
and annotate, never a query per item), so the front page costs the same with one waiting
application as with a hundred. And it reads only what is still open or due: decided
applications, delivered reports, paid requests and settled partner money are filtered out in
SQL, and a long section fetches its first SHOWN items with the count of the rest (`_head`), so
the rows fetched do not grow with the years of history behind the list. The rules are the domain's: what a member may score is
`assessment.domain.scorer` applied in bulk, and a conflicted member never sees the
application among the things to score.

Questions in the thread on an application (applications/thread.py) are waiting for the side
that did not write the last message: the secretariat answers the applicants, and the
applicants the secretariat."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rsportal.accounts import permissions as account_permissions
from rsportal.accounts.models import OrganisationRole
from rsportal.applications import lifecycle
from rsportal.applications.models import Application, Call, Deadline, DraftReview, Message, ProcessStep
from rsportal.applications.permissions import applicant_scopes, communities_for, own_applications
from rsportal.assessment.models import Conflict, Decision, FormalCheck, Meeting, Score
from rsportal.assessment.queries import prioritisations_for
from rsportal.core.formatting import kroner, long_date
from rsportal.followup.models import AfterProject, ReportDue
from rsportal.funding.models import Appropriation, Commitment, Grant, PotYear, Reserve
from rsportal.payments import queries as payment_queries
from rsportal.payments.models import PaymentRequest
from rsportal.registry.models import Body, BodyMember

DECISIONS_SHOWN_DAYS = 60
# A section lists at most this many items and counts the rest in SQL: the front page's cost must
# follow what it shows, not how many old cases a region has, and a list longer than this is read
# on its own page anyway (the section links there).
SHOWN = 10


@dataclass
class Item:
    title: str
    url: str
    deadline: datetime.date | None = None
    state: str = ""
    late: bool = False
    date_label: str = ""  # what the date is when not a deadline: a meeting's day

    @property
    def deadline_text(self) -> str:
        return long_date(self.deadline)

    @property
    def date_heading(self) -> str:
        return self.date_label or _("Frist")


@dataclass
class Section:
    key: str
    title: str
    items: list[Item]
    empty: str  # what is next, shown when there is nothing to do
    total: int | None = None  # when only the first SHOWN items were fetched
    more_url: str = ""  # where the whole list is

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def more(self) -> int:
        return self.count - len(self.items)


@dataclass
class RoleList:
    key: str
    title: str
    sections: list[Section] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(s.count for s in self.sections)


def _date(value) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date()
    return value


def _head(queryset) -> tuple[list, int]:
    """The first SHOWN rows of `queryset` and how many it has in all, in one query: the count is
    a window over the whole result, taken before the limit. The queryset must not be DISTINCT
    (the window would count the duplicates): narrow it with `pk__in` rather than with joins."""
    rows = list(queryset.annotate(rows_in_all=Window(Count("pk")))[:SHOWN])
    return rows, (rows[0].rows_in_all if rows else 0)


def _decided():
    """An adopted decision on the application (in a filter on applications): it closes the
    application whatever its stored status (`applications.lifecycle`), so there is nothing
    left to check, score or wait for."""
    return Exists(Decision.objects.filter(application=OuterRef("pk"), status=Decision.Status.ADOPTED))


def _waiting_questions(applications, *, from_applicants: bool) -> tuple[list[Item], int]:
    """Applications whose last message in the thread came from the applicants (for the
    secretariat) or from the secretariat (for the applicants): the first SHOWN, oldest
    question first, and how many in all. One query."""
    last = Message.objects.filter(application=OuterRef("pk"), kind=Message.Kind.SHARED).order_by("-created_at", "-pk")
    rows, total = _head(
        Application.objects.filter(pk__in=applications.values("pk"))
        .annotate(last_from=Subquery(last.values("from_applicants")[:1]), last_at=Subquery(last.values("created_at")[:1]))
        .filter(last_from=from_applicants)
        .order_by("last_at", "pk")
        .only("pk", "title")
    )
    items = [Item(a.title, reverse("applications:thread", args=[a.pk]), None, _("Skrevet %(date)s") % {"date": long_date(a.last_at)}) for a in rows]
    return items, total


def _next_deadline(call_ids) -> datetime.date | None:
    """The next application deadline of the given calls (or of all published calls)."""
    deadlines = Deadline.objects.filter(at__gte=timezone.now(), call__status=Call.Status.PUBLISHED)
    if call_ids is not None:
        deadlines = deadlines.filter(call_id__in=call_ids)
    first = deadlines.order_by("at").values_list("at", flat=True).first()
    return _date(first)


def _calls_open_to(user):
    """Ids of the calls the applicant's organisations may apply to: their helsefellesskap's own
    calls and their RHF's regional ones (the same rule the call page uses to offer "start")."""
    communities = communities_for(user)
    return Call.objects.filter(
        Q(pot__helsefellesskap__in=communities) | Q(pot__helsefellesskap__isnull=True, pot__rhf__in=communities.values("rhf_id"))
    ).values("pk")


def _next_text(prefix: str, day: datetime.date | None) -> str:
    if day is None:
        return prefix + " " + _("Ingen nye søknadsfrister er satt.")
    return prefix + " " + _("Neste søknadsfrist: %(date)s.") % {"date": long_date(day)}


# --- the applicant -------------------------------------------------------------------


def applicant(user) -> list[Section]:
    """Drafts with the call's deadline, applications awaiting a decision, decisions of the
    last 60 days (with the letter) and reports due or overdue. Each list is read from what is
    still open (or decided lately), the first SHOWN items with the count: the applicant's
    decided applications and delivered reports of past years are never fetched."""
    now = timezone.now()
    since = now - datetime.timedelta(days=DECISIONS_SHOWN_DAYS)
    own = own_applications(user)
    mine = own.values("pk")
    # The states of `lifecycle`: an adopted decision closes the application whatever its stored status.
    undecided = Application.objects.filter(pk__in=mine).filter(~_decided())
    next_at = Deadline.objects.filter(call=OuterRef("call_id"), at__gte=now).order_by("at").values("at")[:1]
    rows, drafts_total = _head(
        undecided.filter(status__in=lifecycle.EDITABLE)
        .annotate(next_at=Subquery(next_at))
        .order_by(F("next_at").asc(nulls_last=True), "-updated_at", "pk")
        .only("pk", "title", "status")
    )
    drafts = [Item(a.title, reverse("applications:edit", args=[a.pk]), _date(a.next_at), str(lifecycle.LABELS[a.status])) for a in rows]
    rows, waiting_total = _head(undecided.filter(status=Application.Status.SUBMITTED).order_by("-updated_at", "pk").only("pk", "title"))
    # A vote in progress is the deciding body's business: the applicant sees "submitted" (lifecycle.label).
    waiting = [Item(a.title, reverse("applications:detail", args=[a.pk]), None, str(lifecycle.LABELS[lifecycle.SUBMITTED])) for a in rows]
    rows, decided_total = _head(
        Decision.objects.filter(application__in=mine, status=Decision.Status.ADOPTED, concluded_at__gte=since)
        .select_related("application")
        .order_by("-concluded_at", "pk")
        .only("pk", "outcome", "concluded_at", "application__title")
    )
    decided = [
        Item(d.application.title, reverse("assessment:letter-pdf", args=[d.pk]), None, f"{lifecycle.LABELS[lifecycle.GRANTED if d.outcome in Decision.GRANTING else lifecycle.NOT_GRANTED]} {long_date(d.concluded_at)}")
        for d in rows
    ]

    municipalities, trusts = applicant_scopes(user)
    owned = Grant.objects.filter(Q(municipalities__in=municipalities) | Q(trusts__in=trusts)).values("pk")
    today = timezone.localdate()
    # Per grant the first report not delivered (followup.queries.own_grants' `next_due`), in SQL.
    undelivered = ReportDue.objects.filter(report__isnull=True, received_elsewhere="")
    earlier = undelivered.filter(grant=OuterRef("grant_id")).filter(Q(due_date__lt=OuterRef("due_date")) | Q(due_date=OuterRef("due_date"), pk__lt=OuterRef("pk")))
    rows, dues_total = _head(
        undelivered.filter(grant_id__in=owned).filter(~Exists(earlier)).select_related("grant").order_by("due_date", "pk").only("pk", "kind", "due_date", "grant__title")
    )
    reports = [
        Item(d.grant.title, reverse("followup:report-new", args=[d.grant_id]), d.due_date, _("Forsinket") if d.due_date < today else str(d.get_kind_display()), d.due_date < today)
        for d in rows
    ]
    # The three questions one year after the project: listed from a month before the deadline.
    after = AfterProject.objects.filter(grant__in=owned, answered_at__isnull=True, due_date__lte=today + datetime.timedelta(days=30))
    rows, after_total = _head(after.select_related("grant").order_by("due_date", "pk").only("pk", "due_date", "grant__title"))
    reports += [
        Item(a.grant.title, reverse("followup:after-project", args=[a.grant_id]), a.due_date, _("Forsinket") if a.due_date < today else _("Etter prosjektet: tre spørsmål"), a.due_date < today)
        for a in rows
    ]
    reports = sorted(reports, key=lambda i: i.deadline)[:SHOWN]
    transfers = _overdue_transfers(Q(grant_id__in=owned))
    next_deadline = _next_deadline(_calls_open_to(user))
    questions, questions_total = _waiting_questions(own, from_applicants=False)
    everything = reverse("applications:mine")
    return [
        Section("drafts", _("Utkast"), drafts, _next_text(_("Du har ingen utkast."), next_deadline), drafts_total, everything),
        Section(
            "questions",
            _("Svar og spørsmål fra sekretariatet"),
            questions,
            _("Ingen meldinger fra sekretariatet venter på svar. Spørsmål stiller du under «Spørsmål og svar» på søknaden."),
            questions_total,
            everything,
        ),
        Section("waiting", _("Sendt inn, venter på vedtak"), waiting, _("Ingen søknader venter på vedtak."), waiting_total, everything),
        Section("decisions", _("Vedtak de siste 60 dagene"), decided, _("Ingen nye vedtak. Vedtaket kommer som brev her når organet har behandlet søknaden."), decided_total, everything),
        Section(
            "reports",
            _("Rapporter som skal leveres"),
            reports,
            _("Ingen rapporter venter. Prosjekter med tilskudd får rapportfrister når tilsagnet er gitt."),
            dues_total + after_total,
            reverse("followup:overview"),
        ),
        Section("transfers_overdue", _("Overføringer til partnere over fristen"), transfers, _("Ingen partnere venter på penger over fristen.")),
    ]


def _overdue_transfers(grants: Q) -> list[Item]:
    """Partners' invoices the owner has not covered in time (payments.queries.overdue_transfers)."""
    return [
        Item(
            f"{grant.title}: {partner.name}",
            reverse("payments:grant", args=[grant.pk]),
            None,
            _("%(amount)s for %(year)s er ikke overført") % {"amount": kroner(amount), "year": year},
            True,
        )
        for grant, partner, year, amount in payment_queries.overdue_transfers(grants)
    ]


# --- the secretariat ------------------------------------------------------------------


def _secretariat_scope(user):
    """The calls a secretariat seat works on: the pots it manages and the calls where its
    body is named in a step (the formal check, for example)."""
    seats = list(account_permissions.active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT).values_list("body_id", "body__rhf_id", "body__helsefellesskap_id"))
    bodies = [b for b, _r, _h in seats]
    rhfs = [r for _b, r, _h in seats if r]
    communities = [h for _b, _r, h in seats if h]
    calls = Q(call__pot__rhf_id__in=rhfs) | Q(call__pot__helsefellesskap_id__in=communities) | Q(call__steps__body_id__in=bodies)
    return bodies, rhfs, communities, calls


def _prioritised_calls():
    return ProcessStep.objects.filter(step=ProcessStep.Step.LOCAL_PRIORITISATION).values("call_id")


def secretariat(user) -> list[Section]:
    """Applications waiting for the formal check, local prioritisations to do, reports overdue
    for the grants it manages and its meetings coming up."""
    bodies, rhfs, communities, in_calls = _secretariat_scope(user)
    today = timezone.localdate()
    unchecked = (
        Application.objects.filter(in_calls, status=Application.Status.SUBMITTED, formal_check__isnull=True)
        .filter(~_decided())
        .exclude(call__status=Call.Status.DRAFT)
        .filter(Q(call__steps__step=ProcessStep.Step.FORMAL_CHECK))
        # Where the communities prioritise first, only what they have forwarded (domain.candidates).
        .filter(Q(forwarding__isnull=False) | ~Q(call_id__in=_prioritised_calls()))
        .distinct()
    )
    rows, checks_total = _head(Application.objects.filter(pk__in=unchecked.values("pk")).order_by("submitted_at", "pk").only("pk", "title", "submitted_at"))
    checks = [Item(a.title, reverse("assessment:formal-check", args=[a.pk]), None, _("Sendt inn %(date)s") % {"date": long_date(_date(a.submitted_at))}) for a in rows]
    call_ids = Call.objects.filter(Q(pot__rhf_id__in=rhfs) | Q(pot__helsefellesskap_id__in=communities) | Q(steps__body_id__in=bodies)).values("pk")

    pairs = prioritisations_for(user, waiting_only=True)
    waiting = {}
    if pairs:
        waiting = {
            (row["call_id"], row["helsefellesskap_id"]): row["n"]
            for row in Application.objects.filter(
                call__in=[c for c, _hf in pairs], helsefellesskap__in=[hf for _c, hf in pairs], status=Application.Status.SUBMITTED, forwarding__isnull=True
            )
            .values("call_id", "helsefellesskap_id")
            .annotate(n=Count("pk"))
            .order_by()
        }
    prioritise = [
        Item(
            f"{call.title} – {hf.name}",
            reverse("assessment:prioritise", args=[call.pk, hf.code]),
            None,
            ngettext("%(n)s søknad er ikke sendt videre", "%(n)s søknader er ikke sendt videre", waiting[(call.pk, hf.pk)]) % {"n": waiting[(call.pk, hf.pk)]},
        )
        for call, hf in pairs
        if waiting.get((call.pk, hf.pk))
    ]

    late = (
        ReportDue.objects.filter(due_date__lt=today, report__isnull=True, received_elsewhere="")
        .filter(Q(grant__pot__rhf_id__in=rhfs) | Q(grant__pot__helsefellesskap_id__in=communities) | Q(grant__helsefellesskap_id__in=communities))
        .distinct()
    )
    overdue, overdue_total = _head(ReportDue.objects.filter(pk__in=late.values("pk")).select_related("grant").order_by("due_date", "pk"))
    reports = [Item(d.grant.title, reverse("followup:grant", args=[d.grant_id]), d.due_date, _("Forsinket"), True) for d in overdue]

    managed = Q(grant__pot__rhf_id__in=rhfs) | Q(grant__pot__helsefellesskap_id__in=communities) | Q(grant__helsefellesskap_id__in=communities)
    # Those the person asked for or typed in are left out: someone else must approve them.
    open_requests = PaymentRequest.objects.filter(managed, status=PaymentRequest.Status.SUBMITTED).exclude(requested_by=user).exclude(registered_by=user)
    rows, requests_total = _head(open_requests.select_related("grant").order_by("submitted_at", "pk"))
    requests = [
        Item(r.grant.title, reverse("payments:request", args=[r.pk]), None, _("%(amount)s for %(year)s, sendt inn %(date)s") % {"amount": kroner(r.amount), "year": r.year, "date": long_date(r.submitted_at)})
        for r in rows
    ]
    transfers = _overdue_transfers(Q(grant_id__in=Grant.objects.filter(Q(pot__rhf_id__in=rhfs) | Q(pot__helsefellesskap_id__in=communities) | Q(helsefellesskap_id__in=communities)).values("pk")))

    meetings = [
        Item(_meeting_title(m), reverse("assessment:meeting", args=[m.pk]), _date(m.starts_at), m.location, date_label=_("Møtedato"))
        for m in Meeting.objects.filter(starts_at__gte=timezone.now()).filter(Q(call_id__in=call_ids) | Q(body_id__in=bodies)).select_related("body", "call").distinct().order_by("starts_at")[:5]
    ]
    next_deadline = _next_deadline(call_ids)
    # The receiving communities' applications, and those of the pots it manages: once sent in, or while the authors invite a reading.
    mine = Application.objects.filter(Q(helsefellesskap_id__in=communities) | Q(call__pot__rhf_id__in=rhfs) | Q(call__pot__helsefellesskap_id__in=communities))
    mine = mine.filter(Q(submitted_at__isnull=False) | Q(status=Application.Status.SUBMITTED) | Q(pk__in=DraftReview.objects.values("application_id")))
    questions, questions_total = _waiting_questions(mine, from_applicants=True)
    from rsportal.ideas.models import Idea

    lonely = Idea.objects.filter(helsefellesskap_id__in=communities, looking_for_partners=True, application__isnull=True, partners__isnull=True)
    rows, ideas_total = _head(Idea.objects.filter(pk__in=lonely.values("pk")).select_related("municipality", "trust").order_by("created_at", "pk"))
    ideas = [
        Item(idea.title, reverse("ideas:detail", args=[idea.pk]), None, _("Fra %(org)s, registrert %(date)s") % {"org": idea.organisation, "date": long_date(_date(idea.created_at))})
        for idea in rows
    ]
    return [
        Section("formal_check", _("Søknader til formell kontroll"), checks, _next_text(_("Ingen søknader venter på formell kontroll."), next_deadline), checks_total),
        Section("questions", _("Spørsmål fra søkerne"), questions, _("Ingen spørsmål fra søkerne venter på svar."), questions_total),
        Section("prioritise", _("Prioriteringer å gjøre"), prioritise, _("Ingen søknader venter på prioritering i helsefellesskapet.")),
        Section("reports_overdue", _("Rapporter over fristen"), reports, _("Ingen rapporter er over fristen."), overdue_total, reverse("followup:overview")),
        Section("payment_requests", _("Utbetalingsanmodninger å behandle"), requests, _("Ingen utbetalingsanmodninger venter på behandling."), requests_total, reverse("payments:list")),
        Section("transfers_overdue", _("Overføringer til partnere over fristen"), transfers, _("Ingen partnere venter på penger over fristen.")),
        Section("meetings", _("Møter framover"), meetings, _("Ingen møter er satt opp. Møter settes opp fra utlysningens side under Behandling.")),
        Section("ideas", _("Prosjektidéer som søker partnere"), ideas, _("Ingen idéer venter på forslag om partnere."), ideas_total, reverse("ideas:list")),
    ]


def _meeting_title(meeting: Meeting) -> str:
    return _("%(body)s: %(call)s") % {"body": meeting.body.name, "call": meeting.call.title}


# --- the committee member --------------------------------------------------------------


def _scoring_bodies(call_ids) -> dict[int, int]:
    """Per call the body that scores: the scoring step's, else the deciding body's
    (`assessment.domain.scoring_body`), for many calls in one query."""
    steps: dict[int, dict[str, int]] = {}
    for call_id, step, body_id in ProcessStep.objects.filter(call_id__in=call_ids, body__isnull=False).values_list("call_id", "step", "body_id"):
        steps.setdefault(call_id, {})[step] = body_id
    result = {}
    for call_id, configured in steps.items():
        body = configured.get(ProcessStep.Step.SCORING) or configured.get(ProcessStep.Step.DECISION)
        if body:
            result[call_id] = body
    return result


def _named(member: BodyMember, application: Application) -> bool:
    """`assessment.domain._named` on prefetched participants, without a query."""
    name = member.name.strip().lower()
    email = (member.user.email if member.user_id else "").lower()
    texts = [application.project_owners, *(f"{p.contact_name} {p.contact_email}" for p in application.participants.all())]
    haystack = " ".join(t.lower() for t in texts if t)
    return bool(name and name in haystack) or bool(email and email in haystack)


def _conflicts_to_decide(user, seats: dict[int, BodyMember]) -> list[Item]:
    """Pending conflicts the user decides: `assessment.meeting_rules.conflict_deciders` in bulk.
    The leader decides unless conflicted in the same application or the conflict is theirs;
    then the deputy. (When neither may, the body votes on the conflicts page.)"""
    leading = [b for b, s in seats.items() if s.role in (BodyMember.Role.LEADER, BodyMember.Role.DEPUTY)]
    if not leading:
        return []
    pending = list(
        Conflict.objects.filter(status=Conflict.Status.PENDING, member__body_id__in=leading).select_related("application", "member").order_by("application__call_id", "pk")
    )
    blocked: dict[int, set[int]] = {}
    for application_id, member_id in (
        Conflict.objects.filter(application__in={c.application_id for c in pending}).exclude(status=Conflict.Status.DISMISSED).values_list("application_id", "member_id")
    ):
        blocked.setdefault(application_id, set()).add(member_id)
    chairs = list(
        BodyMember.objects.active_on(timezone.localdate()).filter(body_id__in=leading, role__in=[BodyMember.Role.LEADER, BodyMember.Role.DEPUTY]).values_list("body_id", "role", "pk", "user_id")
    )
    items = []
    for conflict in pending:
        taken = blocked.get(conflict.application_id, set()) | {conflict.member_id}
        deciders = []
        for role in (BodyMember.Role.LEADER, BodyMember.Role.DEPUTY):
            deciders = [user_id for body, r, pk, user_id in chairs if body == conflict.member.body_id and r == role and pk not in taken]
            if deciders:
                break
        if user.pk in deciders:
            items.append(Item(f"{conflict.member.name}: {conflict.application.title}", reverse("assessment:conflicts", args=[conflict.application.call_id]), None, conflict.reason))
    return items


def committee(user) -> list[Section]:
    """Applications to score, possible conflicts to declare, conflicts to decide (leader and
    deputy) and the next meeting of the member's bodies."""
    seats = {s.body_id: s for s in account_permissions.active_seats(user).exclude(body__kind=Body.Kind.SECRETARIAT).select_related("user", "body")}
    # The calls the member's bodies score (`assessment.domain.scoring_body`: the scoring step's
    # body, else the deciding body's), as a condition on the applications: only the calls of
    # applications still to be assessed are read, not every call the bodies ever had a part in.
    step = ProcessStep.objects.filter(call=OuterRef("call_id"), body__isnull=False)
    scored_by_a_seat = Exists(step.filter(step=ProcessStep.Step.SCORING, body_id__in=seats)) | (
        ~Exists(step.filter(step=ProcessStep.Step.SCORING)) & Exists(step.filter(step=ProcessStep.Step.DECISION, body_id__in=seats))
    )
    candidates = list(
        Application.objects.filter(scored_by_a_seat, status=Application.Status.SUBMITTED)
        .exclude(call__status=Call.Status.DRAFT)
        # Decided: nothing is left to score or declare (the state is lifecycle's: an adopted decision closes it).
        .filter(~_decided())
        .filter(Q(forwarding__isnull=False) | ~Q(call_id__in=_prioritised_calls()))
        # Scored after the formal check where the call has one, never when it was found ineligible.
        .filter((Q(formal_check__isnull=False) & ~Q(formal_check__outcome=FormalCheck.Outcome.REJECTED)) | ~Q(call_id__in=ProcessStep.objects.filter(step=ProcessStep.Step.FORMAL_CHECK).values("call_id")))
        .select_related("call")
        .prefetch_related("conflicts", "participants")
        .order_by("call_id", "pk")
    )
    call_ids = {a.call_id for a in candidates}
    scoring = {call: body for call, body in _scoring_bodies(call_ids).items() if body in seats} if call_ids else {}
    candidates = [a for a in candidates if a.call_id in scoring]
    criteria = dict(Call.objects.filter(pk__in=scoring).annotate(n=Count("criteria")).values_list("pk", "n")) if scoring else {}
    mine = dict(
        Score.objects.filter(application__in=[a.pk for a in candidates], member__in=[s.pk for s in seats.values()])
        .values("application_id", "member_id")
        .annotate(n=Count("pk"))
        .values_list("application_id", "n")
    )
    to_score, to_declare = [], []
    for application in candidates:
        member = seats[scoring[application.call_id]]
        rows = {c.member_id: c for c in application.conflicts.all()}
        conflict = rows.get(member.pk)
        if conflict is not None and conflict.blocks:
            continue  # a conflicted member never sees the application among the things to score
        if member.voting and mine.get(application.pk, 0) < criteria.get(application.call_id, 0):
            to_score.append(
                Item(application.title, reverse("assessment:score", args=[application.pk]), None, _("%(n)s av %(m)s kriterier") % {"n": mine.get(application.pk, 0), "m": criteria[application.call_id]})
            )
        if conflict is None:
            municipalities = {p.municipality_id for p in application.participants.all() if p.municipality_id}
            trusts = {p.trust_id for p in application.participants.all() if p.trust_id}
            if member.municipality_id in municipalities or member.trust_id in trusts or _named(member, application):
                to_declare.append(Item(application.title, reverse("assessment:conflicts", args=[application.call_id]), None, _("Mulig inhabil")))

    decide = _conflicts_to_decide(user, seats)
    meeting = Meeting.objects.filter(body_id__in=seats, starts_at__gte=timezone.now()).select_related("body", "call").order_by("starts_at").first()
    meetings = [Item(_meeting_title(meeting), reverse("assessment:meeting", args=[meeting.pk]), _date(meeting.starts_at), meeting.location, date_label=_("Møtedato"))] if meeting else []
    sections = []
    # Observers and minute-takers do not score, and only the leader and deputy decide conflicts.
    if any(s.voting for s in seats.values()):
        sections.append(Section("score", _("Søknader å gi poeng"), to_score, _("Ingen søknader venter på poengene dine. Du får dem her når søknadene er sendt videre til utvalget.")))
    sections.append(Section("declare", _("Mulig inhabilitet å melde"), to_declare, _("Ingen søknader der du kan være inhabil. Meld fra på habilitetssiden om du kjenner til noe.")))
    if any(s.role in (BodyMember.Role.LEADER, BodyMember.Role.DEPUTY) for s in seats.values()):
        sections.append(Section("decide", _("Habilitet å avgjøre"), decide, _("Ingen habilitetsspørsmål venter på din avgjørelse.")))
    sections.append(Section("meeting", _("Neste møte"), meetings, _("Ingen møter er satt opp ennå. Sekretariatet kaller inn.")))
    return sections


# --- the RHF administrator -------------------------------------------------------------


def rhf_admin(user) -> list[Section]:
    """Pots with free money this year and next, expected appropriations not yet passed,
    conditional commitments to confirm and the annual report to the ministry."""
    rhfs = list(account_permissions.active_roles(user).filter(kind=OrganisationRole.Kind.RHF_ADMIN).select_related("rhf").values_list("rhf_id", "rhf__code", "rhf__name"))
    rhf_ids = [r for r, _c, _n in rhfs]
    year = timezone.localdate().year
    committed = Commitment.objects.filter(pot_year=OuterRef("pk"), status__in=Commitment.ACTIVE).order_by().values("pot_year").annotate(s=Sum("amount")).values("s")
    reserved = Reserve.objects.filter(pot_year=OuterRef("pk")).order_by().values("pot_year").annotate(s=Sum("amount")).values("s")
    years = (
        PotYear.objects.filter(pot__rhf_id__in=rhf_ids, year__in=[year, year + 1])
        .select_related("pot")
        .annotate(used=Coalesce(Subquery(committed), Value(0)) + Coalesce(Subquery(reserved), Value(0)))
        .annotate(free=F("frame") - F("used"))
        .filter(free__gt=0)
        .order_by("year", "pot__name")
    )
    pots = [Item(f"{py.pot.name} {py.year}", reverse("money:pot-detail", args=[py.pot_id]), None, _("%(amount)s ledig") % {"amount": kroner(py.free)}) for py in years]
    expected = [
        Item(str(a), reverse("money:appropriation-detail", args=[a.pk]), None, kroner(a.amount))
        for a in Appropriation.objects.filter(expected=True).filter(Q(rhf_id__in=rhf_ids) | Q(shares__rhf_id__in=rhf_ids)).distinct().order_by("year", "name")
    ]
    # One item per year with conditional commitments, the earliest first; the years are counted in the same query.
    per_year = list(
        Commitment.objects.filter(status=Commitment.Status.CONDITIONAL, pot_year__pot__rhf_id__in=rhf_ids)
        .values("pot_year__year")
        .annotate(n=Count("pk"), total=Sum("amount"), years=Window(Count("pot_year__year")))
        .order_by("pot_year__year")[:SHOWN]
    )
    conditional_total = per_year[0]["years"] if per_year else 0
    conditional = [
        Item(_("Betingede tilsagn %(year)s") % {"year": row["pot_year__year"]}, reverse("money:conditional") + f"?ar={row['pot_year__year']}", None, _("%(n)s tilsagn, %(amount)s") % {"n": row["n"], "amount": kroner(row["total"])})
        for row in per_year
    ]
    # The annual report has no deadline in the data: listed per RHF for last year, without one.
    annual = [Item(_("Årsrapport %(year)s – %(rhf)s") % {"year": year - 1, "rhf": name}, reverse("followup:overview"), None, "") for _r, _code, name in rhfs]
    return [
        Section("headroom", _("Potter med ledige midler"), pots, _("Ingen potter har ledige midler i %(year)s eller %(next)s.") % {"year": year, "next": year + 1}),
        Section("expected", _("Forventede bevilgninger som ikke er vedtatt"), expected, _("Alle bokførte bevilgninger er vedtatt.")),
        Section("conditional", _("Betingede tilsagn å bekrefte"), conditional, _("Ingen betingede tilsagn venter på bekreftelse."), conditional_total, reverse("money:conditional")),
        Section("annual", _("Rapporter til departementet"), annual, _("Ingen rapporter til departementet venter.")),
    ]


# --- composed for the signed-in person ---------------------------------------------------


def for_user(user) -> list[RoleList]:
    """The to-do list of every role the person has, in the order of the work's path."""
    if not user.is_authenticated:
        return []
    kinds = set(account_permissions.active_seats(user).values_list("body__kind", flat=True))
    lists = []
    municipalities, trusts = applicant_scopes(user)
    if municipalities or trusts:
        lists.append(RoleList("applicant", _("Som søker"), applicant(user)))
    if Body.Kind.SECRETARIAT in kinds:
        lists.append(RoleList("secretariat", _("Som sekretariat"), secretariat(user)))
    if kinds - {Body.Kind.SECRETARIAT}:
        lists.append(RoleList("committee", _("Som medlem av utvalg"), committee(user)))
    if account_permissions.active_roles(user).filter(kind=OrganisationRole.Kind.RHF_ADMIN).exists():
        lists.append(RoleList("rhf_admin", _("Som RHF-administrator"), rhf_admin(user)))
    return lists
