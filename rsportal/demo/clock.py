"""The demo's clock: replay a past event through the domain functions at its own moment.

No domain function takes a time: each asks `django.utils.timezone.now()` (directly or
through `localdate()` and the `auto_now` fields). To build a round whose events lie in the
past (applications submitted before the 1 October deadline, a meeting held in November),
the demo loader runs those functions with the clock set to the event's moment. The
functions themselves run unchanged and check every rule against that moment: a submission
after the deadline is refused exactly as it would have been that day. Only the loader uses
this; the running portal never does.
"""

import contextlib
import datetime

from django.utils import timezone


def moment(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@contextlib.contextmanager
def demo_clock(at: datetime.datetime):
    """Inside the block, the clock reads `at` plus the real time elapsed since the block
    began, so events keep their order and the audit trail its sequence."""
    real_now = timezone.now
    offset = at - real_now()
    timezone.now = lambda: real_now() + offset
    try:
        yield
    finally:
        timezone.now = real_now
