from pathlib import Path

from django.core.management.base import BaseCommand

from rsportal.registry.importers import SNAPSHOT_DIR, load_snapshot


class Command(BaseCommand):
    help = "Load the organisation registry (RHF, trusts, municipalities, helsefellesskap, bodies) from CSV files."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=SNAPSHOT_DIR, help="Folder with the registry CSV files")

    def handle(self, *args, **options):
        counts = load_snapshot(options["dir"])
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))
