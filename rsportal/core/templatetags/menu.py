"""The main menu's links, marking the one the visitor is on (aria-current)."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()

# Every link of the main menu. A page belongs to the item whose address is the longest
# prefix of its own: /soknader/utlysninger/3/ belongs to "Utlysninger", not to "Mine søknader".
MENU = (
    "applications:call-list",
    "catalogue:project-list",
    "catalogue:statistics",
    "applications:mine",
    "assessment:index",
    "followup:overview",
    "registry:helsefellesskap-list",
    "funding:overview",
    "backoffice:index",
    "admin:index",
    "notices:list",
    "calendar:mine",
    "calendar:wheel-index",
    "security:manage",
)


def current_item(path: str) -> str | None:
    """The menu address the page at `path` belongs to, or None (the front page, the login)."""
    best = None
    for name in MENU:
        try:
            href = reverse(name)
        except NoReverseMatch:
            continue
        if path.startswith(href) and (best is None or len(href) > len(best)):
            best = href
    return best


@register.simple_tag(takes_context=True)
def menu_link(context, view_name, label):
    """A menu link; aria-current="page" on the page itself, "true" on a page inside its section."""
    href = reverse(view_name)
    request = context.get("request")
    path = request.path if request else ""
    if path == href:
        return format_html('<a class="ds-link" href="{}" aria-current="page">{}</a>', href, label)
    if request is not None:
        if not hasattr(request, "_menu_item"):
            request._menu_item = current_item(path)
        if request._menu_item == href:
            return format_html('<a class="ds-link" href="{}" aria-current="true">{}</a>', href, label)
    return format_html('<a class="ds-link" href="{}">{}</a>', href, label)


@register.simple_tag(takes_context=True)
def unread_notices(context) -> int:
    """How many of the signed-in user's notifications are unread (one query, only when signed in)."""
    from rsportal.core.models import Notice

    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notice.objects.filter(user=user, read_at__isnull=True).count()
