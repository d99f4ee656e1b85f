"""Committed, paid and used money per project and year, and the share used.

"Used" is what the projects report: the newest report that gives a figure for a
year replaces earlier figures for that year (reports state the position so far)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q, Sum

from rsportal.funding.models import Commitment, Grant

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


def _latest_spending(spending):
    """The figures that count: per grant and year only the newest report's (as `_used` picks them),
    chosen in SQL so that a pot's history is summed by the database and not fetched."""
    newer = Spending.objects.filter(report__grant_id=OuterRef("report__grant_id"), year=OuterRef("year")).filter(
        Q(report__submitted_at__gt=OuterRef("report__submitted_at")) | Q(report__submitted_at=OuterRef("report__submitted_at"), report_id__gt=OuterRef("report_id"))
    )
    return spending.filter(~Exists(newer))


def pot_years(pot) -> list[MoneyRow]:
    """Committed, paid and used per year across the pot's projects: one row per year, summed in SQL."""
    by_year: dict[int, MoneyRow] = {}

    def row(year):
        return by_year.setdefault(year, MoneyRow(year=year))

    committed = Commitment.objects.filter(grant__pot=pot, status__in=Commitment.ACTIVE).order_by().values("pot_year__year").annotate(total=Sum("amount"))
    for year, total in committed.values_list("pot_year__year", "total"):
        row(year).committed = total
    for year, total in Payment.objects.filter(grant__pot=pot).order_by().values("year").annotate(total=Sum("amount")).values_list("year", "total"):
        row(year).paid = total
    used = _latest_spending(Spending.objects.filter(report__grant__pot=pot)).order_by().values("year").annotate(total=Sum("amount"))
    for year, total in used.values_list("year", "total"):
        row(year).used = total
    return sorted(by_year.values(), key=lambda r: r.year)


def pot_projects(pot, year: int) -> list[tuple]:
    """The pot's projects with money in `year` (committed, paid or used that year) and that year's figures, by title."""
    by_grant: dict[int, MoneyRow] = {}

    def row(grant_id):
        return by_grant.setdefault(grant_id, MoneyRow(year=year, grant=grant_id))

    committed = Commitment.objects.filter(grant__pot=pot, status__in=Commitment.ACTIVE, pot_year__year=year).order_by().values("grant_id").annotate(total=Sum("amount"))
    for grant_id, total in committed.values_list("grant_id", "total"):
        row(grant_id).committed = total
    for grant_id, total in Payment.objects.filter(grant__pot=pot, year=year).order_by().values("grant_id").annotate(total=Sum("amount")).values_list("grant_id", "total"):
        row(grant_id).paid = total
    for grant_id, amount in _latest_spending(Spending.objects.filter(report__grant__pot=pot, year=year)).values_list("report__grant_id", "amount"):
        row(grant_id).used = amount
    grants = Grant.objects.filter(pk__in=list(by_grant)).only("pk", "title").in_bulk()
    projects = [(grants[pk], r) for pk, r in by_grant.items()]
    projects.sort(key=lambda item: (item[0].title, item[0].pk))
    return projects
