"""Read-side queries of the assessment, for pages that show many applications at once.

The rules live in `domain`; the functions here apply the same rules to a whole list of
applications with a fixed number of queries, so a page costs the same whether a call has
one application or a hundred."""

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import translation

from rsportal.accounts import permissions as account_permissions
from rsportal.accounts.models import OrganisationRole
from rsportal.applications.models import Application, BudgetLine, Call, Participant, ProcessStep
from rsportal.core import datacache
from rsportal.registry.models import Body, BodyMember

from . import domain, visibility
from .models import Conflict, Decision, Score


@dataclass
class ScoreAccess:
    """Who the user is in the call's scoring, and which applications' scores they may see."""

    member: BodyMember | None
    manages: bool
    visible: set[int] = field(default_factory=set)  # application ids
    optimiser: bool = False  # may see the optimiser's proposal: it weighs every candidate, so none may be hidden

    def may_see(self, application: Application) -> bool:
        return application.pk in self.visible


def score_access(user, call: Call, applications: list[Application], criteria_count: int | None = None, *, facts: visibility.Viewer | None = None) -> ScoreAccess:
    """`domain.may_see_scores` for every application of one call, in a fixed number of queries:
    the `scores` part of `visibility.what_may_see_all`, where the rule lives.

    The applications must belong to `call` and have `conflicts` and `participants` prefetched.
    `facts` (the user's `visibility.viewer`) saves its queries when the caller already has them."""
    facts = facts or visibility.viewer(user)
    seen = visibility.what_may_see_all(user, call, applications, criteria_count=criteria_count, facts=facts)
    # The user's seat in the scoring body (domain.seat of domain.scoring_body), from the facts the
    # rule read: no query when the call's steps are prefetched.
    body_id = visibility.call_facts(call).scoring_body
    member = facts.seats.get(body_id) if body_id is not None else None
    access = ScoreAccess(member=member, manages=domain.manages(user, call))
    access.visible = {pk for pk, v in seen.items() if v.scores}
    access.optimiser = all(v.optimiser for v in seen.values())
    return access


def own_participants(facts: visibility.Viewer) -> Prefetch:
    """The `participants` prefetch the rule needs for a list of applications: it only asks whether
    the user is among the authors (`visibility._is_author`), so only the participants of the
    user's own organisations are read, and none for a user who is no applicant. The answer is
    the same as with every participant; the rows do not grow with the applications' partners."""
    mine = Q(municipality_id__in=facts.municipalities) | Q(trust_id__in=facts.trusts)
    rows = Participant.objects.filter(mine) if (facts.municipalities or facts.trusts) else Participant.objects.none()
    return Prefetch("participants", queryset=rows.only("id", "application_id", "municipality_id", "trust_id").order_by())


def own_conflicts(facts: visibility.Viewer) -> Prefetch:
    """The `conflicts` prefetch the rule needs for a list of applications: it only asks whether
    one of the user's own seats is conflicted (`visibility._decide`), so only the conflicts of
    those seats are read. Pages that show the number of conflicts count them in the database."""
    return Prefetch("conflicts", queryset=Conflict.objects.filter(member_id__in=facts.seat_ids).order_by())


def ranking_page_applications(call: Call, facts: visibility.Viewer) -> list[Application]:
    """The candidates of a call with the columns the ranking page and the proposal read: per
    application the number of municipalities taking part (`municipality_count`) and the grant
    applied for per year (`applied_years`, as `Application.applied_by_year`), summed in the
    database rather than read line by line."""
    municipalities = (
        Participant.objects.filter(application=OuterRef("pk"), municipality__isnull=False)
        .order_by()
        .values("application")
        .annotate(n=Count("municipality", distinct=True))
        .values("n")
    )
    applications = list(
        domain.candidates(call)
        .select_related("helsefellesskap", "forwarding")
        .only(
            "id", "call_id", "helsefellesskap_id", "type", "status", "submitted_at", "title", "case_number", "patient_groups",
            "helsefellesskap__id", "helsefellesskap__code", "helsefellesskap__name", "forwarding__id", "forwarding__application_id", "forwarding__joint",
        )
        .annotate(municipality_count=Coalesce(Subquery(municipalities), 0))
        .prefetch_related(own_conflicts(facts), own_participants(facts))
    )
    years: dict[int, dict[int, int]] = {}
    for application_id, year, total in (
        BudgetLine.objects.filter(application__in=[a.pk for a in applications], kind=BudgetLine.Kind.GRANT)
        .order_by("application_id", "year")
        .values("application_id", "year")
        .annotate(total=Sum("amount"))
        .values_list("application_id", "year", "total")
    ):
        years.setdefault(application_id, {})[year] = total
    for application in applications:
        application.applied_years = years.get(application.pk, {})
    return applications


