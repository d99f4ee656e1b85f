import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rsportal.applications.notices import site_url
from rsportal.core.formatting import MONTHS
from rsportal.registry.models import Helsefellesskap, RegionalHealthAuthority

from . import events, feeds


def wheel_index(request):
    communities = Helsefellesskap.objects.select_related("rhf").order_by("rhf__name", "name")
    return render(request, "calendar/index.html", {"communities": communities, "rhfs": RegionalHealthAuthority.objects.all()})


def _year(request) -> int:
    value = request.GET.get("ar", "")
    year = int(value) if value.isdigit() else timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise Http404
    return year


def _wheel_page(request, owner, items, year, announced=()):
    months = [{"name": MONTHS[m - 1], "events": []} for m in range(1, 13)]
    for event in items:
        months[event.day.month - 1]["events"].append(event)
    return render(request, "calendar/wheel.html", {"owner": owner, "months": months, "year": year, "count": len(items), "announced": announced})


def community_wheel(request, code: str):
    community = get_object_or_404(Helsefellesskap.objects.select_related("rhf"), code=code)
    year = _year(request)
    return _wheel_page(request, community, events.wheel(year, helsefellesskap=community), year, events.announced_decision_dates(helsefellesskap=community))


def rhf_wheel(request, code: str):
    rhf = get_object_or_404(RegionalHealthAuthority, code=code)
    year = _year(request)
    return _wheel_page(request, rhf, events.wheel(year, rhf=rhf), year, events.announced_decision_dates(rhf=rhf))


@login_required
def my_calendar(request):
    feed = feeds.feed_for(request.user)
    url = site_url() + reverse("calendar:feed", args=[feeds.token(feed)])
    upcoming = [e for e in events.personal(request.user, since=timezone.localdate()) if e.day <= timezone.localdate() + datetime.timedelta(days=365)]
    return render(request, "calendar/mine.html", {"feed": feed, "url": url, "webcal": url.replace("https://", "webcal://").replace("http://", "webcal://"), "events": upcoming})


@require_POST
@login_required
def renew(request):
    feeds.renew(request.user)
    messages.success(request, _("Kalenderen har fått ny adresse. Den gamle virker ikke lenger; abonner på nytt med adressen under."))
    return redirect("calendar:mine")


def feed(request, token: str):
    """No login: calendar programs fetch the address without cookies. The token is the key."""
    user = feeds.user_for(token)
    if user is None:
        raise Http404
    response = HttpResponse(feeds.ics(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="rs-portalen.ics"'
    # The address is a secret and the feed personal: no cache on the way may keep a copy
    # (calendar clients poll it on their own schedule anyway).
    response["Cache-Control"] = "private, no-store"
    return response
