"""Equality at every stage: who applies, who gets a grant, how much money each side applies
for, is granted and is paid, and how long the applicants wait for the decision.

The statistics module counts the grants; this one counts the applications, so that a side
or a municipality size that seldom applies, or seldom succeeds, is visible before the money
is decided. Every figure is aggregated in the database (GROUP BY over annotated
subqueries), so the cost does not grow with the number of applications, and only sums and
counts leave this module: no application, person or contact is named.

What counts:
- An application counts once it has been submitted (submitted_at is set) and not withdrawn.
- Its side is that of its owners (prosjekteiere): municipalities only, trusts only, or both.
  The owners are the side that initiated the application and carries it.
- It is decided when it has an adopted decision; it succeeded when that decision grants
  money (in full, in part or as a pre-project). Success rate = succeeded / decided.
- Money applied for is the budget's applied grant (all years); granted is the active
  commitments of the grant the decision booked (released money does not count); paid is
  what was recorded as paid out on that grant.
- Days to decision: calendar days from submission to the adopted decision, median over the
  decided applications.
- Municipality size uses the latest population figure (the size groups of the statistics
  page). An application counts in each size group of the municipalities taking part in it,
  as owners or partners, so the groups do not add up to the total.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rsportal.applications.models import Application, BudgetLine, Participant
from rsportal.assessment.models import Decision
from rsportal.followup.models import Payment
from rsportal.funding.models import Commitment
from rsportal.registry.models import Membership, Municipality, RegionalHealthAuthority

from .statistics import MUNICIPALITY_SIZES, latest_population, percent, size_case

SIDES = [
    ("municipality", _("Bare kommune(r) eier")),
    ("trust", _("Bare helseforetak eier")),
    ("both", _("Både kommune og helseforetak eier")),
    ("none", _("Ingen eier registrert")),
]


def _sum(queryset, field: str):
    """The sum of `field` over a correlated subquery, 0 when there are no rows."""
    total = queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total), 0)


def counted_applications(rhf: RegionalHealthAuthority | None = None):
    """The submitted, not withdrawn applications, each annotated with its owner side, the
    adopted decision's outcome and date, and the money applied for, granted and paid."""
    applications = Application.objects.filter(submitted_at__isnull=False).exclude(status=Application.Status.WITHDRAWN)
    if rhf is not None:
        applications = applications.filter(call__pot__rhf=rhf)
    owners = Participant.objects.filter(application=OuterRef("pk"), is_owner=True)
    by_municipality = Exists(owners.filter(municipality__isnull=False))
    by_trust = Exists(owners.filter(trust__isnull=False))
    adopted = Decision.objects.filter(application=OuterRef("pk"), status=Decision.Status.ADOPTED)
    on_adopted = {"grant__decision__application": OuterRef("pk"), "grant__decision__status": Decision.Status.ADOPTED}
    return applications.annotate(
        side=Case(
            When(by_municipality & by_trust, then=Value("both")),
            When(by_municipality, then=Value("municipality")),
            When(by_trust, then=Value("trust")),
            default=Value("none"),
            output_field=CharField(),
        ),
        outcome=Subquery(adopted.values("outcome")[:1]),
        decided_at=Subquery(adopted.values("concluded_at")[:1]),
        applied=_sum(BudgetLine.objects.filter(application=OuterRef("pk"), kind=BudgetLine.Kind.GRANT), "amount"),
        granted_amount=_sum(
            Commitment.objects.filter(kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE, **on_adopted), "amount"
        ),
        paid=_sum(Payment.objects.filter(**on_adopted), "amount"),
    )


DECIDED = Q(outcome__isnull=False)
GRANTED = Q(outcome__in=Decision.GRANTING)


