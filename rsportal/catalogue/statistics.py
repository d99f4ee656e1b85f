"""Statistics on the funded projects, for the public statistics page, its exports and the API.

Every figure is computed here from the grants and their active commitments (firm or
conditional, not released) and from the population data; pages, exports and the API
only present these results, so the three always show the same numbers.

What counts: the grants of the open catalogue (catalogue.queries.public_grants), so that
every figure can be traced back to projects anyone can look up. A project's money in a
year is the sum of its active commitments in that year; its total is the sum over years.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rsportal.applications.models import PatientGroup, Theme
from rsportal.core.models import AuditEvent
from rsportal.funding.models import Commitment, Grant
from rsportal.funding.queries import population_reference_date
from rsportal.registry import services
from rsportal.registry.models import Helsefellesskap, Membership, RegionalHealthAuthority

from .queries import public_grants


class TargetGroup(models.TextChoices):
    """The target groups of Fafo table 11; each project falls in exactly one."""

    CHILDREN_YOUTH = "children_youth", _("Barn og unge")
    FRAIL_ELDERLY = "frail_elderly", _("Skrøpelige eldre")
    MENTAL_SUBSTANCE = "mental_substance", _("Alvorlig psykisk sykdom og/eller rusproblemer")
    CHRONIC = "chronic", _("Flere kroniske sykdommer")
    MATERNITY = "maternity", _("Kvinner i svangerskap, fødsel og barsel")
    OTHER_SEVERAL = "other_several", _("Andre eller flere grupper")
    ADMINISTRATION = "administration", _("Annet, administrasjon og kompetanseutvikling")


# How the prioritised patient groups of the call (PatientGroup) map onto Fafo's table 11.
# Rehabilitation and discharge-ready patients are not a group of their own in table 11,
# so they count as "other or several groups"; a project with groups in two or more
# table-11 categories is "several groups". No PatientGroup maps to "other/administration":
# that category stays empty until the classification gets a code for it, rather than
# being guessed from themes.
PATIENT_GROUP_TO_TARGET = {
    PatientGroup.CHILDREN_YOUTH: TargetGroup.CHILDREN_YOUTH,
    PatientGroup.FRAIL_ELDERLY: TargetGroup.FRAIL_ELDERLY,
    PatientGroup.MENTAL_ILLNESS: TargetGroup.MENTAL_SUBSTANCE,
    PatientGroup.MENTAL_SUBSTANCE: TargetGroup.MENTAL_SUBSTANCE,
    PatientGroup.CHRONIC: TargetGroup.CHRONIC,
    PatientGroup.MATERNITY: TargetGroup.MATERNITY,
    PatientGroup.REHABILITATION: TargetGroup.OTHER_SEVERAL,
    PatientGroup.DISCHARGE_READY: TargetGroup.OTHER_SEVERAL,
}

# A grant nobody has classified is "not classified"; one classified with an empty list is
# "none". The two are never merged: "none" is a finding, "not classified" is missing work.
UNCLASSIFIED = "unclassified"
UNCLASSIFIED_LABEL = _("Ikke klassifisert")
NONE = "none"
NO_THEME_LABEL = _("Ingen av temaene")
NO_PATIENT_GROUP_LABEL = _("Ingen prioritert pasientgruppe")

ANSWERS = [("yes", _("Ja")), ("no", _("Nei")), ("unknown", _("Vet ikke"))]

M = 1_000_000
# Fafo appendix table 10; lower bound included, upper bound excluded, except that
# exactly 11 MNOK still belongs to "4–11". The last band is shown only when used.
SIZE_BANDS = [
    ("under_0_5", _("Under 0,5 mill. kr"), 0, M // 2),
    ("0_5_1", _("0,5–1 mill. kr"), M // 2, M),
    ("1_2", _("1–2 mill. kr"), M, 2 * M),
    ("2_4", _("2–4 mill. kr"), 2 * M, 4 * M),
    ("4_11", _("4–11 mill. kr"), 4 * M, 11 * M + 1),
    ("over_11", _("Over 11 mill. kr"), 11 * M + 1, None),
]

# Municipality sizes used in the Fafo report's equality analysis.
MUNICIPALITY_SIZES = [
    ("small", _("Små kommuner (under 5 000 innbyggere)"), 0, 5_000),
    ("middle", _("Mellomstore kommuner (5 000–19 999)"), 5_000, 20_000),
    ("large", _("Store kommuner (20 000 og flere)"), 20_000, None),
]

INITIATIVE = [
    ("municipality", _("Kommune")),
    ("trust", _("Helseforetak")),
    ("joint", _("Begge sammen")),
    ("", _("Ikke registrert")),
]

OWNERSHIP = [
    ("municipality", _("Bare kommune(r)")),
    ("trust", _("Bare helseforetak")),
    ("both", _("Både kommune og helseforetak")),
    ("none", _("Ingen eier registrert")),
]


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def per_head(amount: int, population: int) -> Decimal | None:
    if not population:
        return None
    return (Decimal(amount) / Decimal(population)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def whole(value: Decimal | None) -> int | None:
    return None if value is None else int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- The portfolio: every counted grant with its money, in four queries ---


@dataclass
class GrantFacts:
    pk: int
    title: str
    helsefellesskap_id: int | None
    rhf_id: int
    themes: list[str]
    patient_groups: list[str]
    initiated_by: str
    classified: bool = False  # classified_at is set: an empty list means "none"
    digital_home_follow_up: str = "unknown"
    task_shifting: str = "unknown"
    amounts: dict[int, int] = field(default_factory=dict)
    municipality_ids: set[int] = field(default_factory=set)
    trust_ids: set[int] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.amounts.values())

    def amount(self, year: int | None = None) -> int:
        return self.total if year is None else self.amounts.get(year, 0)

    def has(self, values: list[str]) -> bool:
        """Whether a list of this grant's classification counts: filled in, or classified as none."""
        return bool(values) or self.classified

    @property
    def target_group(self) -> str:
        targets = {PATIENT_GROUP_TO_TARGET[g] for g in self.patient_groups if g in PATIENT_GROUP_TO_TARGET}
        if not targets:
            return NONE if self.classified else UNCLASSIFIED
        if len(targets) > 1:
            return TargetGroup.OTHER_SEVERAL
        return targets.pop()

    @property
    def ownership(self) -> str:
        if self.municipality_ids and self.trust_ids:
            return "both"
        if self.municipality_ids:
            return "municipality"
        if self.trust_ids:
            return "trust"
        return "none"


