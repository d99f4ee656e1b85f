from django import template

from rsportal.core import formatting

register = template.Library()


@register.filter
def kr(value):
    """{{ amount|kr }} -> '1 234 567 kr'."""
    return formatting.kroner(value)


@register.filter
def mnok(value):
    return formatting.mnok(value)


@register.filter
def num(value):
    """{{ population|num }} -> '1 234 567'."""
    return "–" if value is None else formatting.group(value)


@register.filter
def vis(value, field=None):
    """{{ value|vis }} or {{ value|vis:field }}: a stored value as a reader sees it (labels for codes,
    "1. januar 2028", "250 000 kr", Ja/Nei); see rsportal/core/present.py."""
    from rsportal.core.present import present

    return present(value, field)
