from django.core.management.base import BaseCommand

from rsportal.privacy import conf, domain


class Command(BaseCommand):
    help = (
        "Delete attachment files whose retention period has run out (drafts never submitted, "
        "applications that ended without a grant) and mark their rows. Run daily or weekly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted, change nothing.")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        items = domain.apply_retention(dry_run=dry_run)
        for item in items:
            a = item.attachment
            self.stdout.write(
                f"{'would delete' if dry_run else 'deleted'}: attachment {a.pk} ({a.kind}) of application {a.application_id}, "
                f"rule {item.rule}, {item.retention_years} years from {item.clock_started:%Y-%m-%d}"
            )
        self.stdout.write(
            f"{'would delete' if dry_run else 'deleted'}: {len(items)} file(s); retention "
            f"{conf.draft_retention_years()} year(s) for drafts, {conf.attachment_retention_years()} for applications without a grant"
        )
