"""The open project catalogue and its statistics in the JSON API (mounted under /api/v1/).

The same queries as the public pages, so the API and the pages always agree; contact
persons appear only where the person consented (catalogue.queries.public_participants).
"""

import datetime
import math
from decimal import Decimal
from typing import Literal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema

from rsportal.api.errors import PLAIN_TEXT, responses
from rsportal.applications.models import PatientGroup, Theme
from rsportal.registry.models import RegionalHealthAuthority

from . import equality as application_figures
from . import queries
from . import statistics as stats

router = Router(tags=["Prosjektkatalog og statistikk"])

MAX_PAGE_SIZE = 100
# Bounds keep nonsense input a 422 instead of an overflow in the database or in datetime.
MAX_ID = 2**63 - 1
MIN_YEAR, MAX_YEAR = 2000, 2100


# --- Schemas ---


class CodeName(Schema):
    code: str
    name: str


class MunicipalityRef(Schema):
    number: str = Field(description="Kommunenummer")
    name: str


class Owners(Schema):
    municipalities: list[MunicipalityRef]
    trusts: list[CodeName] = Field(description="Health trusts (helseforetak)")


class YearAmountOut(Schema):
    year: int
    amount: int = Field(description="Kroner committed for the year")
    status: Literal["firm", "conditional"] = Field(description="firm, or conditional on the project's progress")


class ProjectOut(Schema):
    id: int
    title: str
    url: str = Field(description="The project's page in the catalogue")
    rhf: CodeName
    helsefellesskap: CodeName | None = Field(description="Empty for projects that span several helsefellesskap")
    owners: Owners
    pre_project: Literal["no", "yes", "combined"] = Field(description="Project, pre-project, or both combined")
    themes: list[Theme] = Field(description="Fafo table 10 themes; empty when not classified or classified as none (see classified)")
    patient_groups: list[PatientGroup] = Field(description="Prioritised patient groups; empty when not classified or classified as none (see classified)")
    classified: bool = Field(description="The secretariat has classified the project: then an empty list means none")
    amounts: list[YearAmountOut] = Field(description="Active commitments per year (released money is left out)")
    total: int = Field(description="Sum of the yearly amounts, kroner")


class ProjectPage(Schema):
    count: int = Field(description="Projects matching the search and filters")
    page: int
    pages: int
    page_size: int
    results: list[ProjectOut]


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class ParticipantOut(Schema):
    name: str
    kind: Literal["municipality", "trust"]
    is_owner: bool
    contact: ContactOut | None = Field(description="Only when the contact person consented to being published")


class UpdateOut(Schema):
    date: datetime.date
    text: str = Field(description="Status update (løypemelding) from the project's report")


class DecisionOut(Schema):
    body: str = Field(description="The body that decided")
    outcome: str
    outcome_label: str
    reason: str
    decided_on: datetime.date | None


class SimilarOut(Schema):
    id: int
    title: str
    helsefellesskap: str | None
    rhf: str
    score: float = Field(description="Similarity of title and description, 0-1")


class ProjectDetailOut(ProjectOut):
    description: str
    round_label: str
    initiated_by: Literal["municipality", "trust", "joint", ""] = Field(description="Who took the initiative; empty when not recorded")
    participants: list[ParticipantOut]
    updates: list[UpdateOut] = Field(description="Newest first")
    decision: DecisionOut | None = Field(description="The adopted decision, when it was made in RS-portalen")
    source: str = Field(description="Where the decision is recorded when it was not made in RS-portalen")
    similar: list[SimilarOut] = Field(description="Similar funded projects in all regions")


class ProjectFilters(Schema):
    q: str = Field("", pattern=PLAIN_TEXT, description="Search in title and description (Norwegian word stems)")
    rhf: str = Field("", pattern=PLAIN_TEXT, description="RHF code, e.g. HN")
    helsefellesskap: str = Field("", pattern=PLAIN_TEXT, description="Helsefellesskap code, e.g. helgeland")
    theme: Theme | None = Field(None, description="Fafo table 10 theme")
    patient_group: PatientGroup | None = Field(None, description="Prioritised patient group")
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Only projects with money committed in this year")
    municipality: str = Field("", pattern=PLAIN_TEXT, description="Kommunenummer of an owner municipality")
    page: int = Field(1, ge=1, le=MAX_ID)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class GrantRef(Schema):
    id: int
    title: str
    amount: int = Field(description="Kroner committed to this grant in the year")


