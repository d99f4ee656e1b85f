"""The call's tabs link only to pages the viewer may open."""

from django import template

from rsportal.assessment import domain

register = template.Library()


@register.simple_tag(takes_context=True)
def call_access(context, call) -> dict:
    user = context["request"].user
    return {"takes_part": domain.takes_part(user, call), "manages": domain.manages(user, call)}
