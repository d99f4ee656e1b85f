from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from rsportal.core.models import Notification


class Command(BaseCommand):
    help = "Send queued notification e-mails. Run every few minutes (cron/systemd timer); no message broker needed."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200)

    def handle(self, *args, **options):
        sent = failed = 0
        for notification in Notification.objects.filter(sent_at__isnull=True, attempts__lt=5).order_by("created_at")[: options["limit"]]:
            with transaction.atomic():
                # Claim the row so that two senders running at once never send it twice.
                claimed = Notification.objects.filter(pk=notification.pk, sent_at__isnull=True, attempts=notification.attempts).update(attempts=notification.attempts + 1)
                if not claimed:
                    continue
            try:
                send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient])
            except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried later
                Notification.objects.filter(pk=notification.pk).update(last_error=str(exc)[:2000])
                failed += 1
            else:
                Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now(), last_error="")
                sent += 1
        self.stdout.write(f"sent: {sent}, failed: {failed}")
