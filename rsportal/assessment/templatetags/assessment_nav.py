"""The call's tabs link only to pages the viewer may open."""

from django import template

from rsportal.accounts import permissions
from rsportal.assessment import domain
from rsportal.registry.models import Body

register = template.Library()


@register.simple_tag(takes_context=True)
def call_access(context, call) -> dict:
    user = context["request"].user
    return {"takes_part": domain.takes_part(user, call), "manages": domain.manages(user, call)}


@register.simple_tag(takes_context=True)
def may_prioritise(context, call, helsefellesskap) -> bool:
    """The rule of the prioritisation page: the community's secretariat or the call's managers.
    Worked out once per page (the call page lists every community still waiting)."""
    request = context["request"]
    cache = getattr(request, "_may_prioritise", None)
    if cache is None or cache[0] != call.pk:
        user = request.user
        communities = set(
            permissions.active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT, body__helsefellesskap__isnull=False).values_list("body__helsefellesskap_id", flat=True)
        )
        cache = request._may_prioritise = (call.pk, domain.manages(user, call), communities)
    return cache[1] or helsefellesskap.pk in cache[2]
