from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rsportal.registry.importers import ImportFailed, import_ssb_population


class Command(BaseCommand):
    help = "Import population per municipality from an SSB table 07459 CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="SSB 07459")

    def handle(self, *args, **options):
        try:
            report = import_ssb_population(options["file"].read_bytes(), source=options["source"])
        except (ImportFailed, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"created {report.created}, updated {report.updated}, skipped {len(report.skipped)}")
        if report.skipped:
            self.stdout.write("skipped regions: " + ", ".join(sorted(set(report.skipped))))