def portfolio(rhf: RegionalHealthAuthority | None = None) -> list[GrantFacts]:
    grants = public_grants()
    if rhf is not None:
        grants = grants.filter(pot__rhf=rhf)
    facts = {
        pk: GrantFacts(pk, title, hf_id, rhf_id, themes or [], groups or [], initiated or "", classified_at is not None, home, shifting)
        for pk, title, hf_id, rhf_id, themes, groups, initiated, classified_at, home, shifting in grants.order_by().values_list(
            "pk", "title", "helsefellesskap_id", "pot__rhf_id", "themes", "patient_groups", "initiated_by", "classified_at", "digital_home_follow_up", "task_shifting"
        )
    }
    # The grants again as a subquery rather than thousands of ids as parameters; a grant
    # that became public between the queries is not in facts and is skipped.
    counted = grants.values("pk")
    commitments = Commitment.objects.filter(grant__in=counted, kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE)
    for grant_id, year, amount in commitments.order_by().values_list("grant_id", "pot_year__year", "amount"):
        if grant_id in facts:
            amounts = facts[grant_id].amounts
            amounts[year] = amounts.get(year, 0) + amount
    for grant_id, municipality_id in Grant.municipalities.through.objects.filter(grant__in=counted).values_list(
        "grant_id", "municipality_id"
    ):
        if grant_id in facts:
            facts[grant_id].municipality_ids.add(municipality_id)
    for grant_id, trust_id in Grant.trusts.through.objects.filter(grant__in=counted).values_list("grant_id", "healthtrust_id"):
        if grant_id in facts:
            facts[grant_id].trust_ids.add(trust_id)
    return list(facts.values())


def regions_with_data(grants: list[GrantFacts]) -> set[int]:
    """The RHFs with at least one counted project. Only these are in the denominators of a
    national figure: a region that has registered nothing in the portal is missing data,
    not a region with no projects, and counting its municipalities and inhabitants would
    make every share look smaller than it is."""
    return {g.rhf_id for g in grants if g.total}


def last_change() -> datetime.date | None:
    """The day grant money or a grant last changed: the newest audit record of a grant or
    a commitment, or the newest commitment where no audit record exists (imported data)."""
    audited = AuditEvent.objects.filter(object_type__in=["funding.grant", "funding.commitment"]).aggregate(at=Max("at"))["at"]
    created = Commitment.objects.filter(kind=Commitment.Kind.GRANT).aggregate(at=Max("created_at"))["at"]
    newest = max([at for at in (audited, created) if at is not None], default=None)
    return timezone.localdate(newest) if newest else None


