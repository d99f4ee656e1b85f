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