class PerInhabitantRowOut(Schema):
    code: str
    name: str
    rhf: str = Field(description="RHF code")
    committed: int = Field(description="Kroner committed to projects in the year")
    population: int = Field(description="Population on 1 January of the year (latest figure on or before)")
    per_inhabitant: Decimal | None = Field(description="Kroner per inhabitant, two decimals")
    per_inhabitant_rounded: int | None
    committed_without: int | None = Field(description="Committed without the excluded grant (only with exclude)")
    per_inhabitant_without: Decimal | None
    per_inhabitant_without_rounded: int | None


class PerInhabitantStatsOut(Schema):
    year: int
    level: Literal["helsefellesskap", "rhf"]
    reference_date: datetime.date = Field(description="1 January of the year")
    population_date: datetime.date | None = Field(description="Date of the newest population figure used")
    excluded: GrantRef | None = Field(description="The grant left out in the *_without figures")
    largest: GrantRef | None = Field(description="The largest grant of the year: the suggested one to exclude")
    unattributed: int = Field(description="Kroner to projects not tied to one helsefellesskap (in the RHF figures only)")
    rows: list[PerInhabitantRowOut]


class CategoryOut(Schema):
    code: str
    label: str
    projects: int
    share: Decimal | None = Field(description="Per cent of the projects counted")
    amount: int = Field(description="Kroner")
    amount_share: Decimal | None = Field(description="Per cent of the money")


class ThemesOut(Schema):
    year: int | None = Field(description="Money in this year only; null: all years")
    projects: int
    amount: int
    themes: list[CategoryOut] = Field(description="A project may have several themes (shares can add up to more than 100)")
    target_groups: list[CategoryOut] = Field(description="Fafo table 11, one per project, mapped from the patient groups")
    digital_home_follow_up: list[CategoryOut] = Field(description="yes, no, unknown, or unclassified; one per project, all years")
    task_shifting: list[CategoryOut] = Field(description="Task shifting between municipality and trust: yes, no, unknown, or unclassified; all years")


class SizeBandOut(CategoryOut):
    min_amount: int = Field(description="Lower bound in kroner (included)")
    max_amount: int | None = Field(description="Upper bound in kroner (excluded); null for the last band")


class SizeBandsOut(Schema):
    projects: int
    amount: int
    bands: list[SizeBandOut]


class CoverageRowOut(CategoryOut):
    covered: bool | None = Field(description="False when no classified project addresses the group; null for 'none'")


class CoverageOut(Schema):
    projects: int = Field(description="Classified projects: the ones counted, and the denominator of the shares")
    not_classified: int = Field(description="Projects not classified, left out of the counts: coverage may be larger")
    all_projects: int = Field(description="projects + not_classified")
    groups: list[CoverageRowOut]


class BreakdownOut(Schema):
    projects: int
    amount: int
    rows: list[CategoryOut]


class ParticipationRowOut(Schema):
    code: Literal["small", "middle", "large"]
    label: str
    municipalities: int
    participating: int = Field(description="Municipalities that own at least one project")
    share: Decimal | None = Field(description="Per cent")


class EqualityOut(Schema):
    initiative: BreakdownOut = Field(description="Who took the initiative")
    ownership: BreakdownOut = Field(description="Municipality only, trust only or both; amount is the money per side")
    inter_municipal: BreakdownOut = Field(description="Projects by number of owner municipalities")
    inter_municipal_share: Decimal | None = Field(description="Per cent of projects with two or more municipalities")
    municipality_size: list[ParticipationRowOut]
    population_date: datetime.date | None = Field(description="Newest population figure used for the size bands")


