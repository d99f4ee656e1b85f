"""The open, read-only JSON API. Its OpenAPI document is served at /api/v1/openapi.json
and rendered at /api/v1/docs. Everything here is public data: the registry and money
per region. Personal data (body members) is deliberately not exposed."""

import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema

from rsportal.funding.queries import allocation_per_inhabitant
from rsportal.registry import services
from rsportal.registry.models import Helsefellesskap, Membership, Municipality, RegionalHealthAuthority

from .errors import PLAIN_TEXT, responses

api = NinjaAPI(
    title="RS-portalen API",
    version="1",
    description=(
        "Open, read-only data about the recruitment and collaboration grant (rekrutterings- og "
        "samhandlingstilskuddet): regional health authorities, helsefellesskap with their member "
        "municipalities and population, and the grant per inhabitant per region and year. "
        "Amounts are whole kroner. Population is SSB's registered population on the date given."
    ),
    urls_namespace="api",
)


class RHFOut(Schema):
    code: str
    name: str


class MunicipalityOut(Schema):
    number: str = Field(description="Kommunenummer (2024 numbering)")
    name: str
    county: str
    population: int | None = Field(description="Registered population on population_date")
    population_date: datetime.date | None
    sami_area: bool = Field(description="In the administrative area for Sami language")


class MemberOut(MunicipalityOut):
    member_from: datetime.date
    member_to: datetime.date | None


class HelsefellesskapOut(Schema):
    code: str
    name: str
    rhf: RHFOut
    health_trust: str
    as_of: datetime.date = Field(description="Date the membership and population apply to")
    population: int
    municipality_count: int
    municipalities: list[MemberOut]


class PerInhabitantOut(Schema):
    rhf: RHFOut
    year: int
    amount: int = Field(description="Kroner granted by the ministry to the RHF for the year")
    population: int
    population_date: datetime.date
    per_inhabitant: Decimal | None = Field(description="Kroner per inhabitant, two decimals")
    per_inhabitant_rounded: int | None = Field(description="Kroner per inhabitant, rounded to whole kroner")


class AsOf(Schema):
    on: datetime.date | None = Field(None, description="Date for membership and population (default: today)")


def _serialise_communities(communities, day: datetime.date) -> list[dict]:
    """Members and populations for many communities in a fixed number of queries."""
    figures_by_id = services.latest_figures(
        Membership.objects.valid_on(day).filter(helsefellesskap__in=communities).values_list("municipality_id", flat=True), day
    )
    result = []
    for hf in communities:
        members = []
        for membership in hf.current_memberships:
            m = membership.municipality
            figure = figures_by_id.get(m.pk)
            members.append(
                {
                    "number": m.number,
                    "name": m.name,
                    "county": m.county.name,
                    "population": figure.population if figure else None,
                    "population_date": figure.date if figure else None,
                    "sami_area": m.sami_area,
                    "member_from": membership.valid_from,
                    "member_to": membership.valid_to,
                }
            )
        members.sort(key=lambda row: row["number"])
        result.append(
            {
                "code": hf.code,
                "name": hf.name,
                "rhf": hf.rhf,
                "health_trust": hf.trust.name,
                "as_of": day,
                "population": sum(row["population"] or 0 for row in members),
                "municipality_count": len(members),
                "municipalities": members,
            }
        )
    return result


def _communities(day: datetime.date):
    return Helsefellesskap.objects.select_related("rhf", "trust").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.valid_on(day).select_related("municipality__county"),
            to_attr="current_memberships",
        )
    )


@api.get("/rhf", response=responses(list[RHFOut], params=False), summary="Regional health authorities")
def list_rhf(request):
    return RegionalHealthAuthority.objects.order_by("name")


@api.get("/helsefellesskap", response=responses(list[HelsefellesskapOut]), summary="All helsefellesskap with members and population")
def list_helsefellesskap(request, filters: Query[AsOf]):
    day = filters.on or timezone.localdate()
    return _serialise_communities(list(_communities(day).order_by("rhf__name", "name")), day)


