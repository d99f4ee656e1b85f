"""Payment requests in the demo: Alta, owner of "Det digitale sykehuset", asks for part of its
2026 money twice. The first request was approved and paid in the summer; the second waits for
Helse Nord's secretariat, so sekretariat.nord finds it on the to-do list and soker.alta sees it
as sent. Built through the payments domain, as the people would have done it."""

import datetime

from rsportal.funding.models import Grant
from rsportal.payments import domain as payments
from rsportal.registry.models import HealthTrust, Municipality

from .clock import demo_clock, moment

D = datetime.date


def load(people: dict) -> list:
    grant = Grant.objects.get(title="Det digitale sykehuset")
    alta = Municipality.objects.get(name="Alta")
    sor_varanger = Municipality.objects.get(name="Sør-Varanger")
    trust = HealthTrust.objects.get(name="Finnmarkssykehuset HF")
    applicant, secretariat = people["applicant_alta"], people["secretariat"]
    with demo_clock(moment(D(2026, 7, 3), 10)):
        first = payments.submit_request(
            applicant, grant, year=2026, period_start=D(2026, 1, 1), period_end=D(2026, 6, 30), own_contribution=120_000,
            costs=[payments.Cost(alta, 350_000), payments.Cost(sor_varanger, 150_000), payments.Cost(trust, 100_000)],
        )
    with demo_clock(moment(D(2026, 7, 10), 9)):
        first = payments.approve_request(secretariat, first, version=first.version)
    with demo_clock(moment(D(2026, 7, 15), 12)):
        payments.mark_paid(secretariat, [first], paid_on=D(2026, 7, 15))
    with demo_clock(moment(D(2026, 11, 16), 14)):
        second = payments.submit_request(
            applicant, grant, year=2026, period_start=D(2026, 7, 1), period_end=D(2026, 10, 31), own_contribution=90_000,
            costs=[payments.Cost(alta, 300_000), payments.Cost(sor_varanger, 100_000), payments.Cost(trust, 100_000)],
        )
    return [first, second]