def ranking_applications(call: Call) -> list[Application]:
    """The candidates of a call with everything the ranking page and the proposal read."""
    return list(
        domain.candidates(call)
        .select_related("helsefellesskap", "forwarding")
        .prefetch_related("conflicts", "budget_lines", "participants")
    )


def overview_applications(call: Call, facts: visibility.Viewer) -> list[Application]:
    """The candidates of a call with what the call overview shows: the columns of its table, the
    number of members who scored (`scorer_count`) and of conflicts flagged (`conflict_count`), and of the decisions only the
    adopted ones (the only ones it shows, through `visibility.published_decision`)."""
    scorers = Score.objects.filter(application=OuterRef("pk")).order_by().values("application").annotate(n=Count("member", distinct=True)).values("n")
    flags = Conflict.objects.filter(application=OuterRef("pk")).order_by().values("application").annotate(n=Count("pk")).values("n")
    return list(
        domain.candidates(call)
        .select_related("helsefellesskap", "formal_check", "forwarding")
        .only(
            "id", "call_id", "helsefellesskap_id", "type", "status", "submitted_at", "title", "case_number",
            "helsefellesskap__id", "helsefellesskap__name",
            "formal_check__id", "formal_check__application_id", "formal_check__outcome",
            "forwarding__id", "forwarding__application_id", "forwarding__joint", "forwarding__rank",
        )
        .annotate(scorer_count=Coalesce(Subquery(scorers), 0), conflict_count=Coalesce(Subquery(flags), 0))
        .prefetch_related(own_conflicts(facts), Prefetch("decisions", queryset=Decision.objects.filter(status=Decision.Status.ADOPTED)), own_participants(facts))
        .order_by("helsefellesskap__name", "forwarding__joint", "forwarding__rank", "pk")
    )


def score_totals(applications: list[Application]) -> tuple[list[tuple[int, int, int, int]], dict[int, int]]:
    """Per application and criterion the sum and number of scores, and per application the
    number of members who scored it: what `ranking.build_from_totals` needs, in two queries."""
    scores = Score.objects.filter(application__in=[a.pk for a in applications]).order_by()
    totals = list(scores.values("application_id", "criterion_id").annotate(total=Sum("value"), n=Count("pk")).values_list("application_id", "criterion_id", "total", "n"))
    scorers = dict(scores.values("application_id").annotate(n=Count("member_id", distinct=True)).values_list("application_id", "n"))
    return totals, scorers


def score_table(applications: list[Application], criteria) -> tuple[list[tuple[int, int, int, int]], dict[int, int]]:
    """`score_totals` in one query with one row per application: the sum and number of scores
    of each criterion side by side, and the number of members who scored."""
    aggregates = {}
    for criterion in criteria:
        aggregates[f"sum_{criterion.pk}"] = Sum("value", filter=Q(criterion_id=criterion.pk))
        aggregates[f"n_{criterion.pk}"] = Count("pk", filter=Q(criterion_id=criterion.pk))
    rows = (
        Score.objects.filter(application__in=[a.pk for a in applications])
        .order_by()
        .values("application_id")
        .annotate(scorers=Count("member_id", distinct=True), **aggregates)
    )
    totals, scorers = [], {}
    for row in rows:
        scorers[row["application_id"]] = row["scorers"]
        totals.extend((row["application_id"], c.pk, row[f"sum_{c.pk}"], row[f"n_{c.pk}"]) for c in criteria if row[f"n_{c.pk}"])
    return totals, scorers


def detailed_scores(applications: list[Application]):
    """Every score with member, criterion and application, for the Excel download."""
    return Score.objects.filter(application__in=[a.pk for a in applications]).select_related("member", "criterion", "application")


def covered_patient_groups(call: Call) -> set[str]:
    """Prioritised patient groups that already have a granted project from the call's pot, from
    another call: the call's own grants are what its proposal decides, not what came before it.

    Every granted application of the pot over all its years counts, so the answer is kept until a
    decision or an application changes (core.datacache) rather than read again on every request."""
    return datacache.get_or_build("covered-groups", (call.pot_id, call.pk), lambda: _covered_patient_groups(call))


