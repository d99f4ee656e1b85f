from django.core.management.base import BaseCommand

from rsportal.followup.domain import send_reminders


class Command(BaseCommand):
    help = "Queue e-mail reminders for reports due soon, notices for late reports and the questions after a project. Run daily (cron/systemd timer)."

    def handle(self, *args, **options):
        counts = send_reminders()
        self.stdout.write(
            f"reminders: {counts['reminders']}, overdue notices: {counts['overdue']}, after-project questions: {counts['after_project']}"
        )
