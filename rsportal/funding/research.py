"""The research share of a grant: where the call says research is deducted (Call.research_deducted,
board case 154-2024 and STU minutes 1/2026: "Det gjøres fratrekk for tilskudd til forskning"),
the research the application budgets for is set aside from the granted amount, and only the rest
is paid to the project.

The application gives one research figure for the whole project; it is spread over the granted
years in proportion to each year's amount (largest remainder, so the parts add up to the krone),
and never exceeds what is granted."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ResearchYear:
    year: int
    granted: int
    research: int

    @property
    def to_project(self) -> int:
        return self.granted - self.research


@dataclass(frozen=True)
class ResearchSplit:
    rows: list[ResearchYear]

    @property
    def granted(self) -> int:
        return sum(r.granted for r in self.rows)

    @property
    def research(self) -> int:
        return sum(r.research for r in self.rows)

    @property
    def to_project(self) -> int:
        return self.granted - self.research

    def for_year(self, year: int) -> ResearchYear | None:
        return next((r for r in self.rows if r.year == year), None)


def split(research_share: int, amounts: dict[int, int]) -> ResearchSplit | None:
    """`research_share` spread over the granted `amounts` per year; None when nothing is deducted."""
    from .domain import split_by_shares

    amounts = {year: amount for year, amount in amounts.items() if amount}
    total = sum(amounts.values())
    share = min(research_share or 0, total)
    if share <= 0:
        return None
    years = sorted(amounts)
    parts = dict(split_by_shares(share, [(year, Decimal(amounts[year])) for year in years]))
    return ResearchSplit([ResearchYear(year, amounts[year], parts[year]) for year in years])


def deducted_share(application) -> int:
    """What the call deducts for research from a grant on this application (0 if it deducts nothing)."""
    if application is None or not application.call.research_deducted:
        return 0
    return application.research_share or 0


def for_grant(grant) -> ResearchSplit | None:
    """The split of a grant decided on an application in a call that deducts research, from its
    active commitments; None for a grant with nothing deducted (or decided outside the portal)."""
    from .models import Commitment

    decision = getattr(grant, "decision", None)
    application = decision.application if decision is not None and decision.application_id else None
    share = deducted_share(application)
    if not share:
        return None
    amounts: dict[int, int] = {}
    for commitment in grant.commitments.filter(status__in=Commitment.ACTIVE).select_related("pot_year"):
        amounts[commitment.pot_year.year] = amounts.get(commitment.pot_year.year, 0) + commitment.amount
    return split(share, amounts)


def mark_commitments(pot_years) -> None:
    """Give each grant commitment of the loaded `pot_years` (with their commitments prefetched, each
    with grant__decision__application__call) `research` and `to_project`: the part of it set aside
    for research, and what is paid to the project. No queries of its own."""
    from .models import Commitment

    amounts: dict[int, dict[int, int]] = {}
    grants = {}
    for pot_year in pot_years:
        for c in pot_year.commitments.all():
            c.research = 0
            if c.grant_id and c.status in Commitment.ACTIVE:
                amounts.setdefault(c.grant_id, {})
                amounts[c.grant_id][pot_year.year] = amounts[c.grant_id].get(pot_year.year, 0) + c.amount
                grants[c.grant_id] = c.grant
    splits = {}
    for grant_id, by_year in amounts.items():
        decision = getattr(grants[grant_id], "decision", None)
        application = decision.application if decision is not None and decision.application_id else None
        splits[grant_id] = split(deducted_share(application), by_year)
    for pot_year in pot_years:
        left: dict[int, int] = {}  # a year with several commitments: the research goes on the first ones
        for c in pot_year.commitments.all():
            grant_split = splits.get(c.grant_id)
            row = grant_split.for_year(pot_year.year) if grant_split else None
            if row and c.status in Commitment.ACTIVE:
                c.research = min(left.setdefault(c.grant_id, row.research), c.amount)
                left[c.grant_id] -= c.research
                c.to_project = c.amount - c.research
