from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from rsportal.core.models import AuditEvent
from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Commitment, DistributionKey, FrameEntry, Grant, Pot, PotYear

M = 1_000_000


def frame(pot, year):
    return PotYear.objects.get(pot=pot, year=year).frame


@pytest.fixture
def funded(world, personas):
    """Helse Nord with 130 MNOK booked for 2026 and a regional pot of 90 MNOK."""
    appropriation = Appropriation.objects.create(year=2026, name="RS 2026", amount=130 * M, rhf=world.rhf)
    domain.book_appropriation(personas.sysadmin, appropriation)
    root = domain.root_pot(world.rhf)
    regional = domain.create_pot(personas.rhf_admin, parent=root, name="Regional pott", kind=Pot.Kind.APPLICATION)
    domain.transfer(personas.rhf_admin, source=root, target=regional, year=2026, amount=90 * M)
    return root, regional


def grant(pot, title="Prosjekt"):
    return Grant.objects.create(pot=pot, title=title)


class TestSplitByShares:
    def test_basic_funding_key_gives_the_board_case_figures(self):
        parts = domain.split_by_shares(150 * M, [("HSO", Decimal("0.619")), ("HV", Decimal("0.219")), ("HMN", Decimal("0.162"))])
        assert parts == [("HSO", 92_850_000), ("HV", 32_850_000), ("HMN", 24_300_000)]

    def test_parts_always_add_up_to_the_whole_krone(self):
        parts = domain.split_by_shares(100, [("a", Decimal(1)), ("b", Decimal(1)), ("c", Decimal(1))])
        assert sum(p for _, p in parts) == 100
        assert sorted(p for _, p in parts) == [33, 33, 34]

    def test_empty_key_is_refused(self):
        with pytest.raises(domain.FundingError):
            domain.split_by_shares(100, [])


class TestBookAppropriation:
    def test_key_splits_between_rhfs_and_raises_root_frames(self, world, personas):
        key = DistributionKey.objects.create(name="Nøkkel")
        key.shares.create(rhf=world.rhf, share=Decimal("0.75"))
        key.shares.create(rhf=world.other_rhf, share=Decimal("0.25"))
        appropriation = Appropriation.objects.create(year=2024, name="RS 2024", amount=150 * M, key=key)

        shares = domain.book_appropriation(personas.sysadmin, appropriation)

        assert {s.rhf.code: s.amount for s in shares} == {"HN": 112_500_000, "HV": 37_500_000}
        assert frame(domain.root_pot(world.rhf), 2024) == 112_500_000
        assert frame(domain.root_pot(world.other_rhf), 2024) == 37_500_000
        assert FrameEntry.objects.filter(kind=FrameEntry.Kind.APPROPRIATION).count() == 2
        event = AuditEvent.objects.get(action="appropriation.booked")
        assert event.actor == personas.sysadmin and event.data["shares"] == {"HN": 112_500_000, "HV": 37_500_000}

    def test_cannot_be_booked_twice(self, world, personas):
        appropriation = Appropriation.objects.create(year=2024, name="RS", amount=M, rhf=world.rhf)
        domain.book_appropriation(personas.sysadmin, appropriation)
        with pytest.raises(domain.FundingError):
            domain.book_appropriation(personas.sysadmin, appropriation)
        assert frame(domain.root_pot(world.rhf), 2024) == M

    @pytest.mark.parametrize("who", ["secretariat", "member", "applicant", "outsider"])
    def test_only_administrators_book(self, world, personas, who):
        appropriation = Appropriation.objects.create(year=2024, name="RS", amount=M, rhf=world.rhf)
        with pytest.raises(PermissionDenied):
            domain.book_appropriation(getattr(personas, who), appropriation)
        assert not PotYear.objects.exists()

    def test_rhf_admin_books_money_for_own_rhf_only(self, world, personas):
        own = Appropriation.objects.create(year=2024, name="Nord", amount=M, rhf=world.rhf)
        other = Appropriation.objects.create(year=2024, name="Vest", amount=M, rhf=world.other_rhf)
        domain.book_appropriation(personas.rhf_admin, own)
        with pytest.raises(PermissionDenied):
            domain.book_appropriation(personas.rhf_admin, other)

    def test_earmarked_money_lands_in_its_own_pot(self, world, personas):
        appropriation = Appropriation.objects.create(year=2026, name="X", amount=10 * M, rhf=world.rhf, earmarked_for="Prosjekt X")
        domain.book_appropriation(personas.sysadmin, appropriation)
        pot = Pot.objects.get(kind=Pot.Kind.EARMARKED)
        assert pot.parent == domain.root_pot(world.rhf)
        assert frame(pot, 2026) == 10 * M
        assert not PotYear.objects.filter(pot__kind=Pot.Kind.ROOT).exists()


