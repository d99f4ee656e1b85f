"""Deadline reminders, run daily by `rsportal send_reminders` (cron or a systemd timer).

Each reminder goes once per deadline and person: a ReminderSent row (unique on deadline key and
user) is written in the same transaction as the notification, so a second run the same day, or
two runs at once, find it and send nothing. Reports due are reminded by the follow-up's own rule
(followup.domain.send_reminders, once per report due), which this command runs as well."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import notifications
from .audit import notify
from .formatting import long_date
from .models import ReminderSent

CALL_DEADLINE_DAYS = 7  # how long before a call's deadline the authors of a draft are reminded


def call_deadline_reminders(now=None) -> int:
    """Remind the authors of drafts in a call whose deadline is within CALL_DEADLINE_DAYS."""
    from rsportal.applications.models import Application, Call, Deadline
    from rsportal.applications.notices import site_url
    from rsportal.applications.thread import applicant_users

    now = now or timezone.now()
    sent = 0
    deadlines = Deadline.objects.filter(
        call__status=Call.Status.PUBLISHED, at__gte=now, at__lte=now + datetime.timedelta(days=CALL_DEADLINE_DAYS)
    ).select_related("call")
    for deadline in deadlines:
        drafts = Application.objects.filter(call=deadline.call, status__in=[Application.Status.DRAFT, Application.Status.REVISION]).prefetch_related("participants")
        per_user: dict[int, tuple] = {}
        for application in drafts:
            for user in applicant_users(application):
                per_user.setdefault(user.pk, (user, []))[1].append(application)
        key = f"deadline:{deadline.pk}"
        for user, applications in per_user.values():
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(key=key, user=user)
                    lines = [
                        _("Søknadsfristen for «%(call)s» er %(date)s.") % {"call": deadline.call.title, "date": f"{long_date(deadline.at)} kl. {timezone.localtime(deadline.at):%H.%M}"},
                        _("Disse søknadene er ikke sendt inn:"),
                        "\n".join(f"- {a.title}: {site_url()}{reverse('applications:edit', args=[a.pk])}" for a in applications),
                    ]
                    notify(
                        [user],
                        _("Påminnelse: søknadsfrist %(date)s for «%(call)s»") % {"date": long_date(deadline.at), "call": deadline.call.title},
                        "\n\n".join(lines),
                        category=notifications.DEADLINE,
                        link=reverse("applications:edit", args=[applications[0].pk]),
                    )
                    sent += 1
            except IntegrityError:
                continue  # reminded already (by an earlier run, or one running now)
    return sent


def send_reminders(now=None) -> dict[str, int]:
    from rsportal.followup.domain import send_reminders as report_reminders

    counts = {"call_deadlines": call_deadline_reminders(now)}
    counts.update(report_reminders(now))
    return counts
