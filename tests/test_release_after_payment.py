"""Releasing a commitment frees only what has not been paid, so paid money is never
promised twice; and nothing is paid on money that has been released."""

import datetime
import threading

import pytest
from django.db import connection

from rsportal.core.formatting import kroner
from rsportal.core.models import AuditEvent
from rsportal.followup import domain as followup
from rsportal.followup import money
from rsportal.followup.models import Payment
from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Commitment, Grant, PotYear

M = 1_000_000
FRAME = 5 * M
PAID = 400_000


def pay(actor, grant, amount, year=2026):
    return followup.record_payment(actor, grant, year=year, amount=amount, paid_on=datetime.date(year, 3, 1))


def pot_year(pot):
    return PotYear.objects.get(pot=pot, year=2026)


@pytest.fixture
def pot(world, personas):
    domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2026, name="RS 2026", amount=FRAME, rhf=world.rhf))
    return domain.root_pot(world.rhf)


@pytest.fixture
def grant(pot, world):
    grant = Grant.objects.create(pot=pot, title="Trygg hjemkomst", helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    return grant


@pytest.fixture
def paid_commitment(personas, grant):
    """1 MNOK committed for 2026, of which 400 000 kr paid."""
    commitment = domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2026: M})[0]
    pay(personas.rhf_admin, grant, PAID)
    return commitment


def test_release_frees_only_the_unpaid_part(personas, grant, pot, paid_commitment):
    released = domain.release_commitment(personas.rhf_admin, paid_commitment, "Prosjektet stanset")

    assert (released.amount, released.status, released.release_reason) == (M - PAID, Commitment.Status.RELEASED, "Prosjektet stanset")
    paid_commitment.refresh_from_db()
    assert (paid_commitment.amount, paid_commitment.status) == (PAID, Commitment.Status.FIRM)
    # The ledger still adds up to what was promised: 400 000 kr bound and paid, 600 000 kr freed.
    assert sorted(grant.commitments.values_list("status", "amount")) == [("firm", PAID), ("released", M - PAID)]
    assert pot_year(pot).committed() == PAID and pot_year(pot).available() == FRAME - PAID
    row = money.grant_years(grant)[0]
    assert (row.committed, row.paid) == (PAID, PAID)
    event = AuditEvent.objects.get(action="commitment.released")
    assert event.object_id == str(released.pk) and kroner(M - PAID) in event.summary and "forblir bundet" in event.summary


def test_paid_money_cannot_be_committed_again(personas, pot, grant, paid_commitment):
    domain.release_commitment(personas.rhf_admin, paid_commitment, "Prosjektet stanset")
    other = Grant.objects.create(pot=pot, title="Nytt prosjekt")

    with pytest.raises(domain.OverCommitted, match=kroner(FRAME - PAID)):
        domain.commit_grant(personas.rhf_admin, grant=other, amounts={2026: FRAME})
    with pytest.raises(domain.OverCommitted):
        domain.commit_grant(personas.rhf_admin, grant=other, amounts={2026: FRAME - PAID + 1})
    domain.commit_grant(personas.rhf_admin, grant=other, amounts={2026: FRAME - PAID})

    assert pot_year(pot).committed() == FRAME == pot_year(pot).frame and pot_year(pot).available() == 0


def test_fully_paid_commitment_cannot_be_released(personas, pot, grant):
    commitment = domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2026: M})[0]
    pay(personas.rhf_admin, grant, M)

    with pytest.raises(domain.FundingError, match="utbetalt i sin helhet"):
        domain.release_commitment(personas.rhf_admin, commitment, "Prosjektet stanset")

    commitment.refresh_from_db()
    assert (commitment.amount, commitment.status) == (M, Commitment.Status.FIRM)
    assert pot_year(pot).available() == FRAME - M
    assert not AuditEvent.objects.filter(action="commitment.released").exists()


def test_the_paid_part_left_after_a_release_cannot_be_released(personas, pot, paid_commitment):
    domain.release_commitment(personas.rhf_admin, paid_commitment, "Prosjektet stanset")
    with pytest.raises(domain.FundingError, match="utbetalt i sin helhet"):
        domain.release_commitment(personas.rhf_admin, paid_commitment, "Igjen")
    assert pot_year(pot).committed() == PAID


def test_payments_on_other_commitments_of_the_year_count_too(personas, pot, grant):
    """Payments are booked per grant and year: with two commitments for the year, a release may
    free a whole commitment as long as the other still covers what was paid."""
    first, = domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2026: M})
    second, = domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2026: 500_000})
    pay(personas.rhf_admin, grant, 1_200_000)

    assert domain.releasable(first) == 300_000 and domain.releasable(second) == 300_000
    domain.release_commitment(personas.rhf_admin, second, "Tilleggsbevilgningen trekkes")
    assert pot_year(pot).committed() == 1_200_000
    with pytest.raises(domain.FundingError, match="utbetalt i sin helhet"):
        domain.release_commitment(personas.rhf_admin, first, "Prosjektet stanset")