def _covered_patient_groups(call: Call) -> set[str]:
    covered: set[str] = set()
    # Distinct lists of groups: a handful of rows however many projects the pot has granted.
    for groups in (
        Application.objects.filter(call__pot=call.pot, decisions__status=Decision.Status.ADOPTED, decisions__outcome__in=Decision.GRANTING)
        .exclude(call=call)
        .order_by()
        .values_list("patient_groups", flat=True)
        .distinct()
    ):
        covered.update(groups or [])
    return covered


PROPOSAL_CACHE_SECONDS = 60 * 60


def _fields(candidate) -> dict:
    """A candidate's fields as `asdict` gives them, without its deep copy of every value: the
    values are numbers, text, tuples and frozensets, which the fingerprint's JSON reads as they are."""
    return {f.name: getattr(candidate, f.name) for f in fields(candidate)}


def proposal(candidates, rules):
    """The optimiser's proposal, solved once per distinct input.

    The cache key is a digest of everything the optimiser reads (every candidate with its
    score and amount, the frame, the caps, the population shares, earlier allocations, the
    weights and the uncovered groups) plus the language of the reasons, the solver version and
    the model's formulation version.
    A new score, decision or frame changes the input and so the key: a cached proposal is
    always the one a fresh solve of the same data would give, only without the wait."""
    from . import optimiser

    fingerprint = json.dumps(
        [translation.get_language(), optimiser._highs_version(), optimiser.FORMULATION, sorted((_fields(c) for c in candidates), key=lambda c: c["key"]), asdict(rules)],
        sort_keys=True,
        default=sorted,  # the frozensets of patient groups, in a stable order
    )
    key = "assessment:proposal:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        result = optimiser.propose(candidates, rules)
        cache.set(key, result, PROPOSAL_CACHE_SECONDS)
    return result


def calls_for(user):
    """Calls the user takes part in (the rule of domain.takes_part, applied to all calls at once),
    with how many applications are submitted, in a fixed number of queries."""
    calls = Call.objects.exclude(status=Call.Status.DRAFT)
    if not account_permissions.is_system_admin(user):
        seats = list(account_permissions.active_seats(user).select_related("body"))
        admin_rhfs = list(account_permissions.active_roles(user).filter(kind=OrganisationRole.Kind.RHF_ADMIN).values_list("rhf_id", flat=True))
        secretariat = [s.body for s in seats if s.body.kind == Body.Kind.SECRETARIAT]
        managed_rhfs = admin_rhfs + [b.rhf_id for b in secretariat if b.rhf_id]
        managed_hfs = [b.helsefellesskap_id for b in secretariat if b.helsefellesskap_id]
        calls = calls.filter(
            Q(pot__rhf_id__in=managed_rhfs) | Q(pot__helsefellesskap_id__in=managed_hfs) | Q(steps__body_id__in=[s.body_id for s in seats])
        ).distinct()
    return (
        calls.select_related("pot__rhf", "pot__helsefellesskap")
        .annotate(
            submitted_count=Count("applications", filter=Q(applications__submitted_at__isnull=False), distinct=True),
            decided_count=Count("applications__decisions", filter=Q(applications__decisions__status=Decision.Status.ADOPTED), distinct=True),
        )
        .order_by("status", "-created_at")
    )


def prioritisations_for(user, *, waiting_only: bool = False) -> list[tuple]:
    """(call, helsefellesskap) pairs where the user's community secretariat ranks and forwards its
    applications to a regional committee (a local prioritisation step done by each community).
    `waiting_only`: only calls with a submitted application not yet forwarded (the to-do list),
    so that past calls, however many, are not read."""
    communities: dict[int, list] = {}
    seats = account_permissions.active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT, body__helsefellesskap__isnull=False).select_related("body__helsefellesskap")
    for seat in seats:
        communities.setdefault(seat.body.helsefellesskap.rhf_id, []).append(seat.body.helsefellesskap)
    if not communities:
        return []
    calls = (
        Call.objects.exclude(status=Call.Status.DRAFT)
        .filter(pot__rhf_id__in=communities, steps__step=ProcessStep.Step.LOCAL_PRIORITISATION, steps__by_each_helsefellesskap=True)
        .select_related("pot__rhf")
        .distinct()
        .order_by("status", "-created_at")
    )
    if waiting_only:
        calls = calls.filter(Exists(Application.objects.filter(call=OuterRef("pk"), status=Application.Status.SUBMITTED, forwarding__isnull=True)))
    return [(call, hf) for call in calls for hf in communities[call.pot.rhf_id]]
