from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from network_portal.demo import STAFF_EMAIL, seed_demo


class Command(BaseCommand):
    help = "Load the demo data (Hordaland 2018 and a series for the coming year). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off. The demo people have e-mail addresses at real "
            "municipal domains, so never do this on a server that sends e-mail.",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: refusing to load demo data without --force.")
        counts = seed_demo()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {summary}."))
        self.stdout.write(f"Staff sign-in (local only): {STAFF_EMAIL} / see README.")