class TestPotRules:
    def test_transfer_moves_frame_to_the_child(self, funded):
        root, regional = funded
        assert frame(regional, 2026) == 90 * M
        summary = PotYear.objects.get(pot=root, year=2026)
        assert summary.committed() == 90 * M and summary.available() == 40 * M

    def test_commitment_beyond_the_frame_is_refused_and_nothing_saved(self, funded, personas):
        _, regional = funded
        with pytest.raises(domain.OverCommitted) as error:
            domain.commit_grant(personas.rhf_admin, grant=grant(regional), amounts={2026: 90 * M + 1})
        assert "90 000 000" in str(error.value).replace("\xa0", " ")
        assert not Commitment.objects.filter(kind=Commitment.Kind.GRANT).exists()

    def test_multi_year_grant_is_all_or_nothing(self, funded, personas):
        _, regional = funded
        with pytest.raises(domain.OverCommitted):
            domain.commit_grant(personas.rhf_admin, grant=grant(regional), amounts={2026: M, 2027: M})  # no 2027 frame
        assert not Commitment.objects.filter(kind=Commitment.Kind.GRANT).exists()
        assert not AuditEvent.objects.filter(action="grant.committed").exists()

    def test_later_years_can_be_conditional(self, world, personas, funded):
        _, regional = funded
        appropriation = Appropriation.objects.create(year=2027, name="RS 2027", amount=130 * M, rhf=world.rhf, expected=True)
        domain.book_appropriation(personas.sysadmin, appropriation)
        domain.transfer(personas.rhf_admin, source=domain.root_pot(world.rhf), target=regional, year=2027, amount=90 * M)
        commitments = domain.commit_grant(
            personas.rhf_admin, grant=grant(regional), amounts={2026: 2 * M, 2027: 2 * M}, conditional_from=2027, notify_to=["a@example.invalid"]
        )
        assert [c.status for c in commitments] == [Commitment.Status.FIRM, Commitment.Status.CONDITIONAL]
        from rsportal.core.models import Notification

        assert Notification.objects.get().recipient == "a@example.invalid"

    def test_reserve_reduces_what_can_be_committed(self, funded, personas):
        _, regional = funded
        domain.set_reserve(personas.rhf_admin, pot=regional, year=2026, kind="administration", amount=500_000)
        with pytest.raises(domain.OverCommitted):
            domain.commit_grant(personas.rhf_admin, grant=grant(regional), amounts={2026: 90 * M})
        domain.commit_grant(personas.rhf_admin, grant=grant(regional), amounts={2026: 89_500_000})
        assert PotYear.objects.get(pot=regional, year=2026).available() == 0

    def test_reserve_cannot_exceed_what_is_free(self, funded, personas):
        _, regional = funded
        domain.commit_grant(personas.rhf_admin, grant=grant(regional), amounts={2026: 89 * M})
        with pytest.raises(domain.OverCommitted):
            domain.set_reserve(personas.rhf_admin, pot=regional, year=2026, kind="held_back", amount=2 * M)
        domain.set_reserve(personas.rhf_admin, pot=regional, year=2026, kind="held_back", amount=M)
        domain.set_reserve(personas.rhf_admin, pot=regional, year=2026, kind="held_back", amount=0)
        assert not regional.years.get(year=2026).reserves.exists()

    def test_stale_edit_is_refused(self, funded, personas):
        _, regional = funded
        seen = Pot.objects.get(pk=regional.pk).version
        domain.set_reserve(personas.rhf_admin, pot=regional, year=2026, kind="administration", amount=100, expected_version=seen)
        with pytest.raises(domain.StaleEdit):
            domain.set_reserve(personas.rhf_admin, pot=regional, year=2026, kind="administration", amount=200, expected_version=seen)
        assert regional.years.get(year=2026).reserves.get().amount == 100

    def test_release_frees_money_for_reallocation(self, funded, personas):
        _, regional = funded
        first = domain.commit_grant(personas.rhf_admin, grant=grant(regional, "Starter ikke"), amounts={2026: 90 * M})[0]
        with pytest.raises(domain.FundingError):
            domain.release_commitment(personas.rhf_admin, first, "  ")
        domain.release_commitment(personas.rhf_admin, first, "Prosjektet startet ikke")
        first.refresh_from_db()
        assert first.status == Commitment.Status.RELEASED
        domain.commit_grant(personas.rhf_admin, grant=grant(regional, "Nytt"), amounts={2026: 90 * M})
        with pytest.raises(domain.FundingError):
            domain.release_commitment(personas.rhf_admin, first, "igjen")

    def test_carry_over_moves_unused_frame_to_next_year(self, funded, personas):
        _, regional = funded
        domain.commit_grant(personas.rhf_admin, grant=grant(regional), amounts={2026: 80 * M})
        with pytest.raises(domain.OverCommitted):
            domain.carry_over(personas.rhf_admin, pot=regional, from_year=2026, amount=10 * M + 1)
        domain.carry_over(personas.rhf_admin, pot=regional, from_year=2026, amount=10 * M)
        assert frame(regional, 2026) == 80 * M
        assert frame(regional, 2027) == 10 * M
        kinds = sorted(FrameEntry.objects.filter(pot_year__pot=regional).values_list("kind", flat=True))
        assert kinds == ["carry_over_in", "carry_over_out", "transfer_in"]

    @pytest.mark.parametrize("amount", [0, -5, 1.5])
    def test_amounts_are_positive_whole_kroner(self, funded, personas, amount):
        _, regional = funded
        with pytest.raises(domain.FundingError):
            domain.commit_grant(personas.rhf_admin, grant=grant(regional), amounts={2026: amount})

    @pytest.mark.parametrize("who", ["member", "chair", "observer", "applicant", "other_secretariat", "outsider"])
    def test_only_money_managers_commit(self, funded, personas, who):
        _, regional = funded
        with pytest.raises(PermissionDenied):
            domain.commit_grant(getattr(personas, who), grant=grant(regional), amounts={2026: M})

    def test_helsefellesskap_secretariat_manages_its_own_pot(self, world, funded, personas):
        root, _ = funded
        local = domain.create_pot(personas.rhf_admin, parent=root, name="Lokal", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
        domain.transfer(personas.rhf_admin, source=root, target=local, year=2026, amount=M)
        domain.set_reserve(personas.secretariat, pot=local, year=2026, kind="administration", amount=1000)
        with pytest.raises(PermissionDenied):
            domain.set_reserve(personas.secretariat, pot=root, year=2026, kind="administration", amount=1000)

    def test_pot_in_another_rhf_community_is_refused(self, world, funded, personas):
        root, _ = funded
        with pytest.raises(domain.FundingError):
            domain.create_pot(personas.rhf_admin, parent=root, name="Feil", kind=Pot.Kind.APPLICATION, helsefellesskap=world.far_hf)

    def test_transfer_only_to_own_children(self, world, funded, personas):
        root, regional = funded
        with pytest.raises(domain.FundingError):
            domain.transfer(personas.rhf_admin, source=regional, target=root, year=2026, amount=1)
