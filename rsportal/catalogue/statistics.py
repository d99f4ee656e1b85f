"""Statistics on the funded projects, for the public statistics page, its exports and the API.

Every figure is computed here from the grants and their active commitments (firm or
conditional, not released) and from the population data; pages, exports and the API
only present these results, so the three always show the same numbers.

What counts: the grants of the open catalogue (catalogue.queries.public_grants), so that
every figure can be traced back to projects anyone can look up. A project's money in a
year is the sum of its active commitments in that year; its total is the sum over years.

Each figure is aggregated in the database (GROUP BY, filtered sums, COUNT DISTINCT): the rows
read follow the categories, years and regions shown, not the number of grants or of years of
history, so a page built afresh after a change costs the same in year ten as in year one.
"""

import datetime
import operator
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce

from django.db import connection, models
from django.db.models import Case, CharField, Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Sum, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, StrIndex
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from rsportal.applications.models import PatientGroup, Theme
from rsportal.core.models import AuditEvent
from rsportal.funding.models import Commitment, Grant
from rsportal.funding.queries import population_reference_date
from rsportal.registry import services
from rsportal.registry.models import Helsefellesskap, Membership, Municipality, PopulationFigure, RegionalHealthAuthority

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


# --- The portfolio: the counted grants, aggregated in the database ---
#
# Every figure is aggregated over the active commitments of the counted grants in SQL, so the
# rows read are one per year or region shown (or one for all the breakdowns), however many
# grants and years of history there are. A grant counts once per category however many
# commitments, owners or codes it has (one row per grant in the breakdowns' table, COUNT
# DISTINCT per year and region).


@dataclass
class YearGrant:
    """One grant and its money in one year: the largest of the year, or the one left out."""

    pk: int
    title: str
    helsefellesskap_id: int | None
    rhf_id: int
    year: int
    money: int

    def amount(self, year: int | None = None) -> int:
        return self.money


class Portfolio:
    """The counted grants: those of the open catalogue (catalogue.queries.public_grants), of
    one RHF or all. What several figures of one page need (the regions with data, the money
    per year, the counts of every breakdown) is read once and kept for the life of the
    object, one request."""

    def __init__(self, rhf: RegionalHealthAuthority | None = None):
        self.rhf = rhf
        grants = public_grants()
        if rhf is not None:
            grants = grants.filter(pot__rhf=rhf)
        self.grants = grants.order_by()
        self._tallies: dict[int | None, dict] = {}

    def commitments(self, year: int | None = None):
        """The active grant commitments of the counted grants, in `year` or all years."""
        commitments = Commitment.objects.filter(grant__in=self.grants.values("pk"), kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE)
        if year is not None:
            commitments = commitments.filter(pot_year__year=year)
        return commitments.order_by()

    @cached_property
    def regions(self) -> set[int]:
        return set(self.grants.values_list("pot__rhf_id", flat=True).distinct())

    @cached_property
    def by_year(self) -> dict[int, tuple[int, int]]:
        """{year: (projects with money that year, money)} for the years with money."""
        rows = self.commitments().values("pot_year__year").annotate(projects=Count("grant", distinct=True), money=Sum("amount"))
        return {row["pot_year__year"]: (row["projects"], row["money"]) for row in rows}

    @property
    def years(self) -> list[int]:
        return sorted(self.by_year)

    @property
    def total(self) -> tuple[int, int]:
        """(projects counted, money over all years)."""
        _found, projects, money = self.tally(None)["themes"]
        return projects, money

    def tally(self, year: int | None = None) -> dict:
        """Every breakdown's counts for `year` (or all years), from one query kept per year."""
        if year not in self._tallies:
            self._tallies[year] = _tally(self, year)
        return self._tallies[year]


def portfolio(rhf: RegionalHealthAuthority | None = None) -> Portfolio:
    return Portfolio(rhf)


def regions_with_data(grants: Portfolio) -> set[int]:
    """The RHFs with at least one counted project. Only these are in the denominators of a
    national figure: a region that has registered nothing in the portal is missing data,
    not a region with no projects, and counting its municipalities and inhabitants would
    make every share look smaller than it is."""
    return grants.regions


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


def development(grants: Portfolio) -> list[YearRow]:
    """Committed money (tilsagn) and projects with money per year, 2024-2029."""
    by_year = grants.by_year
    years = sorted(set(SCHEME_YEARS) | set(by_year))
    return [YearRow(year, *by_year.get(year, (0, 0))) for year in years]