# The years the scheme runs; the development table shows all of them, with any year
# outside that still has money.
SCHEME_YEARS = range(2024, 2030)


@dataclass
class YearRow:
    year: int
    projects: int
    amount: int


def development(grants: list[GrantFacts]) -> list[YearRow]:
    """Committed money (tilsagn) and projects with money per year, 2024-2029."""
    projects: dict[int, int] = defaultdict(int)
    amounts: dict[int, int] = defaultdict(int)
    for g in grants:
        for year, amount in g.amounts.items():
            if amount:
                projects[year] += 1
                amounts[year] += amount
    years = sorted(set(SCHEME_YEARS) | set(amounts))
    return [YearRow(year, projects[year], amounts[year]) for year in years]


def committed_years(rhf: RegionalHealthAuthority | None = None) -> list[int]:
    commitments = Commitment.objects.filter(
        grant__in=public_grants(), kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE
    )
    if rhf is not None:
        commitments = commitments.filter(grant__pot__rhf=rhf)
    return list(commitments.order_by("pot_year__year").values_list("pot_year__year", flat=True).distinct())


def default_year(years: list[int], today: datetime.date | None = None) -> int:
    """This year when it has money, else the latest year before it that has, else the first."""
    this_year = (today or timezone.localdate()).year
    if not years:
        return this_year
    earlier = [y for y in years if y <= this_year]
    return earlier[-1] if earlier else years[0]


# --- 1. Allocation per inhabitant ---


@dataclass
class PerInhabitantRow:
    code: str
    name: str
    rhf_code: str
    rhf_name: str
    committed: int
    population: int
    committed_without: int | None = None

    @property
    def per_inhabitant(self) -> Decimal | None:
        return per_head(self.committed, self.population)

    @property
    def per_inhabitant_rounded(self) -> int | None:
        return whole(self.per_inhabitant)

    @property
    def per_inhabitant_without(self) -> Decimal | None:
        return None if self.committed_without is None else per_head(self.committed_without, self.population)

    @property
    def per_inhabitant_without_rounded(self) -> int | None:
        return whole(self.per_inhabitant_without)


@dataclass
class PerInhabitant:
    year: int
    reference_date: datetime.date  # 1 January of the year
    population_date: datetime.date | None  # date of the newest figure on or before it
    communities: list[PerInhabitantRow]
    regions: list[PerInhabitantRow]
    unattributed: int  # money of grants not tied to one helsefellesskap (counted per RHF only)
    excluded: GrantFacts | None
    suggestion: GrantFacts | None

    @property
    def excluded_amount(self) -> int:
        return self.excluded.amount(self.year) if self.excluded else 0

    @property
    def suggestion_amount(self) -> int:
        return self.suggestion.amount(self.year) if self.suggestion else 0


def per_inhabitant(year: int, exclude: int | None = None, rhf: RegionalHealthAuthority | None = None, grants=None) -> PerInhabitant:
    """Committed grant money in `year` divided by the population on 1 January that year,
    per helsefellesskap and per RHF; optionally also without one (large) grant."""
    grants = portfolio(rhf) if grants is None else grants
    with_data = regions_with_data(grants)
    in_year = [g for g in grants if g.amount(year)]
    excluded = next((g for g in in_year if g.pk == exclude), None) if exclude else None
    suggestion = max(in_year, key=lambda g: (g.amount(year), -g.pk), default=None)

    by_hf: dict[int, int] = defaultdict(int)
    by_rhf: dict[int, int] = defaultdict(int)
    unattributed = 0
    for g in in_year:
        by_rhf[g.rhf_id] += g.amount(year)
        if g.helsefellesskap_id:
            by_hf[g.helsefellesskap_id] += g.amount(year)
        else:
            unattributed += g.amount(year)

    day = population_reference_date(year)
    hf_population = services.population_by_helsefellesskap(day)
    rhf_population = services.population_by_rhf(day)

    def without(amount, matches):
        if excluded is None:
            return None
        return amount - excluded.amount(year) if matches else amount

    communities = Helsefellesskap.objects.select_related("rhf").order_by("rhf__name", "name")
    regions = RegionalHealthAuthority.objects.order_by("name")
    if rhf is not None:
        communities = communities.filter(rhf=rhf)
        regions = regions.filter(pk=rhf.pk)
    else:
        # Nationally, only the regions with data (see regions_with_data).
        communities = communities.filter(rhf__in=with_data)
        regions = regions.filter(pk__in=with_data)
    community_rows = [
        PerInhabitantRow(
            code=hf.code,
            name=hf.name,
            rhf_code=hf.rhf.code,
            rhf_name=hf.rhf.name,
            committed=by_hf.get(hf.pk, 0),
            population=hf_population.get(hf.pk, 0),
            committed_without=without(by_hf.get(hf.pk, 0), excluded is not None and excluded.helsefellesskap_id == hf.pk),
        )
        for hf in communities
    ]
    region_rows = [
        PerInhabitantRow(
            code=r.code,
            name=r.name,
            rhf_code=r.code,
            rhf_name=r.name,
            committed=by_rhf.get(r.pk, 0),
            population=rhf_population.get(r.pk, 0),
            committed_without=without(by_rhf.get(r.pk, 0), excluded is not None and excluded.rhf_id == r.pk),
        )
        for r in regions
    ]
    return PerInhabitant(
        year=year,
        reference_date=day,
        population_date=services.latest_population_date(day),
        communities=community_rows,
        regions=region_rows,
        unattributed=unattributed,
        excluded=excluded,
        suggestion=suggestion,
    )


