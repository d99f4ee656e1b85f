"""Committed, paid and used money per project and year, and the share used.

"Used" is what the projects report: the newest report that gives a figure for a
year replaces earlier figures for that year (reports state the position so far)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from rsportal.funding.models import Commitment

from .models import Payment, Spending


@dataclass
class MoneyRow:
    year: int
    committed: int = 0
    paid: int = 0
    used: int = 0
    grant: object = None

    @property
    def share_used(self) -> Decimal | None:
        if not self.committed:
            return None
        return (Decimal(self.used) * 100 / Decimal(self.committed)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _used(grant_ids) -> dict[tuple[int, int], int]:
    latest: dict[tuple[int, int], tuple] = {}
    rows = Spending.objects.filter(report__grant_id__in=grant_ids).values_list("report__grant_id", "year", "amount", "report__submitted_at", "report_id")
    for grant_id, year, amount, submitted_at, report_id in rows:
        key = (grant_id, year)
        if key not in latest or (submitted_at, report_id) > latest[key][1:]:
            latest[key] = (amount, submitted_at, report_id)
    return {key: value[0] for key, value in latest.items()}


def rows_for(grant_ids) -> list[MoneyRow]:
    committed = (
        Commitment.objects.filter(grant_id__in=grant_ids, status__in=Commitment.ACTIVE)
        .values("grant_id", "pot_year__year")
        .annotate(total=Sum("amount"))
        .values_list("grant_id", "pot_year__year", "total")
    )
    paid = Payment.objects.filter(grant_id__in=grant_ids).values("grant_id", "year").annotate(total=Sum("amount")).values_list("grant_id", "year", "total")
    table: dict[tuple[int, int], MoneyRow] = {}
    for grant_id, year, total in committed:
        table.setdefault((grant_id, year), MoneyRow(year=year)).committed = total
    for grant_id, year, total in paid:
        table.setdefault((grant_id, year), MoneyRow(year=year)).paid = total
    for (grant_id, year), amount in _used(grant_ids).items():
        table.setdefault((grant_id, year), MoneyRow(year=year)).used = amount
    for (grant_id, _year), row in table.items():
        row.grant = grant_id
    return sorted(table.values(), key=lambda r: (r.grant, r.year))


def grant_years(grant) -> list[MoneyRow]:
    return rows_for([grant.pk])


def committed_by_year(grant) -> dict[int, int]:
    return {r.year: r.committed for r in grant_years(grant)}


def totals(rows) -> MoneyRow:
    total = MoneyRow(year=0)
    for row in rows:
        total.committed += row.committed
        total.paid += row.paid
        total.used += row.used
    return total


def pot_table(pot):
    """Per year: committed, paid, used and share used across the pot's projects; and per project."""
    grants = {g.pk: g for g in pot.grants.select_related("helsefellesskap")}
    rows = rows_for(list(grants))
    by_year: dict[int, MoneyRow] = defaultdict(lambda: MoneyRow(year=0))
    by_grant: dict[int, MoneyRow] = defaultdict(lambda: MoneyRow(year=0))
    for row in rows:
        for bucket in (by_year[row.year], by_grant[row.grant]):
            bucket.committed += row.committed
            bucket.paid += row.paid
            bucket.used += row.used
    for year, row in by_year.items():
        row.year = year
    projects = [(grants[pk], row) for pk, row in by_grant.items()]
    projects.sort(key=lambda item: item[0].title)
    return {"years": sorted(by_year.values(), key=lambda r: r.year), "projects": projects, "total": totals(by_year.values())}