def committed_years(rhf: RegionalHealthAuthority | None = None) -> list[int]:
    return portfolio(rhf).years


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
    excluded: YearGrant | None
    suggestion: YearGrant | None

    @property
    def excluded_amount(self) -> int:
        return self.excluded.money if self.excluded else 0

    @property
    def suggestion_amount(self) -> int:
        return self.suggestion.money if self.suggestion else 0


def latest_population(municipality_ref: str, day: datetime.date):
    """The latest population figure on or before `day` of the municipality `municipality_ref`
    (a field of the outer query) as a subquery; NULL without one."""
    figures = PopulationFigure.objects.filter(municipality=OuterRef(municipality_ref), date__lte=day).order_by("-date")
    return Subquery(figures.values("population")[:1])


def population_on(day: datetime.date) -> tuple[dict[int, int], dict[int, int]]:
    """({helsefellesskap id: population}, {RHF id: population}) on `day`, summed in the
    database: a row per community and region, however many municipalities and years of
    figures there are. The rule of registry.services.population_by_helsefellesskap and
    population_by_rhf: the members on the day with their latest figure; a municipality in
    two communities of one RHF counts once for the RHF."""
    members = Membership.objects.valid_on(day).order_by()
    by_community = members.values("helsefellesskap_id").annotate(population=Sum(latest_population("municipality_id", day)))
    in_region = Membership.objects.valid_on(day).filter(municipality=OuterRef("pk"), helsefellesskap__rhf=OuterRef(OuterRef("pk")))
    region_total = (
        Municipality.objects.filter(Exists(in_region))
        .annotate(population=latest_population("pk", day))
        .order_by()
        .annotate(_one=Value(1))
        .values("_one")
        .annotate(total=Sum("population"))
        .values("total")
    )
    by_region = RegionalHealthAuthority.objects.order_by().annotate(population=Subquery(region_total)).values_list("pk", "population")
    return (
        {row["helsefellesskap_id"]: row["population"] for row in by_community if row["population"] is not None},
        {pk: population for pk, population in by_region if population is not None},
    )


def _largest(commitments, year: int) -> YearGrant | None:
    """The grant with the most money in `commitments` (of two as large, the lower id)."""
    fields = ("grant", "grant__title", "grant__helsefellesskap_id", "grant__pot__rhf_id")
    row = commitments.values(*fields).annotate(money=Sum("amount")).order_by("-money", "grant").values_list(*fields, "money").first()
    return YearGrant(*row[:4], year, row[4]) if row else None


def per_inhabitant(year: int, exclude: int | None = None, rhf: RegionalHealthAuthority | None = None, grants: Portfolio | None = None) -> PerInhabitant:
    """Committed grant money in `year` divided by the population on 1 January that year,
    per helsefellesskap and per RHF; optionally also without one (large) grant."""
    grants = portfolio(rhf) if grants is None else grants
    with_data = regions_with_data(grants)
    in_year = grants.commitments(year)
    # A grant not counted, or without money in the year, is not left out.
    # (An id beyond what the database can hold is no grant: not a query that fails.)
    excluded = _largest(in_year.filter(grant=exclude), year) if exclude and 0 < exclude < 2**63 else None
    suggestion = _largest(in_year, year)

    by_hf: dict[int, int] = defaultdict(int)
    by_rhf: dict[int, int] = defaultdict(int)
    unattributed = 0
    for hf_id, rhf_id, money in in_year.values_list("grant__helsefellesskap_id", "grant__pot__rhf_id").annotate(money=Sum("amount")).values_list(
        "grant__helsefellesskap_id", "grant__pot__rhf_id", "money"
    ):
        by_rhf[rhf_id] += money
        if hf_id:
            by_hf[hf_id] += money
        else:
            unattributed += money

    day = population_reference_date(year)
    hf_population, rhf_population = population_on(day)

    def without(amount, matches):
        if excluded is None:
            return None
        return amount - excluded.money if matches else amount

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


def _breakdown(categories, found: dict[str, tuple[int, int]], projects: int, money: int, year: int | None, *, keep=None) -> Breakdown:
    """The rows of `categories` ((code, label) in row order) from `found` ({code: (projects,
    money)}); keep(code, projects) may leave a row out (an unused last size band)."""
    rows = []
    for code, label in categories:
        counted, amount = found.get(code, (0, 0))
        if keep is None or keep(code, counted):
            rows.append(CategoryRow(code, str(label), counted, amount))
    return Breakdown(_finish(rows, projects, money), projects, money, year)


# Every breakdown counts over one derived table: a row per counted grant with its money (in
# the year, or over all years) and what the breakdowns sort it by, read from the grant once.
# Each category is a condition on that row; all of them are counted in a single query with
# filtered aggregates (COUNT(...) FILTER (WHERE ...)), one result row per year asked for.


