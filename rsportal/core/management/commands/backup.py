from pathlib import Path

from django.core.management.base import BaseCommand

from rsportal.security import backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files to one .tar.gz file (see rsportal/security/backup.py)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            choices=["auto", "native", "json"],
            default="auto",
            help="auto: SQLite backup API or pg_dump when available, else json; json: portable dumpdata.",
        )

    def handle(self, *args, file, format, **options):
        manifest = backup.backup(file, format)
        self.stdout.write(
            f"Backed up the {manifest['database_vendor']} database ({manifest['database_format']}) "
            f"and {manifest['media_files']} uploaded files to {file}"
        )
