from django.core.management.base import BaseCommand

from rsportal.core.notifications import build_digests


class Command(BaseCommand):
    help = "Queue the daily digest e-mail for each user who chose it (sent by send_notifications). Run once a day."

    def handle(self, *args, **options):
        self.stdout.write(f"digests: {build_digests()}")
