"""The personal iCalendar feed (RFC 5545) at a secret, renewable address.

The token is "<user id>.<version>.<HMAC>" with Django's salted HMAC over the user and the
feed's version: nothing secret is stored, a guessed or altered token fails the comparison, and
renewing (a new version) makes the old address fail at once. The file is written by the
`icalendar` library, which folds lines at 75 octets, ends them with CRLF and escapes text;
times are written in UTC (the "Z" form), which every client places right without a VTIMEZONE,
and dates without a time are all-day events (VALUE=DATE)."""

import datetime

import icalendar
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from rsportal.applications.notices import site_url
from rsportal.core.audit import record

from . import events
from .models import CalendarFeed

SALT = "rsportal.calendar.feed"
DOMAIN = "rs-portalen"  # the right-hand side of every UID


def _signature(user_id: int, version: int) -> str:
    return salted_hmac(SALT, f"{user_id}.{version}", algorithm="sha256").hexdigest()[:40]


def feed_for(user) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def token(feed: CalendarFeed) -> str:
    return f"{feed.user_id}.{feed.version}.{_signature(feed.user_id, feed.version)}"


def user_for(value: str):
    """The active user whose current token `value` is, or None."""
    try:
        user_id, version, signature = value.split(".")
        user_id, version = int(user_id), int(version)
    except ValueError:
        return None
    if not constant_time_compare(signature, _signature(user_id, version)):
        return None
    feed = CalendarFeed.objects.filter(user_id=user_id, version=version, user__is_active=True).select_related("user").first()
    return feed.user if feed else None


@transaction.atomic
def renew(actor) -> CalendarFeed:
    """A new secret address for the actor's feed; the old one stops working."""
    feed = feed_for(actor)
    CalendarFeed.objects.filter(pk=feed.pk).update(version=F("version") + 1, renewed_at=timezone.now())
    feed.refresh_from_db()
    record(actor, "calendar.renewed", actor, _("Ny adresse til kalenderabonnementet"), version=feed.version)
    return feed


def ics(user, now=None) -> bytes:
    """The person's calendar as an iCalendar file."""
    now = now or timezone.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//RS-portalen//Kalender//NO")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("RS-portalen: %(name)s") % {"name": user.get_full_name() or user.username})
    calendar.add("x-wr-timezone", "Europe/Oslo")
    stamp = now.astimezone(datetime.timezone.utc)
    for event in events.personal(user):
        item = icalendar.Event()
        item.add("uid", f"{event.uid}@{DOMAIN}")
        item.add("dtstamp", stamp)
        item.add("summary", event.summary)
        item.add("categories", [event.kind_label])
        if event.all_day:
            item.add("dtstart", event.start)  # a date: written with VALUE=DATE
            item.add("dtend", event.start + datetime.timedelta(days=1))
            item.add("transp", "TRANSPARENT")
        else:
            start = event.start.astimezone(datetime.timezone.utc)
            item.add("dtstart", start)
            item.add("dtend", start + (datetime.timedelta(hours=2) if event.kind == "meeting" else datetime.timedelta(minutes=0)))
        if event.link:
            item.add("url", site_url() + event.link)
        description = "\n".join(x for x in (event.description, site_url() + event.link if event.link else "") if x)
        if description:
            item.add("description", description)
        calendar.add_component(item)
    return calendar.to_ical()