@api.get("/helsefellesskap/{code}", response=responses(HelsefellesskapOut, not_found=True), summary="One helsefellesskap")
def get_helsefellesskap(request, filters: Query[AsOf], code: str = Path(..., pattern=PLAIN_TEXT)):
    day = filters.on or timezone.localdate()
    hf = get_object_or_404(_communities(day), code=code)
    return _serialise_communities([hf], day)[0]


@api.get("/municipalities", response=responses(list[MunicipalityOut]), summary="All municipalities with population")
def list_municipalities(request, filters: Query[AsOf]):
    day = filters.on or timezone.localdate()
    rows = Municipality.objects.select_related("county").with_population(day).order_by("number")
    return [
        {
            "number": m.number,
            "name": m.name,
            "county": m.county.name,
            "population": m.population,
            "population_date": m.population_date,
            "sami_area": m.sami_area,
        }
        for m in rows
    ]


@api.get(
    "/allocation-per-inhabitant",
    response=responses(list[PerInhabitantOut]),
    summary="Allocated from the state per inhabitant per RHF for a year",
    description="The ministry's appropriations booked to each RHF for the year, divided by the population of "
    "the RHF's catchment (its helsefellesskap' municipalities) on 1 January of that year ('Tildelt fra staten "
    "per innbygger' on /midler/). Not the same figure as /statistics/per-inhabitant, which divides the money "
    "committed to projects (tilsagn) by the population.",
)
def per_inhabitant(request, year: int = Query(..., ge=1900, le=2200, description="Budget year")):
    return [
        {
            "rhf": row.rhf,
            "year": row.year,
            "amount": row.amount,
            "population": row.population,
            "population_date": row.population_date,
            "per_inhabitant": row.per_inhabitant,
            "per_inhabitant_rounded": row.per_inhabitant_rounded,
        }
        for row in allocation_per_inhabitant(year)
    ]

class PaymentFiguresOut(Schema):
    rhf: RHFOut
    pot: str = Field(description="The pot (a region's, a helsefellesskap's or a call's money) the grants are paid from")
    year: int
    committed: int = Field(description="Kroner committed to projects (tilsagn) for the year")
    requested: int = Field(description="Kroner the projects have requested paid (utbetalingsanmodninger), returned requests excluded")
    approved: int = Field(description="Kroner of requests approved by the secretariat (paid or not yet)")
    paid: int = Field(description="Kroner paid out")
    passed_on: int = Field(description="Kroner the owners report passed on to partner organisations")
    paid_requests: int = Field(description="Number of paid requests the times are taken from")
    median_days: float | None = Field(description="Median days from request to payment")
    average_days: float | None = Field(description="Average days from request to payment")


class PaymentFilters(Schema):
    year: int | None = Field(None, ge=1900, le=2200, description="Grant year (default: all years)")
    rhf: str = Field("", max_length=10, pattern=PLAIN_TEXT, description="RHF code, e.g. HN (default: all)")


@api.get(
    "/payments",
    response=responses(list[PaymentFiguresOut], not_found=True),
    summary="Money committed, requested, approved, paid and passed on, per pot and year",
    description="Per pot and grant year: what is committed to projects, requested paid by them, approved, paid, and "
    "passed on by the owners to their partners, and the time from request to payment. Totals only; no people.",
)
def payment_figures(request, filters: Query[PaymentFilters]):
    from rsportal.payments.queries import figures

    rhfs = RegionalHealthAuthority.objects.all()
    if filters.rhf:
        rhfs = [get_object_or_404(RegionalHealthAuthority, code=filters.rhf)]
    by_id = {r.pk: r for r in rhfs}
    return [
        {
            "rhf": by_id[row.pot.rhf_id],
            "pot": row.pot.name,
            "year": row.year,
            "committed": row.committed,
            "requested": row.requested,
            "approved": row.approved,
            "paid": row.paid,
            "passed_on": row.passed_on,
            "paid_requests": len(row.days),
            "median_days": row.median_days,
            "average_days": row.average_days,
        }
        for row in figures(list(by_id), filters.year)
        if row.pot is not None
    ]


api.add_router("", "rsportal.catalogue.api.router")