def median(histogram: dict[int, int]) -> int | None:
    """The median of values given as {value: how many}; between two middle values, their
    mean rounded half up (as percentile_cont would give before rounding)."""
    n = sum(histogram.values())
    if not n:
        return None
    middle = [(n - 1) // 2, n // 2]
    found, seen = [], 0
    for value in sorted(histogram):
        count = histogram[value]
        found += [value for position in middle if seen <= position < seen + count]
        seen += count
    return int((Decimal(found[0] + found[1]) / 2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def waiting_days(applications) -> dict[str, dict[int, int]]:
    """Per side, how many decided applications waited how many calendar days (in local time)
    from submission to decision: one row per side and number of days, not per application,
    so the median is found without reading every application."""
    days = ExpressionWrapper(TruncDate("decided_at") - TruncDate("submitted_at"), output_field=DurationField())
    histogram: dict[str, dict[int, int]] = {}
    rows = applications.filter(DECIDED).annotate(days=days).order_by().values("side", "days").annotate(n=Count("pk"))
    for row in rows:
        waited = row["days"].days if row["days"] is not None else None
        if waited is not None:
            histogram.setdefault(row["side"], {})
            histogram[row["side"]][waited] = histogram[row["side"]].get(waited, 0) + row["n"]
    return histogram


@dataclass
class SideRow:
    code: str
    label: str
    applications: int = 0
    decided: int = 0
    granted: int = 0
    applied: int = 0
    granted_amount: int = 0
    paid: int = 0
    median_days: int | None = None

    @property
    def success_rate(self) -> Decimal | None:
        return percent(self.granted, self.decided)

    @property
    def share_paid(self) -> Decimal | None:
        return percent(self.paid, self.granted_amount)


@dataclass
class SizeRow:
    code: str
    label: str
    municipalities: int = 0  # in the helsefellesskap of the regions counted
    applying: int = 0  # of those, taking part in at least one counted application
    applications: int = 0
    decided: int = 0
    granted: int = 0

    @property
    def share_applying(self) -> Decimal | None:
        return percent(self.applying, self.municipalities)

    @property
    def success_rate(self) -> Decimal | None:
        return percent(self.granted, self.decided)


@dataclass
class ApplicationEquality:
    sides: list[SideRow]
    total: SideRow
    sizes: list[SizeRow]


def _figures() -> dict:
    return dict(
        applications=Count("pk"),
        decided=Count("pk", filter=DECIDED),
        granted=Count("pk", filter=GRANTED),
        applied_sum=Sum("applied"),
        granted_sum=Sum("granted_amount"),
        paid_sum=Sum("paid"),
    )


def _side_row(code: str, label, values: dict | None, days: dict[int, int]) -> SideRow:
    if not values or not values["applications"]:
        return SideRow(code, str(label))
    return SideRow(
        code,
        str(label),
        applications=values["applications"],
        decided=values["decided"],
        granted=values["granted"],
        applied=values["applied_sum"] or 0,
        granted_amount=values["granted_sum"] or 0,
        paid=values["paid_sum"] or 0,
        median_days=median(days),
    )


def application_equality(rhf: RegionalHealthAuthority | None = None, day: datetime.date | None = None) -> ApplicationEquality:
    """The application figures per owner side and per municipality size, in five queries."""
    day = day or timezone.localdate()
    applications = counted_applications(rhf)

    by_side = {row["side"]: row for row in applications.order_by().values("side").annotate(**_figures())}
    waited = waiting_days(applications)
    sides = [_side_row(code, label, by_side.get(code), waited.get(code, {})) for code, label in SIDES]
    # The "none" row is shown only when used: an owner is required at submission.
    sides = [row for row in sides if row.code != "none" or row.applications]
    everyone: dict[int, int] = {}
    for histogram in waited.values():
        for days, n in histogram.items():
            everyone[days] = everyone.get(days, 0) + n
    total = _side_row("total", _("Alle søknader"), applications.order_by().aggregate(**_figures()), everyone)

    # The denominators: the municipalities of the selected region, or of the regions with a
    # counted application (a region that has not used the portal is missing data, not a
    # region where nobody applied).
    members = Membership.objects.valid_on(day)
    if rhf is not None:
        members = members.filter(helsefellesskap__rhf=rhf)
    else:
        members = members.filter(helsefellesskap__rhf__in=applications.values("call__pot__rhf"))
    member_ids = members.values("municipality_id")

    # Municipalities taking part (owners or partners), with their size, in the counted applications.
    taking_part = (
        Participant.objects.filter(application__in=applications.values("pk"), municipality__isnull=False)
        .annotate(
            population=latest_population("municipality_id", day),
            outcome=Subquery(
                Decision.objects.filter(application=OuterRef("application_id"), status=Decision.Status.ADOPTED).values("outcome")[:1]
            ),
        )
        .annotate(size=size_case("population"))
        .order_by()
        .values("size")
        .annotate(
            municipalities=Count("municipality", distinct=True, filter=Q(municipality__in=member_ids)),
            applications=Count("application", distinct=True),
            decided=Count("application", distinct=True, filter=DECIDED),
            granted=Count("application", distinct=True, filter=GRANTED),
        )
    )
    by_size = {row["size"]: row for row in taking_part}

    all_by_size = {
        row["size"]: row["n"]
        for row in Municipality.objects.filter(pk__in=member_ids)
        .annotate(population=latest_population("pk", day))
        .annotate(size=size_case("population"))
        .order_by()
        .values("size")
        .annotate(n=Count("pk"))
    }
    sizes = []
    for code, label, _low, _high in MUNICIPALITY_SIZES:
        row = by_size.get(code, {})
        sizes.append(
            SizeRow(
                code,
                str(label),
                municipalities=all_by_size.get(code, 0),
                applying=row.get("municipalities", 0),
                applications=row.get("applications", 0),
                decided=row.get("decided", 0),
                granted=row.get("granted", 0),
            )
        )
    return ApplicationEquality(sides, total, sizes)


# --- After the money ends: are the projects in ordinary operation, and who pays? ---


@dataclass
class OperationRow:
    code: str
    label: str
    answered: int = 0
    yes: int = 0
    partly: int = 0
    no: int = 0

    @property
    def share_yes(self) -> Decimal | None:
        return percent(self.yes, self.answered)

    @property
    def share_partly(self) -> Decimal | None:
        return percent(self.partly, self.answered)


@dataclass
class Operation:
    rows: list[OperationRow]
    total: OperationRow
    unanswered: int  # past the deadline without answers: the figures may change


def after_project(rhf: RegionalHealthAuthority | None = None, day: datetime.date | None = None) -> Operation:
    """The owners' answers one year after the project ended, per who pays for the operation,
    over the projects of the open catalogue; two queries."""
    from rsportal.followup.models import AfterProject

    from .queries import public_grants

    day = day or timezone.localdate()
    rows = AfterProject.objects.filter(grant__in=public_grants().values("pk"))
    if rhf is not None:
        rows = rows.filter(grant__pot__rhf=rhf)
    counts = {
        row["payer"]: row
        for row in rows.filter(answered_at__isnull=False)
        .order_by()
        .values("payer")
        .annotate(
            answered=Count("pk"),
            yes=Count("pk", filter=Q(in_operation=AfterProject.InOperation.YES)),
            partly=Count("pk", filter=Q(in_operation=AfterProject.InOperation.PARTLY)),
            no=Count("pk", filter=Q(in_operation=AfterProject.InOperation.NO)),
        )
    }
    result = []
    for code, label in AfterProject.Payer.choices:
        row = counts.get(code, {})
        result.append(OperationRow(code, str(label), row.get("answered", 0), row.get("yes", 0), row.get("partly", 0), row.get("no", 0)))
    total = OperationRow(
        "total",
        str(_("Alle prosjekter som har svart")),
        sum(r.answered for r in result),
        sum(r.yes for r in result),
        sum(r.partly for r in result),
        sum(r.no for r in result),
    )
    unanswered = rows.filter(answered_at__isnull=True, due_date__lt=day).count()
    return Operation(result, total, unanswered)
