"""Read-side computations on the money, shared by pages and the API."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from rsportal.registry.models import RegionalHealthAuthority
from rsportal.registry.services import latest_population_dates, population_by_rhf_on

from .models import AppropriationShare, Commitment, PotYear, Reserve


@dataclass
class PerInhabitant:
    rhf: RegionalHealthAuthority
    year: int
    amount: int
    population: int
    population_date: datetime.date

    @property
    def per_inhabitant(self) -> Decimal | None:
        if not self.population:
            return None
        return (Decimal(self.amount) / Decimal(self.population)).quantize(Decimal("0.01"))

    @property
    def per_inhabitant_rounded(self) -> int | None:
        value = self.per_inhabitant
        return None if value is None else int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def population_reference_date(year: int) -> datetime.date:
    """Per-inhabitant figures for a budget year use the population at its start (SSB's 1 January)."""
    return datetime.date(year, 1, 1)


def allocation_per_inhabitant(year: int, appropriation_ids: list[int] | None = None) -> list[PerInhabitant]:
    """The ministry's money per RHF for `year` divided by the population of its catchment.

    With `appropriation_ids` only those appropriations count (Helse Nord's 40 and 90
    MNOK of 2024 are shown separately in the sources: 82 and 185 kr).
    """
    return allocations_per_inhabitant([year], appropriation_ids)[year]


def allocations_per_inhabitant(years, appropriation_ids: list[int] | None = None) -> dict[int, list[PerInhabitant]]:
    """`allocation_per_inhabitant` for several years, in five queries whatever the number of years."""
    years = sorted(set(years))
    if not years:
        return {}
    shares = AppropriationShare.objects.filter(appropriation__year__in=years, appropriation__expected=False)
    if appropriation_ids is not None:
        shares = shares.filter(appropriation_id__in=appropriation_ids)
    amounts: dict[int, dict[int, int]] = {year: {} for year in years}
    for year, rhf_id, total in shares.values("appropriation__year", "rhf_id").annotate(total=Sum("amount")).values_list("appropriation__year", "rhf_id", "total"):
        amounts[year][rhf_id] = total
    days = {year: population_reference_date(year) for year in years}
    population = population_by_rhf_on(days.values())
    # The date of the figures actually used: a newer year may still rely on an older SSB count.
    figures_dates = latest_population_dates(days.values())
    rhfs = list(RegionalHealthAuthority.objects.filter(pk__in={pk for by_rhf in amounts.values() for pk in by_rhf}).order_by("name"))
    return {
        year: [
            PerInhabitant(
                rhf=rhf,
                year=year,
                amount=amounts[year][rhf.pk],
                population=population[days[year]].get(rhf.pk, 0),
                population_date=figures_dates[days[year]] or days[year],
            )
            for rhf in rhfs
            if rhf.pk in amounts[year]
        ]
        for year in years
    }


@dataclass
class NationalYear:
    """A year's RS grant in the state budget set against the appropriations booked for it."""

    year: int
    national: int | None  # None: no source gives the year's national figure
    source: str
    note: str
    booked: int  # passed (not expected) appropriations booked to the RHFs
    booked_rhfs: list
    missing_rhfs: list  # RHFs with nothing booked for the year

    @property
    def not_booked(self) -> int | None:
        return None if self.national is None else self.national - self.booked


def national_years(appropriations, year: int) -> list[NationalYear]:
    """The registry's national figure for `year` beside what is booked, from the already loaded
    `appropriations` of that year (with their shares and the shares' RHFs), in two queries."""
    from rsportal.registry.models import NationalGrant

    rhfs = list(RegionalHealthAuthority.objects.order_by("name"))
    booked: dict[int, dict[int, int]] = {}
    for appropriation in appropriations:
        if appropriation.expected:
            continue
        by_rhf = booked.setdefault(appropriation.year, {})
        for share in appropriation.shares.all():
            by_rhf[share.rhf_id] = by_rhf.get(share.rhf_id, 0) + share.amount
    result = []
    for figure in NationalGrant.objects.filter(year=year):
        by_rhf = booked.get(figure.year, {})
        result.append(
            NationalYear(
                year=figure.year,
                national=figure.amount,
                source=figure.source,
                note=figure.note,
                booked=sum(by_rhf.values()),
                booked_rhfs=[rhf for rhf in rhfs if rhf.pk in by_rhf],
                missing_rhfs=[rhf for rhf in rhfs if rhf.pk not in by_rhf],
            )
        )
    return result


@dataclass
class YearSummary:
    year: int
    frame: int
    committed: int
    reserved: int

    @property
    def available(self) -> int:
        return self.frame - self.committed - self.reserved


def year_summaries(pots, year: int | None = None, *, since: int | None = None) -> dict[int, list[YearSummary]]:
    """Frame, committed, reserved and available per year for each pot (only `year` when
    given, only `since` and later when given), in three queries."""
    pot_ids = [pot.pk for pot in pots]
    years = PotYear.objects.filter(pot_id__in=pot_ids).order_by("year")
    if year is not None:
        years = years.filter(year=year)
    if since is not None:
        years = years.filter(year__gte=since)
    years = list(years)
    committed = dict(
        Commitment.objects.filter(pot_year__in=years, status__in=Commitment.ACTIVE)
        .values("pot_year_id")
        .annotate(total=Sum("amount"))
        .values_list("pot_year_id", "total")
    )
    reserved = dict(
        Reserve.objects.filter(pot_year__in=years).values("pot_year_id").annotate(total=Sum("amount")).values_list("pot_year_id", "total")
    )
    result: dict[int, list[YearSummary]] = {pk: [] for pk in pot_ids}
    for pot_year in years:
        result[pot_year.pot_id].append(
            YearSummary(
                year=pot_year.year,
                frame=pot_year.frame,
                committed=committed.get(pot_year.pk, 0),
                reserved=reserved.get(pot_year.pk, 0),
            )
        )
    return result


@dataclass
class MoneyScope:
    """Whose money a user manages, read once: `permissions.can_manage_money` for many pots
    without a query per pot. Same rule: RHF administrators and the RHF's own secretariat
    manage all the RHF's pots; a helsefellesskap's secretariat also manages its pots."""

    system_admin: bool
    admin_rhfs: set[int]
    secretariat_rhfs: set[int]
    secretariat_helsefellesskap: set[int]

    def manages(self, rhf_id: int, helsefellesskap_id: int | None = None) -> bool:
        if self.reports_for(rhf_id):
            return True
        return helsefellesskap_id is not None and helsefellesskap_id in self.secretariat_helsefellesskap

    @property
    def classifies(self) -> bool:
        """Manages any grants at all, so has grants to classify (funding.classification)."""
        return bool(self.system_admin or self.admin_rhfs or self.secretariat_rhfs or self.secretariat_helsefellesskap)

    def reports_for(self, rhf_id: int) -> bool:
        """`is_rhf_admin(user, rhf) or is_secretariat(user, rhf=rhf)`: the RHF's own reports."""
        return self.system_admin or rhf_id in self.admin_rhfs or rhf_id in self.secretariat_rhfs


def money_scope(user) -> MoneyScope:
    """The user's `MoneyScope`, in two queries."""
    from rsportal.accounts import permissions
    from rsportal.accounts.models import OrganisationRole
    from rsportal.registry.models import Body

    admin_rhfs = set(permissions.active_roles(user).filter(kind=OrganisationRole.Kind.RHF_ADMIN).values_list("rhf_id", flat=True))
    seats = list(permissions.active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT).values_list("body__rhf_id", "body__helsefellesskap_id"))
    return MoneyScope(
        system_admin=permissions.is_system_admin(user),
        admin_rhfs=admin_rhfs - {None},
        secretariat_rhfs={rhf_id for rhf_id, _hf in seats if rhf_id is not None},
        secretariat_helsefellesskap={hf_id for _rhf, hf_id in seats if hf_id is not None},
    )
