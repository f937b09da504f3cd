"""Background tasks (django-tasks): sending mailings, with retries.

In production `manage.py db_worker` runs them; in development and tests the immediate backend
runs them as they are enqueued. A recipient's state lives in the database, so a task can be
run again at any time: it only sends what is queued and due.
"""

import datetime as dt
import logging
import smtplib
import socket

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .emails import build_mailing_email, send_meeting_changed_emails
from .models import MailingRecipient

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# 5 min, 10 min, 20 min, 40 min, 80 min: about two and a half hours of retries in all.
FIRST_RETRY = dt.timedelta(minutes=5)
# A batch claimed by a worker that died is given back after this long.
STALE_SENDING = dt.timedelta(hours=1)

TEMPORARY_SMTP_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
)
TEMPORARY_ERRORS = (
    *TEMPORARY_SMTP_ERRORS,
    ConnectionError,
    socket.timeout,
    TimeoutError,
    OSError,
)


def is_temporary(error: Exception) -> bool:
    """SMTP 4xx replies and network failures are worth retrying; 5xx replies are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPException) and not isinstance(error, TEMPORARY_SMTP_ERRORS):
        # An SMTP error without a reply code (e.g. a missing extension) will not go away.
        return False
    return isinstance(error, TEMPORARY_ERRORS)


def retry_delay(attempts: int) -> dt.timedelta:
    return FIRST_RETRY * (2 ** max(attempts - 1, 0))


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
    _schedule_next_run(mailing_id)
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
    counts = {"sent": 0, "failed": 0, "retry": 0}
    connection = get_connection()
    try:
        connection.open()
    except Exception as error:  # the server is not there: the whole batch waits
        for recipient in batch:
            counts[_record_failure(recipient, error)] += 1
        return counts
    try:
        for index, recipient in enumerate(batch):
            try:
                message = build_mailing_email(recipient)
                message.connection = connection
                message.send()
            except Exception as error:  # decide per error: retry, or give up on this address
                counts[_record_failure(recipient, error)] += 1
                if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
                    # The connection is gone: the rest of the batch waits for the next run.
                    for rest in batch[index + 1 :]:
                        counts[_record_failure(rest, error, attempted=False)] += 1
                    break
            else:
                MailingRecipient.objects.filter(pk=recipient.pk).update(
                    status=MailingRecipient.Status.SENT,
                    sent_at=timezone.now(),
                    attempts=recipient.attempts + 1,
                    last_error="",
                    next_attempt_at=None,
                )
                counts["sent"] += 1
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken connection may fail too; nothing is lost
            logger.debug("Closing the SMTP connection failed", exc_info=True)
    return counts


def _record_failure(recipient: MailingRecipient, error: Exception, *, attempted=True) -> str:
    attempts = recipient.attempts + (1 if attempted else 0)
    text = f"{type(error).__name__}: {error}"[:1000]
    if is_temporary(error) and attempts < MAX_ATTEMPTS:
        MailingRecipient.objects.filter(pk=recipient.pk).update(
            status=MailingRecipient.Status.QUEUED,
            attempts=attempts,
            last_error=text,
            next_attempt_at=timezone.now() + retry_delay(attempts),
        )
        logger.warning("Mail to recipient %s will be retried: %s", recipient.pk, text)
        return "retry"
    MailingRecipient.objects.filter(pk=recipient.pk).update(
        status=MailingRecipient.Status.FAILED,
        attempts=attempts,
        last_error=text,
        next_attempt_at=None,
    )
    logger.error("Mail to recipient %s failed for good: %s", recipient.pk, text)
    return "failed"


def _schedule_next_run(mailing_id: int) -> None:
    waiting = (
        MailingRecipient.objects.filter(
            mailing_id=mailing_id, status=MailingRecipient.Status.QUEUED
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    # Without a deferring backend (the immediate one) `send_reminders` picks retries up.
    if (
        waiting is not None
        and waiting > timezone.now()
        and send_mailing.get_backend().supports_defer
    ):
        send_mailing.using(run_after=waiting).enqueue(mailing_id)


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
    """Tell the registrants that a meeting moved, changed place, got its date or was
    cancelled; in the background, so saving the meeting in the admin answers at once."""
    return send_meeting_changed_emails(meeting_id, changes)
