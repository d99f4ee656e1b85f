"""The demo's money against the sources: the national grant, what Prosjekt X and Vefsn are paid
from, the 46.3 MNOK frame of the second 2026 round, and which commitments are conditional."""

import pytest
from django.db.models import Sum

from rsportal.funding.models import Appropriation, Commitment, FrameEntry, Grant, Pot, PotYear
from rsportal.registry.models import NationalGrant

M = 1_000_000


@pytest.fixture
def rhf_admin(demo, db, client):
    from django.contrib.auth import get_user_model

    from rsportal.security.testing import force_verified_login

    force_verified_login(client, get_user_model().objects.get(username="rhf.nord"))
    return client


def text(response) -> str:
    import re

    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_national_grant_is_shown_and_the_missing_split_said_plainly(rhf_admin):
    assert {n.year: n.amount for n in NationalGrant.objects.all()} == {2024: 280 * M, 2025: 286 * M, 2026: None}

    def national(year):
        # /midler/ shows one year at a time; the national figure is that year's.
        page = text(rhf_admin.get(f"/midler/?ar={year}"))
        return page[page.index("RS-tilskuddet i statsbudsjettet") : page.index("Bevilgninger fra departementet")]

    # 2024 is booked in full; 2025 is 286 MNOK, of which the sources split only Helse Nord's 130;
    # the demo books Helse Sør-Øst's 96 564 000 kr for Agder (README, "Figures we could not source").
    assert "280 000 000 kr" in national(2024)
    row_2025 = national(2025)
    assert "286 000 000 kr" in row_2025 and "<td>2024</td>" not in row_2025
    assert "226 564 000 kr" in row_2025 and "59 436 000 kr" in row_2025
    assert "Ingen bevilgning bokført for Helse Midt-Norge RHF, Helse Vest RHF." in row_2025
    row_2026 = national(2026)
    assert "Ikke oppgitt i kildene" in row_2026 and "tas direkte av RS-potten" in row_2026


def test_prosjekt_x_and_vefsn_are_paid_out_of_the_rs_money_not_on_top(demo, db):
    # Helse Nord's 2026 money is the permanent 130 MNOK and nothing more: no appropriation for Prosjekt X.
    booked_2026 = Appropriation.objects.filter(year=2026, rhf__code="HN").aggregate(s=Sum("amount"))["s"]
    assert booked_2026 == 130 * M
    assert not Appropriation.objects.exclude(earmarked_for="").exists()
    regional = Pot.objects.get(name="Regional søknadsbasert ordning Helse Nord")
    prosjekt_x = Pot.objects.get(name="Prosjekt X")
    vefsn = Grant.objects.get(title__startswith="Intermediær døgnpost Vefsn")
    assert (prosjekt_x.kind, prosjekt_x.parent) == (Pot.Kind.EARMARKED, regional)
    assert vefsn.pot.parent == regional
    # Both are transfers out of the regional pot's 2026 frame, so they reduce what RS projects can get.
    transfers = Commitment.objects.filter(pot_year__pot=regional, pot_year__year=2026, kind=Commitment.Kind.TRANSFER)
    assert dict(transfers.values_list("recipient_pot__name", "amount")) == {prosjekt_x.name: 10 * M, vefsn.pot.name: 21 * M}
    px = PotYear.objects.get(pot=prosjekt_x, year=2026)
    assert (px.frame, px.committed()) == (10 * M, 5 * M)
    assert not px.entries.filter(kind=FrameEntry.Kind.APPROPRIATION).exists()
    # Helse Nord's root pot receives exactly its appropriations and passes on all of them.
    root = Pot.objects.get(rhf__code="HN", kind=Pot.Kind.ROOT)
    root_2026 = PotYear.objects.get(pot=root, year=2026)
    assert (root_2026.frame, root_2026.committed()) == (130 * M, 130 * M)


def test_the_regional_pot_2026_reconciles_with_the_46_3_mnok_frame(rhf_admin):
    regional = Pot.objects.get(name="Regional søknadsbasert ordning Helse Nord")
    year = PotYear.objects.get(pot=regional, year=2026)
    carried = year.entries.get(kind=FrameEntry.Kind.CARRY_OVER_IN)
    table18 = Commitment.objects.filter(pot_year=year, grant__reference__startswith="Fafo").aggregate(s=Sum("amount"))["s"]
    assert table18 == 20_294_000
    # 90 MNOK + the carried 2025 money - table 18 - Vefsn - Prosjekt X = the frame in the minutes.
    assert year.frame == 90 * M + carried.amount
    assert year.committed() == table18 + 21 * M + 10 * M
    assert year.available() == 46_300_000
    assert carried.amount == 46_300_000 - (90 * M - table18 - 31 * M) == 7_594_000
    page = text(rhf_admin.get(f"/midler/potter/{regional.pk}/"))
    calls = page[page.index("Utlysninger med ramme fra denne potten") :]
    second = calls[calls.index("andre tildelingsrunde 2026") :]
    assert second.count("46 300 000 kr") >= 2  # the call's frame and the pot's free 2026 money, side by side
    assert "Kildene sier ikke hvordan rammen er regnet ut" in page  # the carry-over explains the difference


def test_only_commitments_the_sources_call_conditional_are_conditional(demo, db):
    table18 = Commitment.objects.filter(grant__reference__startswith="Fafo")
    assert table18.count() == 46  # the 27 rows' yearly amounts
    assert not table18.filter(status=Commitment.Status.CONDITIONAL).exists()
    nurse = Grant.objects.get(title__startswith="Helgelandssykepleieren")
    assert list(nurse.commitments.order_by("pot_year__year").values_list("pot_year__year", "status")) == [
        (year, "firm") for year in range(2025, 2030)
    ]
    vefsn = Grant.objects.get(title__startswith="Intermediær døgnpost Vefsn")
    assert list(vefsn.commitments.values_list("pot_year__year", "amount", "status")) == [(2026, 21 * M, "firm")]
    # The only conditional years are those of the demo round's own (invented) decisions, whose
    # reasons say so; each is a later year of its grant.
    conditional = Commitment.objects.filter(status=Commitment.Status.CONDITIONAL).select_related("grant__decision", "pot_year")
    assert conditional.exists()
    for commitment in conditional:
        decision = commitment.grant.decision
        assert f"{commitment.pot_year.year}" in decision.reason and "betinget av tilfredsstillende framdrift" in decision.reason
        assert commitment.pot_year.year > min(int(year) for year in decision.amounts)


def test_table_18_has_27_rows(demo, db):
    assert Grant.objects.filter(reference="Fafo 2026, vedleggstabell 18").count() == 27
