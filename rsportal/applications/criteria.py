"""The default criteria set: the six criteria Helse Nord's allocation committee scores
(minutes 1/2026, item 4/2026), with the committee's weights."""

from decimal import Decimal

from .models import Criterion

HELSE_NORD_2026 = [
    ("Prioriterte pasientgrupper", "Særlig prioritert område.", 1, 5, Decimal(3)),
    ("Redusert ventetid", "Særlig prioritert område.", 1, 5, Decimal(1)),
    ("Aktivitet ved de minste sykehusene", "Særlig prioritert område.", 1, 5, Decimal(1)),
    ("Bærekraft", "Særlig prioritert område: personellbruk og økonomi.", 1, 5, Decimal(2)),
    ("Gevinst/nytte", "Kriterium som tillegges vekt: forventet effekt/nytteverdi.", 1, 5, Decimal(2)),
    ("Grad av integrering", "Kriterium som tillegges vekt.", 1, 6, Decimal(1)),
]


def add_default_criteria(call) -> list[Criterion]:
    """Give a call the six Helse Nord criteria unless it already has criteria."""
    if call.criteria.exists():
        return list(call.criteria.all())
    return Criterion.objects.bulk_create(
        Criterion(call=call, order=i, name=name, description=text, scale_min=low, scale_max=high, weight=weight)
        for i, (name, text, low, high, weight) in enumerate(HELSE_NORD_2026, start=1)
    )
