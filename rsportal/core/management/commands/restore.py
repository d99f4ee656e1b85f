from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rsportal.security import backup


class Command(BaseCommand):
    help = "Replace the database and the uploaded files with those in a backup made by `rsportal backup`."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, file, interactive, **options):
        if not file.is_file():
            raise CommandError(f"{file} does not exist")
        if interactive:
            answer = input("Everything in the database and under MEDIA_ROOT is replaced by the backup. Type 'yes' to go on: ")
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        manifest = backup.restore(file)
        self.stdout.write(f"Restored the backup made {manifest['created']} ({manifest['database_format']}).")