class ApplicationSideOut(Schema):
    code: str = Field(description="municipality, trust, both (the owners' side), none, or total")
    label: str
    applications: int = Field(description="Submitted applications, not withdrawn")
    decided: int = Field(description="With an adopted decision")
    granted: int = Field(description="Decided with a grant (full, partial or pre-project)")
    success_rate: Decimal | None = Field(description="Per cent of decided applications that were granted")
    applied: int = Field(description="Kroner applied for, all years")
    granted_amount: int = Field(description="Kroner committed to the granted applications, not released")
    paid: int = Field(description="Kroner recorded as paid out")
    median_days: int | None = Field(description="Median days from submission to decision")


class ApplicationSizeOut(Schema):
    code: str
    label: str
    municipalities: int = Field(description="Municipalities of this size in the regions counted")
    applying: int = Field(description="Of those, taking part in at least one counted application")
    share_applying: Decimal | None
    applications: int = Field(description="Applications with a municipality of this size taking part")
    decided: int
    granted: int
    success_rate: Decimal | None


class ApplicationEqualityOut(Schema):
    sides: list[ApplicationSideOut]
    total: ApplicationSideOut
    municipality_size: list[ApplicationSizeOut]


class StatsFilters(Schema):
    rhf: str = Field("", pattern=PLAIN_TEXT, description="RHF code; empty: all regions")


class ThemeFilters(StatsFilters):
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Count money in this year only")


class PerInhabitantFilters(StatsFilters):
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Default: this year, or the latest year with money")
    level: Literal["helsefellesskap", "rhf"] = "helsefellesskap"
    exclude: int | None = Field(None, ge=1, le=MAX_ID, description="Id of a grant to leave out (e.g. one large item)")


# --- Serialisers ---


def _project(grant) -> dict:
    return {
        "id": grant.pk,
        "title": grant.title,
        "url": reverse("catalogue:project-detail", args=[grant.pk]),
        "rhf": grant.rhf,
        "helsefellesskap": grant.helsefellesskap,
        "owners": {
            "municipalities": [{"number": m.number, "name": m.name} for m in grant.municipalities.all()],
            "trusts": [{"code": t.code, "name": t.name} for t in grant.trusts.all()],
        },
        "pre_project": grant.pre_project,
        "themes": [t for t in grant.themes if t in Theme.values],
        "patient_groups": [p for p in grant.patient_groups if p in PatientGroup.values],
        "classified": grant.classified_at is not None,
        "amounts": [{"year": y.year, "amount": y.amount, "status": "conditional" if y.conditional else "firm"} for y in grant.years],
        "total": grant.total,
    }


def _region(code: str):
    if not code:
        return None
    return get_object_or_404(RegionalHealthAuthority, code=code)


def _breakdown(result: stats.Breakdown) -> dict:
    return {"projects": result.projects, "amount": result.amount, "rows": result.rows}


# --- Endpoints ---


@router.get(
    "/projects",
    response=responses(ProjectPage),
    summary="Funded projects (the open catalogue)",
    description="Every published project with a grant, with owners, amounts per year and classification. "
    "Search with q (title and description, Norwegian word stems) and filter by region, helsefellesskap, theme, "
    "patient group, year and owner municipality. Paginated with page and page_size (at most 100).",
)
def list_projects(request, filters: Query[ProjectFilters]):
    ids = queries.matching_ids(
        queries.CatalogueFilter(
            q=filters.q,
            rhf=filters.rhf,
            helsefellesskap=filters.helsefellesskap,
            theme=filters.theme.value if filters.theme else "",
            patient_group=filters.patient_group.value if filters.patient_group else "",
            year=filters.year,
            municipality=filters.municipality,
        )
    )
    pages = max(1, math.ceil(len(ids) / filters.page_size))
    start = (filters.page - 1) * filters.page_size
    return {
        "count": len(ids),
        "page": filters.page,
        "pages": pages,
        "page_size": filters.page_size,
        "results": [_project(g) for g in queries.grants_for_ids(ids[start : start + filters.page_size])],
    }


