"""The two ranking tables the committee asked for.

Criteria have different scales (1-5 and 1-6), so each criterion's mean score is first
normalised to 0..1 as (mean - min) / (max - min): a top mark counts the same on
every scale. The weighted score is then sum(weight x normalised) / sum(weight),
shown on 0-100. "Equal weights" uses weight 1 for every criterion; "the committee's
weights" uses the weights of the call (patient groups x3, sustainability x2,
effect/benefit x2 in Helse Nord)."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass
class Row:
    application: object
    means: dict[int, Decimal | None] = field(default_factory=dict)  # criterion id -> mean score
    scorers: int = 0
    equal: Decimal | None = None
    weighted: Decimal | None = None
    equal_rank: int | None = None
    weighted_rank: int | None = None
    values: list = field(default_factory=list)  # the means in criterion order, for tables


def _round(value: Decimal, places: str = "0.1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def weighted_score(means: dict[int, Decimal | None], criteria, weights: dict[int, Decimal]) -> Decimal | None:
    total = Decimal(0)
    weight_sum = Decimal(0)
    for criterion in criteria:
        mean = means.get(criterion.pk)
        if mean is None:
            return None  # an unscored criterion would silently favour the application
        normalised = (mean - criterion.scale_min) / Decimal(criterion.scale_max - criterion.scale_min)
        total += weights[criterion.pk] * normalised
        weight_sum += weights[criterion.pk]
    return _round(total / weight_sum * 100) if weight_sum else None


def build(applications, criteria, scores) -> list[Row]:
    """Rows with per-criterion means and both weighted scores, ranked both ways."""
    totals: dict[tuple[int, int], tuple[int, int]] = {}
    scorers: dict[int, set[int]] = {}
    for score in scores:
        key = (score.application_id, score.criterion_id)
        total, count = totals.get(key, (0, 0))
        totals[key] = (total + score.value, count + 1)
        scorers.setdefault(score.application_id, set()).add(score.member_id)
    return build_from_totals(
        applications, criteria, [(a, c, total, count) for (a, c), (total, count) in totals.items()], {a: len(m) for a, m in scorers.items()}
    )


def build_from_totals(applications, criteria, totals, scorers: dict[int, int]) -> list[Row]:
    """As `build`, from scores already summed in the database: `totals` holds
    (application id, criterion id, sum of values, number of values), `scorers` the number
    of members who scored each application. The means are the same as `build` computes."""
    criteria = list(criteria)
    by_app: dict[int, dict[int, tuple[int, int]]] = {}
    for application_id, criterion_id, total, count in totals:
        if count:
            by_app.setdefault(application_id, {})[criterion_id] = (total, count)
    equal_weights = {c.pk: Decimal(1) for c in criteria}
    committee_weights = {c.pk: Decimal(c.weight) for c in criteria}
    rows = []
    for application in applications:
        values = by_app.get(application.pk, {})
        means = {c.pk: _round(Decimal(values[c.pk][0]) / values[c.pk][1], "0.01") if c.pk in values else None for c in criteria}
        rows.append(
            Row(
                application=application,
                means=means,
                scorers=scorers.get(application.pk, 0),
                equal=weighted_score(means, criteria, equal_weights),
                weighted=weighted_score(means, criteria, committee_weights),
                values=[means[c.pk] for c in criteria],
            )
        )
    for attribute, rank_attribute in (("equal", "equal_rank"), ("weighted", "weighted_rank")):
        ranked = sorted((r for r in rows if getattr(r, attribute) is not None), key=lambda r: getattr(r, attribute), reverse=True)
        previous, rank = None, 0
        for position, row in enumerate(ranked, start=1):
            if getattr(row, attribute) != previous:
                rank, previous = position, getattr(row, attribute)
            setattr(row, rank_attribute, rank)
    return rows
