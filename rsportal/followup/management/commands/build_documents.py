from django.core.management.base import BaseCommand

from rsportal.followup import documents


class Command(BaseCommand):
    help = "Build the documents people ordered (the annual report PDF) and delete those older than a week. Run every minute (systemd timer); no broker needed."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, limit=20, **options):
        built = 0
        for job in documents.pending().order_by("requested_at", "id")[:limit]:
            built += documents.build(job)
        removed = documents.remove_old()
        self.stdout.write(f"built: {built}, removed: {removed}")