@router.get(
    "/projects/{project_id}",
    response=responses(ProjectDetailOut, not_found=True),
    summary="One funded project",
    description="Description, participants, amounts per year with status, status updates (newest first), the "
    "published decision with its reason (or the source of the decision) and similar projects in all regions. "
    "A participant's contact person is included only when that person consented to being published.",
)
def get_project(request, project_id: int = Path(..., ge=1, le=MAX_ID)):
    grant = queries.public_grant(project_id)
    if grant is None:
        raise Http404("No such published project")
    decision = queries.published_decision(grant)
    return {
        **_project(grant),
        "description": grant.description,
        "round_label": grant.round_label,
        "initiated_by": grant.initiated_by,
        "participants": queries.public_participants(grant, decision),
        "updates": queries.public_updates(grant),
        "decision": {
            "body": decision.body.name,
            "outcome": decision.outcome,
            "outcome_label": decision.get_outcome_display(),
            "reason": decision.reason,
            "decided_on": decision.concluded_at.date() if decision.concluded_at else None,
        }
        if decision
        else None,
        "source": grant.reference,
        "similar": [
            {
                "id": s.grant.pk,
                "title": s.grant.title,
                "helsefellesskap": s.grant.helsefellesskap.name if s.grant.helsefellesskap else None,
                "rhf": s.grant.pot.rhf.code,
                "score": s.score,
            }
            for s in queries.similar_projects(grant)
        ],
    }


@router.get(
    "/statistics/per-inhabitant",
    response=responses(PerInhabitantStatsOut, not_found=True),
    summary="Commitments to projects (tilsagn) per inhabitant per helsefellesskap or RHF",
    description="Money committed to projects in the year divided by the population on 1 January that year "
    "(the newest figure on or before that day), per helsefellesskap or per RHF. With exclude, the *_without "
    "fields give the same figures without that grant; `largest` names the year's largest grant. Without rhf, "
    "only the regions with at least one counted project are listed: a region that has registered nothing is "
    "missing data, not a region with no projects. Not the same figure as /allocation-per-inhabitant, which "
    "divides the state's appropriation to each RHF (tildelt fra staten) by its inhabitants.",
)
def per_inhabitant(request, filters: Query[PerInhabitantFilters]):
    region = _region(filters.rhf)
    grants = stats.portfolio(region)
    year = filters.year or stats.default_year(grants.years)
    result = stats.per_inhabitant(year, exclude=filters.exclude, rhf=region, grants=grants)
    rows = result.communities if filters.level == "helsefellesskap" else result.regions

    def ref(grant):
        return {"id": grant.pk, "title": grant.title, "amount": grant.amount(year)} if grant else None

    return {
        "year": year,
        "level": filters.level,
        "reference_date": result.reference_date,
        "population_date": result.population_date,
        "excluded": ref(result.excluded),
        "largest": ref(result.suggestion),
        "unattributed": result.unattributed,
        "rows": [
            {
                "code": r.code,
                "name": r.name,
                "rhf": r.rhf_code,
                "committed": r.committed,
                "population": r.population,
                "per_inhabitant": r.per_inhabitant,
                "per_inhabitant_rounded": r.per_inhabitant_rounded,
                "committed_without": r.committed_without,
                "per_inhabitant_without": r.per_inhabitant_without,
                "per_inhabitant_without_rounded": r.per_inhabitant_without_rounded,
            }
            for r in rows
        ],
    }


@router.get(
    "/statistics/themes",
    response=responses(ThemesOut, not_found=True),
    summary="Projects and money by theme and by target group",
    description="Themes as in Fafo table 10 and target groups as in Fafo table 11. Target groups are derived "
    "from the prioritised patient groups (mental illness and integrated mental health and substance abuse -> "
    "severe mental illness/substance abuse; rehabilitation and discharge-ready patients, and projects spanning "
    "several target groups -> other or several groups). Projects not classified are 'unclassified'; projects "
    "classified with no theme or no prioritised patient group are 'none'.",
)
def themes(request, filters: Query[ThemeFilters]):
    grants = stats.portfolio(_region(filters.rhf))
    by_theme = stats.themes(grants, filters.year)
    by_group = stats.target_groups(grants, filters.year)
    return {
        "digital_home_follow_up": stats.home_follow_up(grants).rows,
        "task_shifting": stats.task_shifting(grants).rows,
        "year": filters.year,
        "projects": by_theme.projects,
        "amount": by_theme.amount,
        "themes": by_theme.rows,
        "target_groups": by_group.rows,
    }


