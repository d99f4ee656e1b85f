from django import template

from rsportal.accounts import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def manages_anything(context) -> bool:
    """For the menu: whether the signed-in person manages something in the back office."""
    request = context.get("request")
    return bool(request and request.user.is_authenticated and permissions.manages_anything(request.user))
