"""Read side of payments: the lists, the partner balances, and the figures seen from above.
A fixed number of queries per page, however many requests, grants and pots there are."""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from rsportal.followup.models import Payment
from rsportal.funding.models import Commitment, Grant, Pot
from rsportal.funding.queries import MoneyScope
from rsportal.registry.models import HealthTrust, Municipality

from . import domain
from .models import PartnerRecord, PaymentRequest


def managed_requests(scope: MoneyScope):
    """Payment requests of the grants whose money the user manages (`followup.domain.manages` in bulk)."""
    if scope.system_admin:
        return PaymentRequest.objects.all()
    rhfs = scope.admin_rhfs | scope.secretariat_rhfs
    communities = scope.secretariat_helsefellesskap
    return PaymentRequest.objects.filter(Q(grant__pot__rhf_id__in=rhfs) | Q(grant__pot__helsefellesskap_id__in=communities) | Q(grant__helsefellesskap_id__in=communities))


def with_details(requests):
    return requests.select_related(
        "grant__pot", "grant__decision__application", "recipient_municipality", "recipient_trust", "requested_by", "decided_by", "registered_by"
    )


@dataclass
class ExportRow:
    request: PaymentRequest
    org_number: str
    recipient: str
    reference: str
    year: int
    amount: int
    title: str


def export_rows(scope: MoneyScope) -> list[ExportRow]:
    """Approved requests not yet paid, for the accounting system."""
    rows = []
    for request in with_details(managed_requests(scope).filter(status=PaymentRequest.Status.APPROVED)).order_by("decided_at", "pk"):
        recipient = request.recipient
        rows.append(ExportRow(request, recipient.org_number, recipient.name, domain.reference(request.grant), request.year, request.amount, request.grant.title))
    return rows


# --- money between partners ----------------------------------------------------------


@dataclass
class PartnerBalance:
    organisation: object
    year: int
    planned: int = 0
    invoiced: int = 0
    received: int = 0
    overdue: bool = False

    @property
    def outstanding(self) -> int:
        """Invoiced and not yet received."""
        return max(self.invoiced - self.received, 0)


def _due_invoices(records, today: datetime.date) -> dict[tuple[str, int], int]:
    cutoff = today - datetime.timedelta(days=domain.PAYMENT_DAYS)
    due: dict[tuple[str, int], int] = defaultdict(int)
    for r in records:
        if r.kind == PartnerRecord.Kind.INVOICE and r.on <= cutoff:
            due[(domain.org_key(r.organisation), r.year)] += r.amount
    return due


def partner_balances(grant: Grant, records=None, today: datetime.date | None = None) -> list[PartnerBalance]:
    """Per partner and year: the share the budget plans, what the partner has invoiced and what the
    owner has passed on. Overdue when invoices older than PAYMENT_DAYS are not covered."""
    today = today or timezone.localdate()
    records = list(records if records is not None else grant.partner_records.select_related("municipality", "trust"))
    by_key = {domain.org_key(p): p for p in domain.partners(grant)}
    table: dict[tuple[str, int], PartnerBalance] = {}

    def row(key, year):
        if (key, year) not in table:
            table[(key, year)] = PartnerBalance(by_key.get(key), year)
        return table[(key, year)]

    for (key, year), amount in domain.planned_shares(grant).items():
        if key in by_key:
            row(key, year).planned = amount
    for r in records:
        key = domain.org_key(r.organisation)
        target = row(key, r.year)
        target.organisation = target.organisation or r.organisation
        if r.kind == PartnerRecord.Kind.INVOICE:
            target.invoiced += r.amount
        else:
            target.received += r.amount
    for key, amount in _due_invoices(records, today).items():
        if amount > table[key].received:
            table[key].overdue = True
    return sorted(table.values(), key=lambda b: (b.organisation.name if b.organisation else "", b.year))


