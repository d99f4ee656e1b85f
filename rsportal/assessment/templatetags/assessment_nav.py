"""The call's tabs link only to pages the viewer may open."""

from django import template

from rsportal.accounts import permissions
from rsportal.assessment import domain

register = template.Library()


@register.simple_tag(takes_context=True)
def call_access(context, call) -> dict:
    user = context["request"].user
    return {"takes_part": domain.takes_part(user, call), "manages": domain.manages(user, call)}


@register.simple_tag(takes_context=True)
def may_prioritise(context, call, helsefellesskap) -> bool:
    """The rule of the prioritisation page: the community's secretariat or the call's managers."""
    user = context["request"].user
    return permissions.is_secretariat(user, helsefellesskap) or domain.manages(user, call)
