from django.core.management.base import BaseCommand

from rsportal.core.reminders import send_reminders


class Command(BaseCommand):
    help = "Queue reminders of call deadlines and report deadlines. Run daily; a reminder goes once per deadline and person."

    def handle(self, *args, **options):
        counts = send_reminders()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
