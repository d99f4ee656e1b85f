"""Every figure of the statistics, pinned on a small portfolio that has the awkward cases: a
grant with several owners, themes and patient groups (counted once per row), unknown codes,
classified as none against not classified, money in several years and in a year outside the
scheme, a conditional and a released commitment, an unpublished grant, a grant without a
helsefellesskap, and the size band edges. The figures are computed in the database; this is
what they must be.

And the cost of a cache miss of /statistikk/: neither the number of queries nor the number
of rows read grows with the number of grants."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.backends import utils as db_utils
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.catalogue import statistics as stats
from rsportal.funding.models import Commitment
from rsportal.registry import services
from rsportal.registry.models import PopulationFigure

from . import factories as f
from .test_catalogue import M, make_grant


def specs(world) -> dict:
    """(RHF, title, make_grant's keywords) of each grant of the portfolio."""
    classified = timezone.now()
    return {
        "digital": (
            world.rhf,
            "Digital oppfølging",
            dict(
                hf=world.hf,
                amounts={2024: 300_000, 2026: 700_000},
                municipalities=[world.tromso, world.harstad],
                trusts=[world.trust],
                themes=["digital", "pathways", "no_such_theme"],
                patient_groups=["chronic", "frail_elderly"],
                digital_home_follow_up="yes",
                task_shifting="no",
                initiated_by="trust",
                classified_at=classified,
            ),
        ),
        "mental": (
            world.rhf,
            "Rus og psykisk helse",
            dict(
                hf=world.other_hf,
                amounts={2026: 4 * M, 2027: 8 * M},
                conditional={2027},
                municipalities=[world.alta],
                themes=[],
                patient_groups=["mental_illness", "mental_substance"],
                initiated_by="municipality",
                classified_at=classified,
            ),
        ),
        "west": (
            world.other_rhf,
            "Vestlig sykehus",
            dict(
                hf=world.far_hf,
                amounts={2025: 500_000},
                trusts=[world.trust],
                themes=["teams"],  # imported codes, never classified
                patient_groups=["no_such_group"],
                initiated_by="joint",
            ),
        ),
        "regional": (world.rhf, "Regionalt", dict(amounts={2026: 11 * M})),  # no helsefellesskap, no owner
        "several": (
            world.rhf,
            "Barn og rehabilitering",
            dict(
                hf=world.hf,
                amounts={2026: 200_000, 2030: 299_999},
                municipalities=[world.tromso, world.alta],
                themes=["teams", "teams"],
                patient_groups=["rehabilitation", "children_youth"],
                digital_home_follow_up="unknown",
                task_shifting="yes",
                initiated_by="municipality",
                classified_at=classified,
            ),
        ),
        "partly_released": (world.rhf, "Delvis frigitt", dict(hf=world.hf, amounts={2025: 600_000, 2026: 5 * M}, municipalities=[world.harstad])),
        "released": (world.rhf, "Frigitt", dict(hf=world.hf, amounts={2026: 9 * M}, municipalities=[world.tromso])),
        "hidden": (world.rhf, "Ikke publisert", dict(hf=world.hf, amounts={2026: 7 * M}, published=False)),
    }


def add(world, copies: int = 1) -> dict:
    """The portfolio's grants, each `copies` times; {name: the last one}."""
    grants = {}
    for name, (rhf, title, fields) in specs(world).items():
        for n in range(copies):
            grants[name] = make_grant(rhf, title if n == 0 else f"{title} {n}", **fields)
            if name == "partly_released":
                Commitment.objects.filter(grant=grants[name], pot_year__year=2026).update(status=Commitment.Status.RELEASED)
            if name == "released":
                Commitment.objects.filter(grant=grants[name]).update(status=Commitment.Status.RELEASED)
    return grants


@pytest.fixture
def portfolio(world):
    return add(world)


def rows(breakdown):
    return [(r.code, r.projects, r.amount, r.share, r.amount_share) for r in breakdown.rows]


def D(value):
    return Decimal(value)


def test_themes_nationally_and_in_a_year(portfolio):
    grants = stats.portfolio()
    result = stats.themes(grants)
    assert (result.projects, result.amount) == (6, 25_599_999)
    assert rows(result) == [
        ("recruitment", 0, 0, D("0.0"), D("0.0")),
        ("pathways", 1, 1_000_000, D("16.7"), D("3.9")),
        ("teams", 2, 999_999, D("33.3"), D("3.9")),
        ("digital", 1, 1_000_000, D("16.7"), D("3.9")),
        ("emergency", 0, 0, D("0.0"), D("0.0")),
        ("research", 0, 0, D("0.0"), D("0.0")),
        ("other", 0, 0, D("0.0"), D("0.0")),
        ("none", 1, 12_000_000, D("16.7"), D("46.9")),
        ("unclassified", 2, 11_600_000, D("33.3"), D("45.3")),
    ]
    in_2026 = stats.themes(grants, 2026)
    assert (in_2026.projects, in_2026.amount, in_2026.year) == (4, 15_900_000, 2026)
    assert rows(in_2026) == [
        ("recruitment", 0, 0, D("0.0"), D("0.0")),
        ("pathways", 1, 700_000, D("25.0"), D("4.4")),
        ("teams", 1, 200_000, D("25.0"), D("1.3")),
        ("digital", 1, 700_000, D("25.0"), D("4.4")),
        ("emergency", 0, 0, D("0.0"), D("0.0")),
        ("research", 0, 0, D("0.0"), D("0.0")),
        ("other", 0, 0, D("0.0"), D("0.0")),
        ("none", 1, 4_000_000, D("25.0"), D("25.2")),
        ("unclassified", 1, 11_000_000, D("25.0"), D("69.2")),
    ]
    west = stats.themes(stats.portfolio(portfolio["west"].pot.rhf))
    assert (west.projects, west.amount) == (1, 500_000)
    assert [(r.code, r.projects) for r in west.rows if r.projects] == [("teams", 1)]
    assert [(r.code, r.projects, r.amount) for r in stats.themes(grants, 2025).rows if r.projects] == [("teams", 1, 500_000), ("unclassified", 1, 600_000)]


def test_target_groups(portfolio):
    grants = stats.portfolio()
    assert rows(stats.target_groups(grants)) == [
        ("children_youth", 0, 0, D("0.0"), D("0.0")),
        ("frail_elderly", 0, 0, D("0.0"), D("0.0")),
        ("mental_substance", 1, 12_000_000, D("16.7"), D("46.9")),
        ("chronic", 0, 0, D("0.0"), D("0.0")),
        ("maternity", 0, 0, D("0.0"), D("0.0")),
        ("other_several", 2, 1_499_999, D("33.3"), D("5.9")),
        ("administration", 0, 0, D("0.0"), D("0.0")),
        ("none", 0, 0, D("0.0"), D("0.0")),
        ("unclassified", 3, 12_100_000, D("50.0"), D("47.3")),
    ]
    in_2025 = stats.target_groups(grants, 2025)
    assert (in_2025.projects, in_2025.amount) == (2, 1_100_000)
    assert [(r.code, r.projects, r.amount) for r in in_2025.rows if r.projects] == [("unclassified", 2, 1_100_000)]
    in_2026 = stats.target_groups(grants, 2026)
    assert [(r.code, r.projects, r.amount) for r in in_2026.rows if r.projects] == [("mental_substance", 1, 4 * M), ("other_several", 2, 900_000), ("unclassified", 1, 11 * M)]


def test_answers_initiative_ownership_and_cooperation(portfolio):
    grants = stats.portfolio()
    assert rows(stats.home_follow_up(grants)) == [
        ("yes", 1, 1_000_000, D("16.7"), D("3.9")),
        ("no", 0, 0, D("0.0"), D("0.0")),
        ("unknown", 2, 12_499_999, D("33.3"), D("48.8")),
        ("unclassified", 3, 12_100_000, D("50.0"), D("47.3")),
    ]
    assert [(r.code, r.projects) for r in stats.task_shifting(grants).rows] == [("yes", 1), ("no", 1), ("unknown", 1), ("unclassified", 3)]
    assert rows(stats.initiative(grants)) == [
        ("municipality", 2, 12_499_999, D("33.3"), D("48.8")),
        ("trust", 1, 1_000_000, D("16.7"), D("3.9")),
        ("joint", 1, 500_000, D("16.7"), D("2.0")),
        ("unknown", 2, 11_600_000, D("33.3"), D("45.3")),
    ]
    assert rows(stats.ownership(grants)) == [
        ("municipality", 3, 13_099_999, D("50.0"), D("51.2")),
        ("trust", 1, 500_000, D("16.7"), D("2.0")),
        ("both", 1, 1_000_000, D("16.7"), D("3.9")),
        ("none", 1, 11_000_000, D("16.7"), D("43.0")),
    ]
    assert rows(stats.cooperation(grants)) == [
        ("none", 2, 11_500_000, D("33.3"), D("44.9")),
        ("one", 2, 12_600_000, D("33.3"), D("49.2")),
        ("two_or_more", 2, 1_499_999, D("33.3"), D("5.9")),
    ]


def test_size_bands_and_coverage(portfolio, world):
    grants = stats.portfolio()
    assert rows(stats.size_bands(grants)) == [
        ("under_0_5", 1, 499_999, D("16.7"), D("2.0")),
        ("0_5_1", 2, 1_100_000, D("33.3"), D("4.3")),
        ("1_2", 1, 1_000_000, D("16.7"), D("3.9")),
        ("2_4", 0, 0, D("0.0"), D("0.0")),
        ("4_11", 1, 11_000_000, D("16.7"), D("43.0")),  # exactly 11 MNOK
        ("over_11", 1, 12_000_000, D("16.7"), D("46.9")),
    ]
    # The region without the 12 MNOK grant has no "over 11" row.
    assert [r.code for r in stats.size_bands(stats.portfolio(world.other_rhf)).rows] == ["under_0_5", "0_5_1", "1_2", "2_4", "4_11"]
    covered = stats.coverage(grants)
    assert (covered.projects, covered.amount, covered.unclassified, covered.all_projects) == (4, 13_999_999, 2, 6)
    assert rows(covered) == [
        ("mental_illness", 1, 12_000_000, D("25.0"), D("85.7")),
        ("chronic", 1, 1_000_000, D("25.0"), D("7.1")),
        ("children_youth", 1, 499_999, D("25.0"), D("3.6")),
        ("frail_elderly", 1, 1_000_000, D("25.0"), D("7.1")),
        ("maternity", 0, 0, D("0.0"), D("0.0")),
        ("mental_substance", 1, 12_000_000, D("25.0"), D("85.7")),
        ("rehabilitation", 1, 499_999, D("25.0"), D("3.6")),
        ("discharge_ready", 0, 0, D("0.0"), D("0.0")),
        ("none", 1, 500_000, D("25.0"), D("3.6")),  # the west's unknown code, not classified
    ]


def test_development_years_and_regions(portfolio, world):
    grants = stats.portfolio()
    assert [(r.year, r.projects, r.amount) for r in stats.development(grants)] == [
        (2024, 1, 300_000),
        (2025, 2, 1_100_000),
        (2026, 4, 15_900_000),
        (2027, 1, 8_000_000),
        (2028, 0, 0),
        (2029, 0, 0),
        (2030, 1, 299_999),
    ]
    assert stats.committed_years() == [2024, 2025, 2026, 2027, 2030]
    assert stats.committed_years(world.other_rhf) == [2025]
    assert stats.regions_with_data(grants) == {world.rhf.pk, world.other_rhf.pk}
    assert stats.regions_with_data(stats.portfolio(world.other_rhf)) == {world.other_rhf.pk}


def test_per_inhabitant_with_and_without_a_grant(portfolio, world):
    result = stats.per_inhabitant(2026, exclude=portfolio["mental"].pk)
    assert (result.excluded.pk, result.excluded.title, result.excluded_amount) == (portfolio["mental"].pk, "Rus og psykisk helse", 4 * M)
    assert (result.suggestion.pk, result.suggestion_amount) == (portfolio["regional"].pk, 11 * M)
    assert result.unattributed == 11 * M
    assert [(r.code, r.rhf_code, r.committed, r.population, r.committed_without, r.per_inhabitant) for r in result.communities] == [
        ("finnmark", "HN", 4 * M, 21676, 0, D("184.54")),
        ("troms-ofoten", "HN", 900_000, 78745 + 24915, 900_000, D("8.68")),
        ("bergen", "HV", 0, 291940, 0, D("0.00")),
    ]
    assert [(r.code, r.committed, r.population, r.committed_without) for r in result.regions] == [
        ("HN", 15_900_000, 78745 + 24915 + 21676, 11_900_000),
        ("HV", 0, 291940, 0),
    ]
    # A grant without money in the year, or not counted, is not left out; the region filters.
    assert stats.per_inhabitant(2026, exclude=portfolio["west"].pk).excluded is None
    assert stats.per_inhabitant(2026, exclude=portfolio["hidden"].pk).excluded is None
    west = stats.per_inhabitant(2025, rhf=world.other_rhf, exclude=portfolio["west"].pk)
    assert [(r.code, r.committed, r.committed_without) for r in west.communities] == [("bergen", 500_000, 0)]
    assert (west.suggestion.pk, west.excluded.pk, west.unattributed) == (portfolio["west"].pk, portfolio["west"].pk, 0)
    # Ties: the lower id is the suggestion.
    assert stats.per_inhabitant(2030).suggestion.pk == portfolio["several"].pk


def test_municipality_participation(portfolio, world):
    small = f.MunicipalityFactory(name="Lille", population=900)
    f.MembershipFactory(helsefellesskap=world.other_hf, municipality=small)
    f.MembershipFactory(helsefellesskap=world.other_hf, municipality=f.MunicipalityFactory(name="Uten folketall"))
    grants = stats.portfolio()
    result = stats.municipality_participation(grants)
    assert [(r.code, r.municipalities, r.participating) for r in result.rows] == [("small", 1, 0), ("middle", 0, 0), ("large", 4, 3)]
    assert str(result.population_date) == "2024-01-01"
    west = stats.municipality_participation(stats.portfolio(world.other_rhf), world.other_rhf)
    assert [(r.code, r.municipalities, r.participating) for r in west.rows] == [("small", 0, 0), ("middle", 0, 0), ("large", 1, 0)]
# --- The cost of a cache miss -------------------------------------------------------------


def rows_read(client, url) -> tuple[int, int]:
    """(queries, rows fetched) of one request; rows as the database driver hands them over."""
    fetched = [0]
    originals = {name: getattr(db_utils.CursorWrapper, name, None) for name in ("fetchone", "fetchmany", "fetchall")}

    def counting(name):
        def fetch(self, *args, **kwargs):
            result = getattr(self.cursor, name)(*args, **kwargs)
            fetched[0] += (result is not None) if name == "fetchone" else len(result)
            return result

        return fetch

    try:
        for name in originals:
            setattr(db_utils.CursorWrapper, name, counting(name))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(db_utils.CursorWrapper, name)
            else:
                setattr(db_utils.CursorWrapper, name, original)
    assert response.status_code == 200
    return len(captured), fetched[0]


@pytest.mark.parametrize("url", ["/statistikk/?ar=2026", "/statistikk/?ar=2026&rhf=HN&uten=1"])
def test_a_cache_miss_reads_no_more_rows_with_more_grants(client, world, portfolio, url, settings):
    settings.RSPORTAL_PUBLIC_PAGE_CACHE = False  # every request is a cache miss
    client.get(url)  # per-process caches
    before = rows_read(client, url)
    add(world, copies=3)  # the same kinds of grant again: more grants, no new category, year or region
    after = rows_read(client, url)
    assert after == before, f"{url}: (queries, rows) {before} with 8 grants, {after} with 32"


@pytest.mark.parametrize("url", ["/statistikk/?ar=2026", "/statistikk/alle.xlsx?ar=2026", "/api/v1/statistics/equality", "/api/v1/statistics/themes"])
def test_each_figure_is_read_once_per_request(client, portfolio, settings, url):
    """One portfolio per request: no figure (and no list of years or regions) is read twice."""
    settings.RSPORTAL_PUBLIC_PAGE_CACHE = False
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(statements) == len(set(statements)), sorted(s for s in statements if statements.count(s) > 1)


def test_population_is_summed_in_the_database_as_the_registry_sums_it(world):
    # Tromsø in two communities of one RHF counts once for the RHF; a figure after the day does not count.
    f.MembershipFactory(helsefellesskap=world.other_hf, municipality=world.tromso)
    PopulationFigure.objects.create(municipality=world.tromso, date=datetime.date(2025, 1, 1), population=80_000)
    PopulationFigure.objects.create(municipality=world.alta, date=datetime.date(2027, 1, 1), population=1)
    f.MembershipFactory(helsefellesskap=world.far_hf, municipality=f.MunicipalityFactory(name="Uten folketall"))
    for day in (datetime.date(2023, 1, 1), datetime.date(2025, 6, 1), datetime.date(2026, 1, 1)):
        expected = (services._population_by_helsefellesskap(day), services._population_by_rhf(day))
        assert stats.population_on(day) == expected, day
    assert stats.population_on(datetime.date(2026, 1, 1))[1][world.rhf.pk] == 80_000 + 24915 + 21676
