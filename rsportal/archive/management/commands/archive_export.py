import datetime

from django.core.management.base import BaseCommand, CommandError

from rsportal.archive import noark
from rsportal.registry.models import Body


class Command(BaseCommand):
    help = "Write the Noark 5 export (arkivstruktur.xml and the documents, as a zip) of one archive body for a period."

    def add_arguments(self, parser):
        parser.add_argument("body", type=int, help="the id of the secretariat (archive body)")
        parser.add_argument("start", type=datetime.date.fromisoformat, help="first day, YYYY-MM-DD")
        parser.add_argument("end", type=datetime.date.fromisoformat, help="last day, YYYY-MM-DD")
        parser.add_argument("output", help="the zip file to write")

    def handle(self, *args, body, start, end, output, **options):
        archive_body = Body.objects.filter(pk=body, kind=Body.Kind.SECRETARIAT).first()
        if archive_body is None:
            raise CommandError(f"No secretariat with id {body}")
        try:
            content = noark.build(archive_body, start, end)
        except noark.ExportError as exc:
            raise CommandError(str(exc)) from exc
        with open(output, "wb") as handle:
            handle.write(content)
        self.stdout.write(f"{output}: {len(content)} bytes")