# --- Counts and money per category (themes, target groups, bands, coverage, equality) ---


@dataclass
class CategoryRow:
    code: str
    label: str
    projects: int
    amount: int
    share: Decimal | None = None  # of the projects, in per cent
    amount_share: Decimal | None = None  # of the money, in per cent


def _finish(rows: list[CategoryRow], project_count: int, money: int) -> list[CategoryRow]:
    for row in rows:
        row.share = percent(row.projects, project_count)
        row.amount_share = percent(row.amount, money)
    return rows


@dataclass
class Breakdown:
    rows: list[CategoryRow]
    projects: int  # projects counted (the denominator of the shares)
    amount: int
    year: int | None = None


def _select(grants: list[GrantFacts], year: int | None) -> list[GrantFacts]:
    return [g for g in grants if g.amount(year)] if year is not None else [g for g in grants if g.total]


def _breakdown(grants: list[GrantFacts], year: int | None, categories, codes_of, *, keep=None) -> Breakdown:
    """Projects and money per category in one pass over the grants.

    categories: (code, label) in row order; codes_of(grant) gives the codes a grant counts
    under (each at most once). A project counts with its money in `year`, or its total.
    keep(code, projects) may leave a row out (an unused last size band).
    """
    projects: dict[str, int] = defaultdict(int)
    amounts: dict[str, int] = defaultdict(int)
    chosen = money = 0
    for g in grants:
        amount = g.amount(year)
        if not amount:  # as _select: no money in the year (or in total)
            continue
        chosen += 1
        money += amount
        for code in codes_of(g):
            projects[code] += 1
            amounts[code] += amount
    rows = [
        CategoryRow(code, str(label), projects[code], amounts[code])
        for code, label in categories
        if keep is None or keep(code, projects[code])
    ]
    return Breakdown(_finish(rows, chosen, money), chosen, money, year)


def _with_unclassified(values):
    """codes_of for a list classification: the known codes it has; else "none" when the
    grant is classified, "unclassified" when it is not."""
    known = list(values)

    def codes_of(listed, classified: bool):
        codes = [code for code in known if code in listed]
        return codes or [NONE if classified else UNCLASSIFIED]

    return codes_of


def themes(grants: list[GrantFacts], year: int | None = None) -> Breakdown:
    """Projects and money per theme (Fafo table 10). A project may have several themes,
    so it counts under each of them and the shares can add up to more than 100 %."""
    codes_of = _with_unclassified(Theme.values)
    categories = list(Theme.choices) + [(NONE, NO_THEME_LABEL), (UNCLASSIFIED, UNCLASSIFIED_LABEL)]
    return _breakdown(grants, year, categories, lambda g: codes_of(g.themes, g.classified))


def target_groups(grants: list[GrantFacts], year: int | None = None) -> Breakdown:
    """Projects and money per target group (Fafo table 11), one group per project. A project
    classified with no prioritised patient group has its own row (Fafo counts such projects
    among "other or several groups")."""
    categories = list(TargetGroup.choices) + [(NONE, NO_PATIENT_GROUP_LABEL), (UNCLASSIFIED, UNCLASSIFIED_LABEL)]
    return _breakdown(grants, year, categories, lambda g: [g.target_group])


def _answers(grants: list[GrantFacts], answer_of) -> Breakdown:
    categories = ANSWERS + [(UNCLASSIFIED, UNCLASSIFIED_LABEL)]
    return _breakdown(grants, None, categories, lambda g: [answer_of(g) if g.classified else UNCLASSIFIED])


