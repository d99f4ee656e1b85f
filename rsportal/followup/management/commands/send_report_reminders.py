from django.core.management.base import BaseCommand

from rsportal.followup.domain import send_reminders


class Command(BaseCommand):
    help = "Queue e-mail reminders for reports due soon and notices for late reports. Run daily (cron/systemd timer)."

    def handle(self, *args, **options):
        counts = send_reminders()
        self.stdout.write(f"reminders: {counts['reminders']}, overdue notices: {counts['overdue']}")
