from django.conf import settings
from django.core.management.base import BaseCommand

from members.privacy import personal_data_purge


class Command(BaseCommand):
    help = (
        "Apply the retention rules for personal data: anonymise contact persons without an "
        "account who have done nothing for PERSONAL_DATA_RETENTION_MONTHS, and clear "
        "registrations' dietary needs and comments REGISTRATION_ANSWERS_RETENTION_DAYS after "
        "the meeting. Idempotent: run it daily from cron. Prints no names."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be done, and change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        lines = personal_data_purge(dry_run=dry_run)
        for line in lines:
            self.stdout.write(("Would " + line[0].lower() + line[1:]) if dry_run else line)
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}{len(lines)} step(s) "
            f"{'to do' if dry_run else 'done'} (contact persons: "
            f"{settings.PERSONAL_DATA_RETENTION_MONTHS} months, registration answers: "
            f"{settings.REGISTRATION_ANSWERS_RETENTION_DAYS} days)."
        )
