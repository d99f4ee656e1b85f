from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from rsportal.demo.loader import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the registry snapshot, demo personas, the real Helse Nord money of 2024-2026 and a demo round at every stage."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(f"Demo data: {result}")
        users = get_user_model().objects.filter(email__endswith="@demo.invalid").order_by("username").values_list("username", flat=True)
        self.stdout.write(f"Demo users (password '{DEMO_PASSWORD}'): {', '.join(users)}")
