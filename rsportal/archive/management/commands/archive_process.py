from django.core.management.base import BaseCommand

from rsportal.archive import domain, recording


class Command(BaseCommand):
    help = (
        "Make the documents of registry entries that are waiting or failed, then send archived entries to their "
        "body's postmottak. Run every few minutes (systemd timer or cron); no broker needed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args, limit=50, **options):
        built = failed = sent = not_sent = 0
        for entry in recording.waiting()[:limit]:
            if recording.build(entry):
                built += 1
            else:
                failed += 1
        for entry in domain.to_send()[:limit]:
            if domain.send(entry):
                sent += 1
            else:
                not_sent += 1
        self.stdout.write(f"archived: {built}, failed: {failed}, sent: {sent}, not sent: {not_sent}")