def home_follow_up(grants: list[GrantFacts]) -> Breakdown:
    """Projects with digital home follow-up: yes, no, not known, or not classified."""
    return _answers(grants, lambda g: g.digital_home_follow_up)


def task_shifting(grants: list[GrantFacts]) -> Breakdown:
    """Projects that shift tasks between the municipal and specialist levels."""
    return _answers(grants, lambda g: g.task_shifting)


def size_band(total: int) -> str:
    for code, _label, low, high in SIZE_BANDS:
        if total >= low and (high is None or total < high):
            return code
    raise ValueError(total)


def size_bands(grants: list[GrantFacts]) -> Breakdown:
    """Projects by their total grant over all years (Fafo appendix table 10)."""
    last = {code for code, _label, _low, high in SIZE_BANDS if high is None}
    return _breakdown(
        grants,
        None,
        [(code, label) for code, label, _low, _high in SIZE_BANDS],
        lambda g: [size_band(g.total)],
        keep=lambda code, projects: projects or code not in last,
    )


@dataclass
class Coverage(Breakdown):
    """A Breakdown of the classified projects only; `unclassified` of `all_projects` are left out."""

    unclassified: int = 0
    all_projects: int = 0


def coverage(grants: list[GrantFacts]) -> Coverage:
    """Every prioritised patient group with its number of projects; zero means not reached
    by any classified project. Projects not classified are not counted (they might reach any
    group), only reported, so the coverage may be larger than it looks."""
    counted = _select(grants, None)
    classified = [g for g in counted if g.has(g.patient_groups)]
    codes_of = _with_unclassified(PatientGroup.values)
    categories = list(PatientGroup.choices) + [(NONE, NO_PATIENT_GROUP_LABEL)]
    result = _breakdown(classified, None, categories, lambda g: codes_of(g.patient_groups, True))
    return Coverage(result.rows, result.projects, result.amount, result.year, unclassified=len(counted) - len(classified), all_projects=len(counted))


def _municipality_count(n: int) -> str:
    return "none" if n == 0 else "one" if n == 1 else "two_or_more"


def cooperation(grants: list[GrantFacts]) -> Breakdown:
    """How many municipalities own each project; two or more is inter-municipal cooperation."""
    categories = [("none", _("Ingen kommune")), ("one", _("Én kommune")), ("two_or_more", _("To eller flere kommuner"))]
    return _breakdown(grants, None, categories, lambda g: [_municipality_count(len(g.municipality_ids))])


def initiative(grants: list[GrantFacts]) -> Breakdown:
    breakdown = _breakdown(grants, None, INITIATIVE, lambda g: [g.initiated_by])
    for row in breakdown.rows:
        row.code = row.code or "unknown"
    return breakdown


def ownership(grants: list[GrantFacts]) -> Breakdown:
    """Who owns the projects, and the money on each side of that split."""
    return _breakdown(grants, None, OWNERSHIP, lambda g: [g.ownership])


@dataclass
class ParticipationRow:
    code: str
    label: str
    municipalities: int
    participating: int

    @property
    def share(self) -> Decimal | None:
        return percent(self.participating, self.municipalities)


@dataclass
class Participation:
    rows: list[ParticipationRow]
    population_date: datetime.date | None


def municipality_participation(grants: list[GrantFacts], rhf: RegionalHealthAuthority | None = None, day: datetime.date | None = None) -> Participation:
    """Share of small, middle and large municipalities that own at least one project.

    Size is the latest population figure. With an RHF, the municipalities are those in
    its helsefellesskap today; without, those of the regions with data (regions_with_data):
    dividing by every municipality in the country while one region has registered its
    projects would make the small municipalities look left out everywhere.
    """
    day = day or timezone.localdate()
    members = Membership.objects.valid_on(day)
    if rhf is not None:
        members = members.filter(helsefellesskap__rhf=rhf)
    else:
        members = members.filter(helsefellesskap__rhf__in=regions_with_data(grants))
    ids = set(members.values_list("municipality_id", flat=True))
    figures = services.latest_figures(ids, day)
    taking_part = set().union(*(g.municipality_ids for g in _select(grants, None))) if grants else set()
    rows = []
    for code, label, low, high in MUNICIPALITY_SIZES:
        band = {m for m, f in figures.items() if f.population >= low and (high is None or f.population < high)}
        rows.append(ParticipationRow(code, str(label), len(band), len(band & taking_part)))
    dates = [f.date for f in figures.values()]
    return Participation(rows, max(dates) if dates else None)
