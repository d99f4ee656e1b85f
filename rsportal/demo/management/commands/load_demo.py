from django.core.management.base import BaseCommand

from rsportal.demo.loader import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the registry snapshot, demo personas and the real Helse Nord money of 2024-2026."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(f"Demo data: {result}")
        self.stdout.write(f"Demo users (password '{DEMO_PASSWORD}'): admin, rhf.nord, sekretariat.nord, sekretariat.tromsofoten, "
                          "stu.leder, stu.medlem, stu.observator, soker.tromso, soker.unn, utenforstaende")
