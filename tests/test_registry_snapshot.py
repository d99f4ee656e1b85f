"""The bundled registry snapshot: the real structure, loaded as data."""

import datetime

import pytest
from django.db.models import Sum

from rsportal.registry import importers, services
from rsportal.registry.models import Body, Helsefellesskap, Membership, Municipality, PopulationFigure, RegionalHealthAuthority


@pytest.fixture
def snapshot(db):
    return importers.load_snapshot()


def test_counts(snapshot):
    assert snapshot["rhf"] == 4
    assert Municipality.objects.count() == 357
    assert Helsefellesskap.objects.count() == 19
    assert Body.objects.filter(kind=Body.Kind.ALLOCATION, rhf__code="HN").exists()


def test_loading_twice_changes_nothing(snapshot):
    before = (Municipality.objects.count(), Membership.objects.count(), PopulationFigure.objects.count(), Body.objects.count())
    importers.load_snapshot()
    assert before == (Municipality.objects.count(), Membership.objects.count(), PopulationFigure.objects.count(), Body.objects.count())


def test_population_is_ssb_1_january_2024(snapshot):
    figures = PopulationFigure.objects.filter(date=datetime.date(2024, 1, 1))
    assert figures.count() == 357
    assert figures.aggregate(total=Sum("population"))["total"] == 5_550_203  # SSB: Norway on 1 Jan 2024
    assert figures.get(municipality__number="0301").population == 717_710


def test_every_municipality_belongs_to_a_helsefellesskap(snapshot):
    day = datetime.date(2024, 6, 1)
    members = set(Membership.objects.valid_on(day).values_list("municipality__number", flat=True))
    assert members == set(Municipality.objects.values_list("number", flat=True))


def test_helsefellesskap_belong_to_the_rhf_of_their_trust(snapshot):
    for hf in Helsefellesskap.objects.select_related("trust"):
        assert hf.rhf_id == hf.trust.rhf_id


def test_vaernes_municipalities_changed_on_1_january_2026(snapshot):
    selbu = Municipality.objects.get(name="Selbu")
    def communities(day):
        return set(Membership.objects.valid_on(day).filter(municipality=selbu).values_list("helsefellesskap__code", flat=True))

    assert communities(datetime.date(2025, 12, 31)) == {"nordre-trondelag", "sondre-trondelag"}
    assert communities(datetime.date(2026, 1, 1)) == {"sondre-trondelag"}


def test_catchments_cross_county_borders(snapshot):
    assert Membership.objects.filter(municipality__name="Bindal", helsefellesskap__code="nordre-trondelag").exists()
    assert Membership.objects.filter(municipality__name="Vestby", helsefellesskap__code="ostfold").exists()


def test_rhf_population_counts_each_municipality_once(snapshot):
    population = services.population_by_rhf(datetime.date(2025, 6, 1))
    by_code = {rhf.code: population[rhf.pk] for rhf in RegionalHealthAuthority.objects.all()}
    assert sum(by_code.values()) == 5_550_203
    assert by_code["HN"] == 486_345


def test_sami_area_flags(snapshot):
    assert set(Municipality.objects.filter(sami_area=True).values_list("name", flat=True)) >= {"Karasjok", "Kautokeino", "Snåsa"}