def _holds(text, code: str):
    """Whether the JSON list whose text is `text` (an alias or expression) holds `code`: the
    text holds the quoted code. The codes are plain ASCII words, so "teams" matches the
    element teams and nothing else; JSONField's contains lookup would say the same but is not
    available on SQLite."""
    return GreaterThan(StrIndex(F(text) if isinstance(text, str) else text, Value(f'"{code}"')), 0)


def _holds_any(text, codes) -> Q:
    return reduce(operator.or_, [Q(_holds(text, code)) for code in codes])


def _state(text, known, classified: Q):
    """For a list classification: "coded" when it holds a known code; else "none" when the
    grant is classified, "unclassified" when it is not (unknown codes do not count)."""
    return Case(When(_holds_any(text, known), then=Value("coded")), When(classified, then=Value(NONE)), default=Value(UNCLASSIFIED), output_field=CharField())


def _target_group(groups, classified: Q):
    """A grant's table-11 target group: the one group its patient groups map to, "other or
    several" for two or more, else none or not classified."""
    targets: dict[str, list[str]] = {}
    for group, target in PATIENT_GROUP_TO_TARGET.items():
        targets.setdefault(target.value, []).append(group.value)
    has = {target: _holds_any(groups, codes) for target, codes in targets.items()}
    count = reduce(operator.add, [Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()) for condition in has.values()])
    return Case(
        When(GreaterThan(count, 1), then=Value(TargetGroup.OTHER_SEVERAL.value)),
        *[When(condition, then=Value(target)) for target, condition in has.items()],
        When(classified, then=Value(NONE)),
        default=Value(UNCLASSIFIED),
        output_field=CharField(),
    )


def _grant_attributes() -> dict:
    """What the breakdowns need of each grant, as expressions on the grant; the categories
    are then plain comparisons on these columns (see _all_conditions)."""
    themes = Cast("themes", output_field=TextField())
    groups = Cast("patient_groups", output_field=TextField())
    classified = Q(classified_at__isnull=False)
    # Coverage counts the projects with patient groups filled in, or classified (as none).
    counted = Q(GreaterThan(StrIndex(groups, Value('"')), 0)) | classified
    municipalities = Grant.municipalities.through.objects.filter(grant=OuterRef("pk")).order_by().values("grant").annotate(n=Count("pk")).values("n")
    return {
        "theme_text": themes,
        "group_text": groups,
        "theme_state": _state(themes, Theme.values, classified),
        "target": _target_group(groups, classified),
        "group_state": Case(
            When(~counted, then=Value("uncounted")),
            When(_holds_any(groups, PatientGroup.values), then=Value("coded")),
            default=Value(NONE),
            output_field=CharField(),
        ),
        "home": Case(When(classified, then=F("digital_home_follow_up")), default=Value(UNCLASSIFIED), output_field=CharField()),
        "shifting": Case(When(classified, then=F("task_shifting")), default=Value(UNCLASSIFIED), output_field=CharField()),
        "initiated": F("initiated_by"),
        "owning_municipalities": Coalesce(Subquery(municipalities), 0),
        "trust": Exists(Grant.trusts.through.objects.filter(grant=OuterRef("pk"))),
    }


# The categories are counted around the per-grant table in SQL written here, conditions on
# its columns: the ORM can express them (filtered aggregates over an annotated, grouped
# queryset), but resolves every reference to an annotation anew, which for a hundred
# aggregates costs more time in Python than the query in the database.


def _column(alias: str) -> str:
    return connection.ops.quote_name(alias)


def _equals(alias: str, value) -> tuple[str, list]:
    return f"{_column(alias)} = %s", [value]


def _holds_code(alias: str, code: str) -> tuple[str, list]:
    """The JSON list text in column `alias` holds `code` (see _holds)."""
    find = "INSTR" if connection.vendor == "sqlite" else "STRPOS"
    return f"{find}({_column(alias)}, %s) > 0", [f'"{code}"']


