from django.core.management.base import BaseCommand

from rsportal.followup.domain import plan_reports
from rsportal.funding.models import Grant


class Command(BaseCommand):
    help = "Create report deadlines for every grant from its pot's reporting rules (safe to repeat)."

    def handle(self, *args, **options):
        created = sum(len(plan_reports(grant)) for grant in Grant.objects.select_related("pot__parent"))
        self.stdout.write(f"deadlines created: {created}")
