import logging

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import timezone

from rsportal.accounts import permissions
from rsportal.applications.models import Call, Deadline
from rsportal.catalogue.queries import public_grants
from rsportal.funding.models import Commitment

from . import todo

logger = logging.getLogger(__name__)

FRONT_PAGE_CALLS = 6


def contact() -> dict:
    """Who runs this instance and how to reach them; each operator sets its own (see settings.py)."""
    return {
        "name": settings.RSPORTAL_CONTACT_NAME,
        "email": settings.RSPORTAL_CONTACT_EMAIL,
        "phone": settings.RSPORTAL_CONTACT_PHONE,
        "address": settings.RSPORTAL_CONTACT_ADDRESS,
        "privacy_email": settings.RSPORTAL_PRIVACY_EMAIL,
        "accessibility_url": settings.RSPORTAL_ACCESSIBILITY_STATEMENT_URL,
    }


def open_calls(now=None):
    """Published calls one can still apply to, each with `next_deadline` (None when rolling),
    soonest deadline first. One query, whatever the number of calls and deadlines."""
    now = now or timezone.now()
    upcoming = Q(deadlines__at__gte=now)
    return (
        Call.objects.filter(status=Call.Status.PUBLISHED)
        .filter(Q(rolling=True) | Exists(Deadline.objects.filter(call=OuterRef("pk"), at__gte=now)))
        .select_related("pot__rhf", "pot__helsefellesskap")
        .annotate(next_deadline=Min("deadlines__at", filter=upcoming))
        .order_by("rolling", "next_deadline", "title")
    )


def key_figures() -> dict:
    """The headline of the public statistics: funded projects and the money promised to them.
    The same rule as the catalogue (published grants with money still promised)."""
    grants = public_grants()
    figures = grants.aggregate(projects=Count("pk"), communities=Count("helsefellesskap", distinct=True))
    figures["committed"] = (
        Commitment.objects.filter(grant__in=grants.values("pk"), kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return figures


def home(request):
    """Public landing page: open calls, the catalogue and the statistics for everyone; what a
    signed-in person can do besides depends on their roles."""
    calls = list(open_calls()[: FRONT_PAGE_CALLS + 1])
    return render(
        request,
        "core/home.html",
        {
            "has_role": permissions.has_any_role(request.user),
            "calls": calls[:FRONT_PAGE_CALLS],
            "more_calls": len(calls) > FRONT_PAGE_CALLS,
            "figures": key_figures(),
            "todo": todo.for_user(request.user),
        },
    )


def contact_page(request):
    return render(request, "core/contact.html", {"contact": contact()})


def accessibility(request):
    return render(request, "core/accessibility.html", {"contact": contact()})


def privacy_statement(request):
    from rsportal.privacy import conf

    return render(
        request,
        "core/privacy_statement.html",
        {
            "contact": contact(),
            "draft_years": conf.draft_retention_years(),
            "attachment_years": conf.attachment_retention_years(),
            "session_hours": settings.SESSION_COOKIE_AGE // 3600,
        },
    )


# Used when even the 500 template cannot be rendered (a broken deployment): plain, fixed text.
FALLBACK_500 = (
    '<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Feil på serveren – RS-portalen</title></head>'
    "<body><h1>Noe gikk galt hos oss</h1><p>Siden kunne ikke vises på grunn av en feil på serveren. "
    "Feilen er registrert. Prøv igjen om litt.</p><p><a href=\"/\">Til forsiden</a></p></body></html>"
)


def server_error(request):
    """handler500. Renders 500.html without the request, so no context processor runs, and
    with settings only: the error may be that the database is down, so this must not ask it
    anything (tests/test_site_pages.py checks that no query is attempted)."""
    try:
        html = loader.get_template("500.html").render({"contact": contact()})
    except Exception:  # noqa: BLE001 - the error page must never fail in turn
        logger.exception("500.html could not be rendered")
        html = FALLBACK_500
    return HttpResponseServerError(html)