@router.get(
    "/statistics/size-bands",
    response=responses(SizeBandsOut, not_found=True),
    summary="Projects by size of the total grant",
    description="Total committed per project over all years, in the bands of Fafo appendix table 10 "
    "(under 0.5, 0.5-1, 1-2, 2-4, 4-11 MNOK, and above 11 MNOK when any project is that large).",
)
def size_bands(request, filters: Query[StatsFilters]):
    result = stats.size_bands(stats.portfolio(_region(filters.rhf)))
    limits = {code: (low, high) for code, _label, low, high in stats.SIZE_BANDS}
    bands = []
    for row in result.rows:
        low, high = limits[row.code]
        bands.append({**row.__dict__, "min_amount": low, "max_amount": high})
    return {"projects": result.projects, "amount": result.amount, "bands": bands}


@router.get(
    "/statistics/coverage",
    response=responses(CoverageOut, not_found=True),
    summary="Coverage of the prioritised patient groups",
    description="Every prioritised patient group with its number of classified projects; covered is false for "
    "groups no classified project addresses, and the row 'none' counts projects classified with no prioritised "
    "group. Projects not classified are left out and counted in not_classified: the coverage may be larger.",
)
def coverage(request, filters: Query[StatsFilters]):
    result = stats.coverage(stats.portfolio(_region(filters.rhf)))
    groups = [{**row.__dict__, "covered": None if row.code == stats.NONE else row.projects > 0} for row in result.rows]
    return {"projects": result.projects, "not_classified": result.unclassified, "all_projects": result.all_projects, "groups": groups}


@router.get(
    "/statistics/equality",
    response=responses(EqualityOut, not_found=True),
    summary="Equality between municipalities and trusts",
    description="Who took the initiative, who owns the projects and the money per side, inter-municipal "
    "cooperation (projects with two or more municipalities), and the share of small (<5 000), middle "
    "(5 000-19 999) and large (20 000+) municipalities that own at least one project (latest population figure). "
    "The municipalities counted are those of the selected RHF or, without rhf, of the regions with at least one "
    "counted project (not every municipality in the country).",
)
def equality(request, filters: Query[StatsFilters]):
    region = _region(filters.rhf)
    grants = stats.portfolio(region)
    cooperation = stats.cooperation(grants)
    participation = stats.municipality_participation(grants, region)
    return {
        "initiative": _breakdown(stats.initiative(grants)),
        "ownership": _breakdown(stats.ownership(grants)),
        "inter_municipal": _breakdown(cooperation),
        "inter_municipal_share": next(r.share for r in cooperation.rows if r.code == "two_or_more"),
        "municipality_size": [
            {"code": r.code, "label": r.label, "municipalities": r.municipalities, "participating": r.participating, "share": r.share}
            for r in participation.rows
        ],
        "population_date": participation.population_date,
    }


@router.get(
    "/statistics/applications",
    response=responses(ApplicationEqualityOut, not_found=True),
    summary="Equality at every stage: applications by side and municipality size",
    description="Submitted applications (not withdrawn) by the owners' side (municipalities only, trusts only, both): "
    "how many applied, were decided and granted, the success rate, kroner applied for, granted (active commitments) "
    "and paid, and the median days from submission to decision; and by municipality size (latest population), the "
    "share of municipalities taking part in at least one application and their success rate. An application counts "
    "in the size group of every municipality taking part. Only counts and sums: no application is named.",
)
def application_equality(request, filters: Query[StatsFilters]):
    result = application_figures.application_equality(_region(filters.rhf))

    def side(row):
        return {**row.__dict__, "success_rate": row.success_rate}

    return {
        "sides": [side(row) for row in result.sides],
        "total": side(result.total),
        "municipality_size": [{**row.__dict__, "share_applying": row.share_applying, "success_rate": row.success_rate} for row in result.sizes],
    }
