"""Background tasks (django-tasks): sending mailings, with retries.

In production `manage.py db_worker` runs them; in development and tests the immediate backend
runs them as they are enqueued. A recipient's state lives in the database, so a task can be
run again at any time: it only sends what is queued and due.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from outbox.delivery import STALE_SENDING, schedule_retry_run, send_batch

from .emails import build_mailing_email, queue_meeting_changed_emails
from .models import MailingRecipient


@task()
def send_mailing(mailing_id: int) -> dict[str, int]:
    """Send every due recipient of a mailing, in batches that each share one SMTP connection,
    and schedule another run for the ones that failed for a passing reason."""
    totals = {"sent": 0, "failed": 0, "retry": 0, "connections": 0}
    while True:
        batch = _claim_batch(mailing_id)
        if not batch:
            break
        totals["connections"] += 1
        for key, value in _send_batch(batch).items():
            totals[key] += value
    schedule_retry_run(
        MailingRecipient.objects.filter(mailing_id=mailing_id), send_mailing, mailing_id
    )
    return totals


def _claim_batch(mailing_id: int) -> list[MailingRecipient]:
    """Mark a batch of due recipients as being sent, so a second worker does not take them."""
    with transaction.atomic():
        due = (
            MailingRecipient.objects.due()
            .filter(mailing_id=mailing_id, mailing__queued_at__isnull=False)
            .order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))
        )
        ids = list(due.values_list("pk", flat=True)[: settings.MAILING_BATCH_SIZE])
        MailingRecipient.objects.filter(pk__in=ids).update(
            status=MailingRecipient.Status.SENDING, next_attempt_at=timezone.now()
        )
    return list(
        MailingRecipient.objects.filter(pk__in=ids)
        .select_related("mailing__meeting__series", "contact_person")
        .order_by("pk")
    )


def _send_batch(batch: list[MailingRecipient]) -> dict[str, int]:
    return send_batch(batch, build=build_mailing_email)


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Give back recipients a dead worker claimed, and re-enqueue mailings with mail due.
    Run by `send_reminders`, so nothing waits forever if a task was lost."""
    now = now or timezone.now()
    stale = MailingRecipient.objects.filter(
        status=MailingRecipient.Status.SENDING, next_attempt_at__lt=now - STALE_SENDING
    ).update(status=MailingRecipient.Status.QUEUED)
    for mailing_id in (
        MailingRecipient.objects.due(now)
        .filter(mailing__queued_at__isnull=False)
        .values_list("mailing_id", flat=True)
        .distinct()
    ):
        send_mailing.enqueue(mailing_id)
    return stale


@task()
def send_meeting_change_notices(meeting_id: int, changes: list[str]) -> int:
    """Write the notices that a meeting moved, changed place, got its date or was cancelled
    to the outbox, one per registrant.

    Enqueued inside the transaction that changes the meeting, so with the database backend the
    job commits with the change or not at all; rendering hundreds of e-mails happens here, in
    the worker, not in the admin's request.
    """
    with transaction.atomic():
        return queue_meeting_changed_emails(meeting_id, changes)