def _all_conditions() -> dict[str, dict[str, tuple[str, list]]]:
    """Every breakdown's categories as SQL conditions (with parameters) on a row of the
    per-grant table."""
    answers = [code for code, _label in ANSWERS] + [UNCLASSIFIED]
    municipalities, trust = _column("owning_municipalities"), _column("trust")
    covered = f"{_column('group_state')} <> 'uncounted'"
    bands = {}
    for code, _label, low, high in SIZE_BANDS:
        bands[code] = (f"{_column('money')} >= %s" + ("" if high is None else f" AND {_column('money')} < %s"), [low] + ([] if high is None else [high]))
    coverage = {}
    for code in PatientGroup.values:
        sql, params = _holds_code("group_text", code)
        coverage[code] = (f"{covered} AND {sql}", params)
    return {
        "themes": {**{code: _holds_code("theme_text", code) for code in Theme.values}, NONE: _equals("theme_state", NONE), UNCLASSIFIED: _equals("theme_state", UNCLASSIFIED)},
        "target_groups": {code: _equals("target", code) for code in [*TargetGroup.values, NONE, UNCLASSIFIED]},
        "home_follow_up": {code: _equals("home", code) for code in answers},
        "task_shifting": {code: _equals("shifting", code) for code in answers},
        "initiative": {code: _equals("initiated", code) for code, _label in INITIATIVE},
        "ownership": {
            "both": (f"{municipalities} > 0 AND {trust}", []),
            "municipality": (f"{municipalities} > 0 AND NOT {trust}", []),
            "trust": (f"{municipalities} = 0 AND {trust}", []),
            "none": (f"{municipalities} = 0 AND NOT {trust}", []),
        },
        "cooperation": {"none": (f"{municipalities} = 0", []), "one": (f"{municipalities} = 1", []), "two_or_more": (f"{municipalities} >= 2", [])},
        "size_bands": bands,
        "coverage": {**coverage, NONE: _equals("group_state", NONE), "counted": (covered, [])},
    }


def _tally(grants: "Portfolio", year: int | None) -> dict:
    """{breakdown: ({code: (projects, money)}, projects, money)} for every breakdown, from one
    query over the per-grant table of `year` (or of all years: the projects' totals)."""
    # A row per grant with money (in the year), its money summed by grant in a subquery: the
    # grant's attributes are then computed once per grant, not per commitment.
    money = Commitment.objects.filter(grant=OuterRef("pk"), kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE)
    if year is not None:
        money = money.filter(pot_year__year=year)
    money = Subquery(money.order_by().values("grant").annotate(total=Sum("amount")).values("total"))
    attributes = _grant_attributes()
    per_grant = Grant.objects.filter(pk__in=grants.commitments(year).values("grant")).order_by().annotate(money=money, **attributes).values("money", *attributes)
    inner_sql, params = per_grant.query.sql_with_params()
    money = _column("money")
    columns, names, condition_params = [f"COUNT(*), SUM({money})"], [], []
    for name, codes in _all_conditions().items():
        for code, (condition, values) in codes.items():
            names.append((name, code))
            columns.append(f"COUNT(CASE WHEN {condition} THEN 1 END), SUM(CASE WHEN {condition} THEN {money} END)")
            condition_params += values + values
    # MATERIALIZED: the table is computed once. Folded into the outer query, the database
    # would compute each grant's money again for every condition that reads it.
    sql = f"WITH per_grant AS MATERIALIZED ({inner_sql}) SELECT {', '.join(columns)} FROM per_grant"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *condition_params])
        row = cursor.fetchone()
    projects, total = row[0], row[1] or 0
    result: dict = {}
    for i, (name, code) in enumerate(names):
        found, _projects, _money = result.setdefault(name, ({}, projects, total))
        found[code] = (row[2 + 2 * i], row[3 + 2 * i] or 0)
    return result


def _figures(grants: "Portfolio", name: str, categories, year: int | None = None, *, keep=None) -> Breakdown:
    found, projects, money = grants.tally(year)[name]
    return _breakdown(categories, found, projects, money, year, keep=keep)


def themes(grants: Portfolio, year: int | None = None) -> Breakdown:
    """Projects and money per theme (Fafo table 10). A project may have several themes,
    so it counts under each of them and the shares can add up to more than 100 %."""
    categories = list(Theme.choices) + [(NONE, NO_THEME_LABEL), (UNCLASSIFIED, UNCLASSIFIED_LABEL)]
    return _figures(grants, "themes", categories, year)


def target_groups(grants: Portfolio, year: int | None = None) -> Breakdown:
    """Projects and money per target group (Fafo table 11), one group per project. A project
    classified with no prioritised patient group has its own row (Fafo counts such projects
    among "other or several groups")."""
    categories = list(TargetGroup.choices) + [(NONE, NO_PATIENT_GROUP_LABEL), (UNCLASSIFIED, UNCLASSIFIED_LABEL)]
    return _figures(grants, "target_groups", categories, year)


def home_follow_up(grants: Portfolio) -> Breakdown:
    """Projects with digital home follow-up: yes, no, not known, or not classified."""
    return _figures(grants, "home_follow_up", ANSWERS + [(UNCLASSIFIED, UNCLASSIFIED_LABEL)])


