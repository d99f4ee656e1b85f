"""A delayed project keeps its unpaid money for next year: the commitment moves from Y to Y+1
together with the pot's frame, so no other project gains or loses free money in either year."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from rsportal.core.formatting import kroner
from rsportal.core.models import AuditEvent
from rsportal.followup import domain as followup
from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Commitment, FrameEntry, Grant, PotYear

M = 1_000_000


@pytest.fixture
def pot(world, personas):
    for year in (2026, 2027):
        domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=5 * M, rhf=world.rhf))
    return domain.root_pot(world.rhf)


@pytest.fixture
def grant(pot, world, personas):
    grant = Grant.objects.create(pot=pot, title="Trygg hjemkomst", helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2026: 2 * M, 2027: M})
    return grant


def available(pot):
    return {py.year: py.available() for py in PotYear.objects.filter(pot=pot)}


def active(grant):
    totals = {}
    for c in grant.commitments.filter(status__in=Commitment.ACTIVE).select_related("pot_year"):
        totals[c.pot_year.year] = totals.get(c.pot_year.year, 0) + c.amount
    return totals


def y2026(grant):
    return grant.commitments.get(pot_year__year=2026, status__in=Commitment.ACTIVE)


def test_moving_keeps_the_pots_free_money_and_moves_the_grants(personas, pot, grant):
    before = available(pot)
    frames = {py.year: py.frame for py in PotYear.objects.filter(pot=pot)}

    carried = domain.carry_over_commitment(personas.rhf_admin, y2026(grant), 600_000, "Oppstart utsatt til høsten")

    assert available(pot) == before
    assert {py.year: py.frame for py in PotYear.objects.filter(pot=pot)} == {2026: frames[2026] - 600_000, 2027: frames[2027] + 600_000}
    assert active(grant) == {2026: 2 * M - 600_000, 2027: M + 600_000}
    assert (carried.pot_year.year, carried.amount, carried.status) == (2027, 600_000, Commitment.Status.FIRM)
    released = grant.commitments.get(status=Commitment.Status.RELEASED)
    assert (released.pot_year.year, released.amount) == (2026, 600_000)
    assert "2027" in released.release_reason and "Oppstart utsatt" in released.release_reason
    entries = FrameEntry.objects.filter(pot_year__pot=pot, kind__in=[FrameEntry.Kind.CARRY_OVER_OUT, FrameEntry.Kind.CARRY_OVER_IN])
    assert sorted((e.pot_year.year, e.amount) for e in entries) == [(2026, -600_000), (2027, 600_000)]
    event = AuditEvent.objects.get(action="commitment.carried_over")
    assert event.object_id == str(carried.pk) and kroner(600_000) in event.summary and event.actor == personas.rhf_admin


def test_moving_all_of_it_releases_the_whole_years_commitment(personas, pot, grant):
    commitment = y2026(grant)
    domain.carry_over_commitment(personas.rhf_admin, commitment, 2 * M, "Forsinket ett år")
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.RELEASED
    assert active(grant) == {2027: 3 * M}


def test_paid_money_cannot_be_moved(personas, pot, grant):
    followup.record_payment(personas.rhf_admin, grant, year=2026, amount=1_500_000, paid_on=datetime.date(2026, 3, 1))
    before = available(pot)

    with pytest.raises(domain.FundingError, match=kroner(500_000)):
        domain.carry_over_commitment(personas.rhf_admin, y2026(grant), 500_001, "Forsinket")

    assert active(grant) == {2026: 2 * M, 2027: M} and available(pot) == before
    assert not FrameEntry.objects.filter(kind=FrameEntry.Kind.CARRY_OVER_OUT).exists()
    assert not AuditEvent.objects.filter(action="commitment.carried_over").exists()
    domain.carry_over_commitment(personas.rhf_admin, y2026(grant), 500_000, "Forsinket")
    assert active(grant) == {2026: 1_500_000, 2027: 1_500_000}


@pytest.mark.parametrize("amount, reason", [(0, "Forsinket"), (-5, "Forsinket"), (100, "  ")])
def test_amount_and_reason_are_required(personas, pot, grant, amount, reason):
    with pytest.raises(domain.FundingError):
        domain.carry_over_commitment(personas.rhf_admin, y2026(grant), amount, reason)
    assert active(grant) == {2026: 2 * M, 2027: M}


def test_released_commitments_are_not_moved(personas, pot, grant):
    commitment = y2026(grant)
    domain.release_commitment(personas.rhf_admin, commitment, "Stanset")
    with pytest.raises(domain.FundingError, match="frigjort"):
        domain.carry_over_commitment(personas.rhf_admin, commitment, 100, "Forsinket")


@pytest.mark.parametrize("who", ["applicant", "member", "other_secretariat", "outsider"])
def test_only_a_manager_moves_money(personas, pot, grant, who):
    with pytest.raises(PermissionDenied):
        domain.carry_over_commitment(getattr(personas, who), y2026(grant), 100, "Forsinket")
    assert active(grant) == {2026: 2 * M, 2027: M}
    assert not AuditEvent.objects.filter(action="commitment.carried_over").exists()


class TestPage:
    def url(self, grant):
        return f"/oppfolging/tilskudd/{grant.pk}/frigjor/"

    def test_the_move_is_saved_and_shown_per_year(self, login, personas, pot, grant):
        client = login(personas.rhf_admin)
        html = client.get(f"/oppfolging/tilskudd/{grant.pk}/").content.decode()
        assert "Flytt til 2027" in html and 'value="2000000"' in html
        before = available(pot)
        pot.refresh_from_db()
        data = {"commitment": y2026(grant).pk, "action": "move", "amount": "600 000", "reason": "Oppstart utsatt", "version": pot.version}
        response = client.post(self.url(grant), data)
        assert response.status_code == 302
        assert active(grant) == {2026: 1_400_000, 2027: 1_600_000} and available(pot) == before
        page = client.get(response["Location"]).content.decode()
        assert "flyttet fra 2026 til 2027" in page and "Flyttet til 2027: Oppstart utsatt" in page

    def test_refused_move_keeps_what_was_typed(self, login, personas, pot, grant):
        typed = {"commitment": y2026(grant).pk, "action": "move", "amount": "2 000 001", "reason": "Forsinket byggestart"}
        response = login(personas.rhf_admin).post(self.url(grant), typed)
        html = response.content.decode()
        assert response.status_code == 400 and "Bare det som ikke er utbetalt" in html
        assert 'value="2 000 001"' in html and 'value="Forsinket byggestart"' in html
        assert active(grant) == {2026: 2 * M, 2027: M}

    def test_a_pot_changed_meanwhile_is_refused(self, login, personas, pot, grant):
        pot.refresh_from_db()
        typed = {"commitment": y2026(grant).pk, "action": "move", "amount": "100", "reason": "Forsinket", "version": pot.version - 1}
        response = login(personas.rhf_admin).post(self.url(grant), typed)
        assert response.status_code == 400 and "endret av noen andre" in response.content.decode()
        assert active(grant) == {2026: 2 * M, 2027: M}

    def test_applicant_cannot_move(self, login, personas, pot, grant):
        typed = {"commitment": y2026(grant).pk, "action": "move", "amount": "100", "reason": "Forsinket"}
        assert login(personas.applicant).post(self.url(grant), typed).status_code == 403
        assert active(grant) == {2026: 2 * M, 2027: M}
