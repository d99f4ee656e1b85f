"""The statistics tell the truth: denominators of the regions with data only, shares on a
0-100 scale, zero rows folded with a note, bars sorted by value (ordinal categories keep
their order), the development per year, Kilde and Sist oppdatert under every figure,
tables behind "Vis tabell", and one name per figure."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from rsportal.catalogue import statistics as stats
from rsportal.catalogue import tables
from rsportal.catalogue.templatetags.catalogue_tags import VALUE_SPACE, WIDTH, hbar_chart
from rsportal.core import formatting

from . import factories as f
from .test_catalogue import M, make_grant

AREA = WIDTH - VALUE_SPACE


@pytest.fixture
def north_only(world):
    """Only Helse Nord has registered projects. In the north the one small municipality
    takes part and one of three large ones does; the west has four small municipalities and
    nothing registered."""
    lille = f.MunicipalityFactory(name="Lille", population=900)
    f.MembershipFactory(helsefellesskap=world.other_hf, municipality=lille)
    for n in range(4):
        f.MembershipFactory(helsefellesskap=world.far_hf, municipality=f.MunicipalityFactory(name=f"Vestbygd {n}", population=1_000 + n))
    classified = timezone.now()
    return {
        "lille": make_grant(world.rhf, "Lille samhandling", hf=world.other_hf, amounts={2024: 200_000, 2026: 300_000}, municipalities=[lille], themes=["teams"], classified_at=classified),
        "tromso": make_grant(world.rhf, "Tromsø samhandling", hf=world.hf, amounts={2026: 4 * M}, municipalities=[world.tromso], themes=["teams", "digital"], classified_at=classified),
    }


def test_national_shares_count_only_the_regions_with_data(world, north_only):
    grants = stats.portfolio()
    assert stats.regions_with_data(grants) == {world.rhf.pk}
    shares = {r.code: (r.municipalities, r.participating, r.share) for r in stats.municipality_participation(grants).rows}
    # Over every municipality in the country, small ones would be 1 of 5 (20 %) against large
    # 1 of 4 (25 %): "small municipalities are left behind". Over the north, where the data
    # is, it is the other way round.
    assert shares == {"small": (1, 1, Decimal("100.0")), "middle": (0, 0, None), "large": (3, 1, Decimal("33.3"))}
    # The same with the region chosen, and the west on its own has no participants.
    north = {r.code: (r.municipalities, r.participating) for r in stats.municipality_participation(stats.portfolio(world.rhf), world.rhf).rows}
    assert north == {"small": (1, 1), "middle": (0, 0), "large": (3, 1)}
    west = {r.code: (r.municipalities, r.participating) for r in stats.municipality_participation(stats.portfolio(world.other_rhf), world.other_rhf).rows}
    assert west == {"small": (4, 0), "middle": (0, 0), "large": (1, 0)}
    # Per inhabitant nationally: the regions with data only, so no 0 kr for the west.
    result = stats.per_inhabitant(2026, grants=grants)
    assert [r.code for r in result.regions] == ["HN"] and {r.code for r in result.communities} == {"troms-ofoten", "finnmark"}


def test_the_page_says_which_regions_the_figures_cover(client, world, north_only):
    page = client.get("/statistikk/?ar=2026").content.decode()
    assert "Tallene dekker Helse Nord RHF; de andre regionene har ikke registrert prosjekter." in page
    assert "Bergensområdet" not in page
    # The API equality figures agree with the page.
    equality = client.get("/api/v1/statistics/equality").json()
    assert {r["code"]: (r["municipalities"], r["participating"]) for r in equality["municipality_size"]} == {"small": (1, 1), "middle": (0, 0), "large": (3, 1)}
    # With a region chosen there is nothing to explain; the workbook carries the line too.
    assert "Tallene dekker" not in client.get("/statistikk/?ar=2026&rhf=HN").content.decode()
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/statistikk/tema.xlsx?ar=2026").content)).active
    lines = [row[0] for row in sheet.iter_rows(max_row=6, values_only=True)]
    assert "Tallene dekker Helse Nord RHF; de andre regionene har ikke registrert prosjekter." in lines


def test_zero_rows_are_folded_with_a_note_and_kept_in_the_exports(client, north_only):
    response = client.get("/statistikk/?ar=2026")
    target = response.context["t"]["malgruppe"]
    # Both projects are classified with no patient group: every target group is zero.
    assert [row[0] for row in target.shown_rows] == ["Ingen prioritert pasientgruppe"]
    assert "Barn og unge" in target.folded and len(target.folded) == 8
    assert target.chart.labels == ["Ingen prioritert pasientgruppe"]
    page = response.content.decode()
    assert "8 kategorier uten prosjekter" in page
    # The coverage keeps its zero rows: there, zero is the finding.
    assert response.context["t"]["pasientgrupper"].folded == []
    exported = list(csv.reader(io.StringIO(client.get("/statistikk/malgruppe.csv?ar=2026").content.decode("utf-8-sig")), delimiter=";"))
    assert len(exported) == 1 + len(target.rows) == 1 + 9


def test_bars_sorted_by_value_and_ordinal_categories_keep_their_order(world, north_only):
    make_grant(world.rhf, "Stort", hf=world.hf, amounts={2025: 12 * M})  # unclassified
    result = tables.build(2026)
    themes = [row[0] for row in result.tables["tema"].shown_rows]
    # teams 2, digital 1; "not classified" stays last although it is not the smallest.
    assert themes == ["Felles team for kartlegging, utredning og tiltak", "Digitale verktøy og simulering", "Ikke klassifisert"]
    assert result.tables["tema"].chart.series[0][1] == [2, 1, 1]
    # Size bands: under 0.5 MNOK (1), 4-11 (1), over 11 (1) in band order, not by count.
    sizes = [row[0] for row in result.tables["storrelse"].rows]
    assert sizes == [str(label) for _code, label, _low, _high in stats.SIZE_BANDS]
    regions = [row[0] for row in result.tables["helsefellesskap"].shown_rows]
    per_head = [row[-1] for row in result.tables["helsefellesskap"].shown_rows]
    assert per_head == sorted(per_head, reverse=True) and len(regions) == 2


def test_shares_are_drawn_on_a_0_to_100_scale_and_money_to_the_largest():
    share = hbar_chart(tables.Chart("Andel", ["Små", "Store"], [("Andel", [Decimal("50.0"), Decimal("25.0")])], "pct"), "c")
    assert [row["bars"][0]["width"] for row in share["rows"]] == [AREA / 2, AREA / 4]
    money = hbar_chart(tables.Chart("Kroner", ["A", "B"], [("Tilsagn", [50, 25])], "kr"), "c")
    assert [row["bars"][0]["width"] for row in money["rows"]] == [AREA, AREA / 2]


def test_participation_chart_is_a_share(north_only):
    table = tables.build(2026).tables["kommunestorrelse"]
    assert table.chart.kind == "pct" and table.chart.labels[0].startswith("Små kommuner")


def test_development_per_year_2024_to_2029(client, north_only):
    table = client.get("/statistikk/?ar=2026").context["t"]["utvikling"]
    assert table.title == "Tilsagn per år 2024–2029"
    assert table.rows == [["2024", 1, 200_000], ["2025", 0, 0], ["2026", 2, 4_300_000], ["2027", 0, 0], ["2028", 0, 0], ["2029", 0, 0]]
    assert table.totals[-1] == 4_500_000


def test_every_figure_has_kilde_sist_oppdatert_and_a_table_behind_vis_tabell(client, north_only):
    page = client.get("/statistikk/?ar=2026").content.decode()
    figures = page.count('role="img"')
    assert figures == 13
    assert page.count("Kilde: RS-portalen (tilsagn registrert i portalen)") == figures
    assert page.count(f"Sist oppdatert {formatting.long_date(timezone.localdate())}.") == figures
    assert page.count("<summary>Vis tabell") == figures
    # Every table sits inside its toggle, with its headers.
    blocks = re.findall(r'<details class="stat-block__table">(.*?)</details>', page, re.S)
    assert len(blocks) == figures and all("<table" in b and '<th scope="col"' in b and "<caption" in b for b in blocks)


def test_the_two_per_inhabitant_figures_have_different_names(client, world, personas, login, north_only):
    statistics = client.get("/statistikk/?ar=2026").content.decode()
    assert "Tilsagn til prosjekter per innbygger 2026" in statistics and "Tilskudd per innbygger" not in statistics
    assert "Begreper" in statistics and "Tildelt fra staten per innbygger" in statistics  # explained, under Begreper
    login(personas.secretariat)
    funding = client.get("/midler/").content.decode()
    assert "Tildelt fra staten per innbygger" in funding and "Tilskudd per innbygger" not in funding
    assert "Tilsagn til prosjekter per innbygger" not in funding
