"""Every figure of the statistics, pinned on a small portfolio that has the awkward cases: a
grant with several owners, themes and patient groups (counted once per row), unknown codes,
classified as none against not classified, money in several years and in a year outside the
scheme, a conditional and a released commitment, an unpublished grant, a grant without a
helsefellesskap, and the size band edges. The figures are computed in the database; this is
what they must be."""

from decimal import Decimal

import pytest
from django.utils import timezone

from rsportal.catalogue import statistics as stats
from rsportal.funding.models import Commitment

from . import factories as f
from .test_catalogue import M, make_grant


@pytest.fixture
def portfolio(world):
    classified = timezone.now()
    grants = {
        "digital": make_grant(
            world.rhf,
            "Digital oppfølging",
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
        "mental": make_grant(
            world.rhf,
            "Rus og psykisk helse",
            hf=world.other_hf,
            amounts={2026: 4 * M, 2027: 8 * M},
            conditional={2027},
            municipalities=[world.alta],
            themes=[],
            patient_groups=["mental_illness", "mental_substance"],
            initiated_by="municipality",
            classified_at=classified,
        ),
        "west": make_grant(
            world.other_rhf,
            "Vestlig sykehus",
            hf=world.far_hf,
            amounts={2025: 500_000},
            trusts=[world.trust],
            themes=["teams"],  # imported codes, never classified
            patient_groups=["no_such_group"],
            initiated_by="joint",
        ),
        "regional": make_grant(world.rhf, "Regionalt", amounts={2026: 11 * M}),  # no helsefellesskap, no owner
        "several": make_grant(
            world.rhf,
            "Barn og rehabilitering",
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
        "partly_released": make_grant(world.rhf, "Delvis frigitt", hf=world.hf, amounts={2025: 600_000, 2026: 5 * M}, municipalities=[world.harstad]),
        "released": make_grant(world.rhf, "Frigitt", hf=world.hf, amounts={2026: 9 * M}, municipalities=[world.tromso]),
        "hidden": make_grant(world.rhf, "Ikke publisert", hf=world.hf, amounts={2026: 7 * M}, published=False),
    }
    Commitment.objects.filter(grant=grants["partly_released"], pot_year__year=2026).update(status=Commitment.Status.RELEASED)
    Commitment.objects.filter(grant=grants["released"]).update(status=Commitment.Status.RELEASED)
    return grants


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
