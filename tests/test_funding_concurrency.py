"""Many requests trying to commit the same pot at once: never more than its frame."""

import threading

import pytest
from django.db import connection

from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Commitment, Grant, Pot, PotYear

from . import factories as f

M = 1_000_000


def run_in_threads(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def runner(i):
        try:
            barrier.wait()
            results.append(work(i))
        except domain.OverCommitted:
            errors.append(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_commitments_never_exceed_the_frame():
    admin = f.UserFactory(username="admin", is_superuser=True)
    rhf = f.RHFFactory(code="HN")
    domain.book_appropriation(admin, Appropriation.objects.create(year=2026, name="RS", amount=90 * M, rhf=rhf))
    pot = domain.root_pot(rhf)
    grants = [Grant.objects.create(pot=pot, title=f"Prosjekt {i}") for i in range(12)]

    results, refused = run_in_threads(12, lambda i: domain.commit_grant(admin, grant=grants[i], amounts={2026: 20 * M}))

    assert len(results) == 4 and len(refused) == 8
    pot_year = PotYear.objects.get(pot=pot, year=2026)
    assert pot_year.committed() == 80 * M <= pot_year.frame


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_and_reserves_never_exceed_the_frame():
    admin = f.UserFactory(username="admin", is_superuser=True)
    rhf = f.RHFFactory(code="HN")
    domain.book_appropriation(admin, Appropriation.objects.create(year=2026, name="RS", amount=10 * M, rhf=rhf))
    root = domain.root_pot(rhf)
    children = [domain.create_pot(admin, parent=root, name=f"Pott {i}", kind=Pot.Kind.APPLICATION) for i in range(10)]

    reserve_kinds = {0: "administration", 4: "next_year", 8: "held_back"}

    def work(i):
        if i in reserve_kinds:
            return domain.set_reserve(admin, pot=root, year=2026, kind=reserve_kinds[i], amount=3 * M)
        return domain.transfer(admin, source=root, target=children[i], year=2026, amount=3 * M)

    results, refused = run_in_threads(10, work)

    root_year = PotYear.objects.get(pot=root, year=2026)
    assert root_year.committed() + root_year.reserved() <= root_year.frame == 10 * M
    assert len(results) == 3 and len(refused) == 7
    transferred = Commitment.objects.filter(kind=Commitment.Kind.TRANSFER).count()
    assert sum(PotYear.objects.filter(pot__in=children).values_list("frame", flat=True)) == transferred * 3 * M


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_never_exceed_the_commitment():
    import datetime

    from rsportal.followup import domain as followup
    from rsportal.followup.models import Payment

    admin = f.UserFactory(username="admin", is_superuser=True)
    rhf = f.RHFFactory(code="HN")
    domain.book_appropriation(admin, Appropriation.objects.create(year=2026, name="RS", amount=10 * M, rhf=rhf))
    grant = Grant.objects.create(pot=domain.root_pot(rhf), title="Prosjekt")
    domain.commit_grant(admin, grant=grant, amounts={2026: 5 * M})
    barrier = threading.Barrier(8)
    paid, refused = [], []

    def runner():
        try:
            barrier.wait()
            paid.append(followup.record_payment(admin, Grant.objects.get(pk=grant.pk), year=2026, amount=2 * M, paid_on=datetime.date(2026, 3, 1)))
        except followup.FollowupError:
            refused.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(paid) == 2 and len(refused) == 6
    assert sum(Payment.objects.values_list("amount", flat=True)) == 4 * M