def overdue_transfers(grants: Q, today: datetime.date | None = None) -> list[tuple[Grant, object, int, int]]:
    """(grant, partner, year, amount overdue) for the grants matching `grants`. The balances are
    summed in SQL, so settled years of the past are never read: one query, and one per kind of
    object found overdue (grants, municipalities, trusts; none when nothing is)."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=domain.PAYMENT_DAYS)
    money = BigIntegerField()
    rows = list(
        PartnerRecord.objects.filter(grants)
        .values("grant_id", "municipality_id", "trust_id", "year")
        .annotate(
            due=Coalesce(Sum("amount", filter=Q(kind=PartnerRecord.Kind.INVOICE, on__lte=cutoff)), 0, output_field=money),
            paid=Coalesce(Sum("amount", filter=Q(kind=PartnerRecord.Kind.TRANSFER)), 0, output_field=money),
        )
        .filter(due__gt=F("paid"))
        .order_by()
    )
    found = {
        "grant": Grant.objects.in_bulk({r["grant_id"] for r in rows}),
        "municipality": Municipality.objects.in_bulk({r["municipality_id"] for r in rows if r["municipality_id"]}),
        "trust": HealthTrust.objects.in_bulk({r["trust_id"] for r in rows if r["trust_id"]}),
    }
    result = [
        (
            found["grant"][r["grant_id"]],
            found["municipality"][r["municipality_id"]] if r["municipality_id"] else found["trust"][r["trust_id"]],
            r["year"],
            r["due"] - r["paid"],
        )
        for r in rows
    ]
    return sorted(result, key=lambda item: (item[0].title, item[1].name, item[2]))


# --- seen from above ------------------------------------------------------------------


@dataclass
class PotYearFigures:
    pot: object
    year: int
    committed: int = 0
    requested: int = 0
    approved: int = 0
    paid: int = 0
    passed_on: int = 0
    days: list[int] = field(default_factory=list)  # request to payment, per paid request

    @property
    def median_days(self):
        return statistics.median(self.days) if self.days else None

    @property
    def average_days(self):
        return round(sum(self.days) / len(self.days), 1) if self.days else None


def figures(rhf_ids, year: int | None = None) -> list[PotYearFigures]:
    """Per pot and year of the RHFs: committed, requested (not returned), approved (approved or
    paid), paid, passed on to partners, and the days from request to payment. Five queries."""
    grant_filter = {"grant__pot__rhf_id__in": rhf_ids}
    years = {"year": year} if year else {}
    table: dict[tuple[int, int], PotYearFigures] = {}
    pots = {}

    def row(pot_id, y):
        if (pot_id, y) not in table:
            table[(pot_id, y)] = PotYearFigures(pots.get(pot_id), y)
        return table[(pot_id, y)]

    commitments = Commitment.objects.filter(kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE, **grant_filter)
    if year:
        commitments = commitments.filter(pot_year__year=year)
    pots.update({p.pk: p for p in Pot.objects.filter(rhf_id__in=rhf_ids)})
    for pot_id, y, total in commitments.values("grant__pot_id", "pot_year__year").annotate(t=Sum("amount")).values_list("grant__pot_id", "pot_year__year", "t"):
        row(pot_id, y).committed = total
    for pot_id, y, status, total in (
        PaymentRequest.objects.filter(status__in=PaymentRequest.OPEN, **grant_filter, **years).values("grant__pot_id", "year", "status").annotate(t=Sum("amount")).values_list("grant__pot_id", "year", "status", "t")
    ):
        target = row(pot_id, y)
        target.requested += total
        if status in (PaymentRequest.Status.APPROVED, PaymentRequest.Status.PAID):
            target.approved += total
    for pot_id, y, total in Payment.objects.filter(**grant_filter, **years).values("grant__pot_id", "year").annotate(t=Sum("amount")).values_list("grant__pot_id", "year", "t"):
        row(pot_id, y).paid = total
    for pot_id, y, total in (
        PartnerRecord.objects.filter(kind=PartnerRecord.Kind.TRANSFER, **grant_filter, **years).values("grant__pot_id", "year").annotate(t=Sum("amount")).values_list("grant__pot_id", "year", "t")
    ):
        row(pot_id, y).passed_on = total
    for pot_id, y, submitted_at, paid_on in PaymentRequest.objects.filter(status=PaymentRequest.Status.PAID, **grant_filter, **years).values_list("grant__pot_id", "year", "submitted_at", "payment__paid_on"):
        row(pot_id, y).days.append(max((paid_on - timezone.localtime(submitted_at).date()).days, 0))
    return sorted(table.values(), key=lambda r: (r.year, r.pot.name if r.pot else ""))


def figures_sheet(rows: list[PotYearFigures]):
    """The figures as workbook columns and rows (the annual report's second sheet)."""
    from django.utils.translation import gettext as _

    from rsportal.core import workbooks as wb

    columns = [
        wb.Column(_("Pott")),
        wb.Column(_("År"), wb.YEAR),
        wb.Column(_("Tilsagn"), wb.AMOUNT, sum=True),
        wb.Column(_("Anmodet"), wb.AMOUNT, sum=True),
        wb.Column(_("Godkjent"), wb.AMOUNT, sum=True),
        wb.Column(_("Utbetalt"), wb.AMOUNT, sum=True),
        wb.Column(_("Sendt videre til partnere"), wb.AMOUNT, sum=True),
        wb.Column(_("Dager til utbetaling, median"), wb.DECIMAL),
        wb.Column(_("Dager til utbetaling, snitt"), wb.DECIMAL),
    ]
    table = [[r.pot.name, r.year, r.committed, r.requested, r.approved, r.paid, r.passed_on, r.median_days, r.average_days] for r in rows if r.pot is not None]
    return columns, table
