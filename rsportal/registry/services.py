"""Queries on the registry that several pages and the API share."""

import bisect
import datetime

from django.db.models import Q

from rsportal.core import datacache

from .models import Helsefellesskap, Membership, Municipality, PopulationFigure


def latest_figures(municipality_ids, day: datetime.date) -> dict[int, PopulationFigure]:
    """Latest population figure on or before `day` per municipality, in one query."""
    latest: dict[int, PopulationFigure] = {}
    figures = PopulationFigure.objects.filter(municipality_id__in=municipality_ids, date__lte=day).order_by(
        "municipality_id", "date"
    )
    for figure in figures:
        latest[figure.municipality_id] = figure
    return latest


def population_by_rhf(day: datetime.date) -> dict[int, int]:
    """Population of each RHF's catchment on `day`.

    The catchment is the union of the municipalities in the RHF's helsefellesskap
    on that day; a municipality in two communities of the same RHF counts once.
    Kept per day until the registry changes (core.datacache).
    """
    return datacache.get_or_build("population-rhf", (day,), lambda: _population_by_rhf(day))


def _population_by_rhf(day: datetime.date) -> dict[int, int]:
    pairs = set(
        Membership.objects.valid_on(day).values_list("helsefellesskap__rhf_id", "municipality_id").distinct()
    )
    figures = latest_figures({m for _, m in pairs}, day)
    totals: dict[int, int] = {}
    for rhf_id, municipality_id in pairs:
        figure = figures.get(municipality_id)
        if figure is not None:
            totals[rhf_id] = totals.get(rhf_id, 0) + figure.population
    return totals


def population_by_rhf_on(days) -> dict[datetime.date, dict[int, int]]:
    """`population_by_rhf` for several days at once, in two queries whatever the number of days."""
    days = sorted(set(days))
    if not days:
        return {}
    memberships = list(
        Membership.objects.filter(valid_from__lte=days[-1])
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=days[0]))
        .values_list("helsefellesskap__rhf_id", "municipality_id", "valid_from", "valid_to")
    )
    history: dict[int, tuple[list[datetime.date], list[int]]] = {}
    figures = PopulationFigure.objects.filter(municipality_id__in={m for _r, m, _f, _t in memberships}, date__lte=days[-1]).order_by("municipality_id", "date")
    for municipality_id, date, population in figures.values_list("municipality_id", "date", "population"):
        dates, populations = history.setdefault(municipality_id, ([], []))
        dates.append(date)
        populations.append(population)
    result = {}
    for day in days:
        pairs = {(rhf_id, m) for rhf_id, m, valid_from, valid_to in memberships if valid_from <= day and (valid_to is None or valid_to >= day)}
        totals: dict[int, int] = {}
        for rhf_id, municipality_id in pairs:
            dates, populations = history.get(municipality_id, ((), ()))
            index = bisect.bisect_right(dates, day)  # the latest figure on or before `day`
            if index:
                totals[rhf_id] = totals.get(rhf_id, 0) + populations[index - 1]
        result[day] = totals
    return result


def population_by_helsefellesskap(day: datetime.date) -> dict[int, int]:
    """Population of each helsefellesskap on `day`, kept per day until the registry changes (core.datacache)."""
    return datacache.get_or_build("population-hf", (day,), lambda: _population_by_helsefellesskap(day))


def _population_by_helsefellesskap(day: datetime.date) -> dict[int, int]:
    pairs = list(Membership.objects.valid_on(day).values_list("helsefellesskap_id", "municipality_id"))
    figures = latest_figures({m for _, m in pairs}, day)
    totals: dict[int, int] = {}
    for hf_id, municipality_id in pairs:
        figure = figures.get(municipality_id)
        if figure is not None:
            totals[hf_id] = totals.get(hf_id, 0) + figure.population
    return totals


def members_on(helsefellesskap: Helsefellesskap, day: datetime.date):
    """Member municipalities on `day`, each annotated with its population then."""
    return (
        Municipality.objects.filter(memberships__in=Membership.objects.valid_on(day).filter(helsefellesskap=helsefellesskap))
        .select_related("county")
        .with_population(day)
        .distinct()
        .order_by("name")
    )


def latest_population_dates(days) -> dict[datetime.date, datetime.date | None]:
    """`latest_population_date` for several days, in one query."""
    days = sorted(set(days))
    if not days:
        return {}
    known = list(PopulationFigure.objects.filter(date__lte=days[-1]).order_by("date").values_list("date", flat=True).distinct())
    return {day: known[index - 1] if (index := bisect.bisect_right(known, day)) else None for day in days}


def latest_population_date(day: datetime.date | None = None) -> datetime.date | None:
    figures = PopulationFigure.objects.all()
    if day is not None:
        figures = figures.filter(date__lte=day)
    return figures.order_by("-date").values_list("date", flat=True).first()