@pytest.mark.parametrize("paid", [0, PAID])
def test_nothing_is_paid_on_released_money(personas, grant, paid):
    commitment = domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2026: M})[0]
    if paid:
        pay(personas.rhf_admin, grant, paid)
    domain.release_commitment(personas.rhf_admin, commitment, "Prosjektet stanset")

    with pytest.raises(followup.FollowupError):
        pay(personas.rhf_admin, grant, 1)

    assert sum(Payment.objects.values_list("amount", flat=True)) == paid


# --- the project page ---


def test_project_page_shows_the_unpaid_amount_and_releases_only_that(login, personas, grant, paid_commitment):
    client = login(personas.rhf_admin)
    html = client.get(f"/oppfolging/tilskudd/{grant.pk}/").content.decode()
    assert "Ikke utbetalt" in html and f"Frigjør {kroner(M - PAID)} for 2026" in html

    response = client.post(f"/oppfolging/tilskudd/{grant.pk}/frigjor/", {"commitment": paid_commitment.pk, "reason": "Prosjektet stanset"}, follow=True)

    html = response.content.decode()
    assert f"{kroner(M - PAID)} av tilsagnet for 2026 er frigjort" in html
    assert "Utbetalt i sin helhet; kan ikke frigjøres." in html
    assert sorted(grant.commitments.values_list("status", "amount")) == [("firm", PAID), ("released", M - PAID)]


def test_project_page_refuses_to_release_paid_money_in_norwegian(login, personas, grant):
    commitment = domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2026: M})[0]
    pay(personas.rhf_admin, grant, M)
    client = login(personas.rhf_admin)

    response = client.post(f"/oppfolging/tilskudd/{grant.pk}/frigjor/", {"commitment": commitment.pk, "reason": "Prosjektet stanset"})

    html = response.content.decode()
    assert response.status_code == 400
    assert f"Tilsagnet for 2026 er utbetalt i sin helhet ({kroner(M)}). Utbetalte midler kan ikke frigjøres." in html
    assert "Begrunnelsen du skrev: Prosjektet stanset" in html
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.FIRM


# --- a payment and a release at the same moment ---


def _interleave(monkeypatch, module: str, first, second):
    """Run `first` in one thread until it writes its audit record (its change made, not yet
    committed), then `second` in another. Without a shared lock `second` runs straight
    through; with one it waits until `first` commits (after `first` stops waiting for it)."""
    first_inside, second_done = threading.Event(), threading.Event()
    real = getattr(module, "record")

    def record(*args, **kwargs):
        event = real(*args, **kwargs)
        first_inside.set()
        second_done.wait(timeout=3)
        return event

    monkeypatch.setattr(module, "record", record)
    outcome = {}

    def run(name, work, before=None, after=None):
        try:
            if before:
                before.wait(timeout=10)
            outcome[name] = work()
        except (domain.FundingError, followup.FollowupError) as exc:
            outcome[name] = exc
        finally:
            if after:
                after.set()
            connection.close()

    threads = [threading.Thread(target=run, args=("first", first)), threading.Thread(target=run, args=("second", second, first_inside, second_done))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcome


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("payment_first", [True, False])
def test_concurrent_payment_and_release_never_pay_released_money(monkeypatch, payment_first):
    from . import factories as f

    admin = f.UserFactory(username="admin", is_superuser=True)
    rhf = f.RHFFactory(code="HN")
    domain.book_appropriation(admin, Appropriation.objects.create(year=2026, name="RS", amount=FRAME, rhf=rhf))
    grant = Grant.objects.create(pot=domain.root_pot(rhf), title="Prosjekt")
    commitment = domain.commit_grant(admin, grant=grant, amounts={2026: M})[0]

    def payment():
        return pay(admin, Grant.objects.get(pk=grant.pk), PAID)

    def release():
        return domain.release_commitment(admin, Commitment.objects.get(pk=commitment.pk), "Prosjektet stanset")

    if payment_first:
        _interleave(monkeypatch, followup, payment, release)
    else:
        _interleave(monkeypatch, domain, release, payment)

    paid = sum(Payment.objects.values_list("amount", flat=True))
    active = sum(Commitment.objects.filter(grant=grant, status__in=Commitment.ACTIVE).values_list("amount", flat=True))
    assert paid <= active
    assert sum(Commitment.objects.filter(grant=grant).values_list("amount", flat=True)) == M
    assert PotYear.objects.get(pot=grant.pot, year=2026).available() == FRAME - active
    assert (paid, active) == ((PAID, PAID) if payment_first else (0, 0))
