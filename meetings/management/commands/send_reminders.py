from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from meetings import services, tasks
from outbox.services import outbox_requeue_stale


class Command(BaseCommand):
    help = (
        "Queue due reminders (invitees who have not answered, N days before the deadline; "
        "participants the day before) and hand mail waiting for a retry (mailings and the "
        "outbox) back to the worker; then the other apps' reminders "
        "(settings.REMINDER_EXTRA_JOBS, e.g. calls' deadlines). Idempotent: run "
        "it every hour from cron."
    )

    def handle(self, *args, **options):
        made = services.reminders_send()
        stale = tasks.requeue_stale() + outbox_requeue_stale()
        self.stdout.write(
            f"Reminders queued: {made['reminder']} to invitees, "
            f"{made['participant_reminder']} to participants; "
            f"{stale} stale deliveries given back."
        )
        if made["failed"]:
            # Each failure is in the log with its meeting and traceback.
            self.stdout.write(f"Meetings whose reminders failed: {made['failed']} (see the log).")
        for path in settings.REMINDER_EXTRA_JOBS:
            # Each job keeps its own failures from the others (and logs them).
            counts = import_string(path)()
            self.stdout.write(
                f"{path}: " + ", ".join(f"{kind} {count}" for kind, count in counts.items())
            )