def task_shifting(grants: Portfolio) -> Breakdown:
    """Projects that shift tasks between the municipal and specialist levels."""
    return _figures(grants, "task_shifting", ANSWERS + [(UNCLASSIFIED, UNCLASSIFIED_LABEL)])


def size_band(total: int) -> str:
    for code, _label, low, high in SIZE_BANDS:
        if total >= low and (high is None or total < high):
            return code
    raise ValueError(total)


def size_bands(grants: Portfolio) -> Breakdown:
    """Projects by their total grant over all years (Fafo appendix table 10)."""
    last = {code for code, _label, _low, high in SIZE_BANDS if high is None}
    categories = [(code, label) for code, label, _low, _high in SIZE_BANDS]
    return _figures(grants, "size_bands", categories, keep=lambda code, projects: projects or code not in last)


@dataclass
class Coverage(Breakdown):
    """A Breakdown of the classified projects only; `unclassified` of `all_projects` are left out."""

    unclassified: int = 0
    all_projects: int = 0


def coverage(grants: Portfolio) -> Coverage:
    """Every prioritised patient group with its number of projects; zero means not reached
    by any classified project. Projects not classified are not counted (they might reach any
    group), only reported, so the coverage may be larger than it looks. A list filled in
    without a classification (imports) counts as classified."""
    found, all_projects, _money = grants.tally(None)["coverage"]
    projects, money = found["counted"]
    categories = list(PatientGroup.choices) + [(NONE, NO_PATIENT_GROUP_LABEL)]
    result = _breakdown(categories, found, projects, money, None)
    return Coverage(result.rows, result.projects, result.amount, result.year, unclassified=all_projects - projects, all_projects=all_projects)


def cooperation(grants: Portfolio) -> Breakdown:
    """How many municipalities own each project; two or more is inter-municipal cooperation."""
    categories = [("none", _("Ingen kommune")), ("one", _("Én kommune")), ("two_or_more", _("To eller flere kommuner"))]
    return _figures(grants, "cooperation", categories)


def initiative(grants: Portfolio) -> Breakdown:
    breakdown = _figures(grants, "initiative", INITIATIVE)
    for row in breakdown.rows:
        row.code = row.code or "unknown"
    return breakdown


def ownership(grants: Portfolio) -> Breakdown:
    """Who owns the projects, and the money on each side of that split."""
    return _figures(grants, "ownership", OWNERSHIP)


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


def size_case(population_field: str):
    """The MUNICIPALITY_SIZES code of a population, as an expression ("" without a figure)."""
    whens = []
    for code, _label, low, high in MUNICIPALITY_SIZES:
        condition = Q(**{f"{population_field}__gte": low})
        if high is not None:
            condition &= Q(**{f"{population_field}__lt": high})
        whens.append(When(condition, then=Value(code)))
    return Case(*whens, default=Value(""), output_field=CharField())


def municipality_participation(grants: Portfolio, rhf: RegionalHealthAuthority | None = None, day: datetime.date | None = None) -> Participation:
    """Share of small, middle and large municipalities that own at least one project.

    Size is the latest population figure; a municipality without one is in no group. With
    an RHF, the municipalities are those in its helsefellesskap today; without, those of the
    regions with data (regions_with_data): dividing by every municipality in the country
    while one region has registered its projects would make the small municipalities look
    left out everywhere. One query, a row per size.
    """
    day = day or timezone.localdate()
    members = Membership.objects.valid_on(day)
    if rhf is not None:
        members = members.filter(helsefellesskap__rhf=rhf)
    else:
        members = members.filter(helsefellesskap__rhf__in=regions_with_data(grants))
    owns = Grant.municipalities.through.objects.filter(municipality=OuterRef("pk"), grant__in=grants.grants.values("pk"))
    by_size = {
        row["size"]: row
        for row in Municipality.objects.filter(pk__in=members.values("municipality_id"))
        .with_population(day)
        .annotate(size=size_case("population"))
        .order_by()
        .values("size")
        .annotate(municipalities=Count("pk"), participating=Count("pk", filter=Q(Exists(owns))), date=Max("population_date"))
    }
    rows = []
    for code, label, _low, _high in MUNICIPALITY_SIZES:
        row = by_size.get(code, {})
        rows.append(ParticipationRow(code, str(label), row.get("municipalities", 0), row.get("participating", 0)))
    dates = [row["date"] for code, row in by_size.items() if code and row["date"] is not None]
    return Participation(rows, max(dates) if dates else None)
