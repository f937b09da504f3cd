from django.core.management.base import BaseCommand

from projects import services


class Command(BaseCommand):
    help = (
        "Remind the contact persons of ideas aiming at a call, four weeks and one week before "
        "its deadline, each reminder once. `send_reminders` runs this too (hourly, from cron); "
        "this runs it alone. Idempotent."
    )

    def handle(self, *args, **options):
        made = services.call_reminders_send()
        self.stdout.write(f"Call reminders queued: {made['call_reminder']}.")
        if made["failed"]:
            self.stdout.write(f"Reminders that failed: {made['failed']} (see the log).")
