from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rsportal.registry.importers import ImportFailed, import_municipality_list


class Command(BaseCommand):
    help = "Import or rename municipalities from an SSB classification 131 CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        try:
            report = import_municipality_list(options["file"].read_bytes())
        except (ImportFailed, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"created {report.created}, updated {report.updated}, skipped {len(report.skipped)}")
