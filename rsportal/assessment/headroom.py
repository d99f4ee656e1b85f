"""A proposal's money per year against what the pot has free in each year.

A multi-year grant is booked as one commitment per year (funding.domain.commit_grant), all
years or none. The committee must see, before anyone votes, whether every year fits: a
proposal that only fails when the money is booked wastes the votes and leaves the
application stuck. The same figures refuse such a proposal in `domain.propose_decision`
and are shown on the chair's page; `commit_grant` still checks under the pot's lock, as
another decision may have used the money in between.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from rsportal.core.formatting import kroner
from rsportal.funding.models import Pot
from rsportal.funding.queries import year_summaries


@dataclass
class YearRow:
    year: int
    proposed: int
    frame: int | None  # None: the pot has no frame for the year
    used: int  # committed and reserved already

    @property
    def available(self) -> int:
        return (self.frame or 0) - self.used

    @property
    def after(self) -> int:
        """What the pot has free in the year if the proposal is adopted (negative: it does not fit)."""
        return self.available - self.proposed

    @property
    def short(self) -> int:
        """How much the year lacks (0 when it fits)."""
        return max(0, -self.after)

    @property
    def fits(self) -> bool:
        return self.frame is not None and self.frame > 0 and self.after >= 0


def year_frames(pot: Pot, since: int | None = None) -> dict[int, int]:
    """What the pot has free in each year it has a frame for: the optimiser's per-year limits.

    With `since`, only that year and later: the years a proposal can have money in, so that the
    pot's past years are not read. Should the pot have frames only before `since`, all years
    are returned, as without it: the optimiser then finds no frame for the candidates' years,
    where an empty answer would mean no limits per year at all."""
    frames = {s.year: max(0, s.available) for s in year_summaries([pot], since=since)[pot.pk] if s.frame > 0}
    if since is not None and not frames:
        return year_frames(pot)
    return frames


def rows(pot: Pot, amounts: dict) -> list[YearRow]:
    """One row per year the proposal has money in, against the pot's frame that year."""
    by_year = {s.year: s for s in year_summaries([pot])[pot.pk]}
    result = []
    for year, amount in sorted((int(y), int(a)) for y, a in amounts.items() if int(a)):
        summary = by_year.get(year)
        result.append(
            YearRow(year=year, proposed=amount, frame=summary.frame if summary else None, used=(summary.committed + summary.reserved) if summary else 0)
        )
    return result


def row_text(row: YearRow) -> str:
    if not row.frame:
        return _("%(year)s: foreslått %(proposed)s, men potten har ingen ramme for %(year)s") % {"year": row.year, "proposed": kroner(row.proposed)}
    return _("%(year)s: foreslått %(proposed)s, ramme %(frame)s, bundet fra før %(used)s, ledig %(available)s (mangler %(short)s)") % {
        "year": row.year,
        "proposed": kroner(row.proposed),
        "frame": kroner(row.frame),
        "used": kroner(row.used),
        "available": kroner(row.available),
        "short": kroner(row.short),
    }


def refusal(pot: Pot, amounts: dict) -> str | None:
    """Why the amounts cannot be put to the vote, with the figures of every year that does not fit; None when all fit."""
    over = [row for row in rows(pot, amounts) if not row.fits]
    if not over:
        return None
    return _("Forslaget går ut over ledige midler i %(pot)s: %(years)s. Endre beløpene per år før forslaget legges fram til avstemning.") % {
        "pot": pot.name,
        "years": "; ".join(row_text(row) for row in over),
    }
