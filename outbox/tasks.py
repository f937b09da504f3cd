"""The outbox worker (django-tasks): delivers queued e-mails in batches over one SMTP
connection each, and retries passing failures with growing delays.

In production `manage.py db_worker` runs it; with the immediate backend (development) it runs
right after the commit that queued the mail, so nothing changes for the user. The state lives
in the rows, so running it again, or twice at once, never sends a message twice.
"""

import base64
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .delivery import error_text, next_attempt, send_batch
from .models import OutboxEmail

logger = logging.getLogger(__name__)


@task()
def deliver_outbox() -> dict[str, int]:
    """Send every due e-mail, batch by batch, then schedule a run for the next retry."""
    totals = {"sent": 0, "failed": 0, "retry": 0, "connections": 0}
    while batch := _claim_batch():
        totals["connections"] += 1
        for key, value in send_batch(batch, build=as_message, sent=_sent, failed=_failed).items():
            totals[key] += value
    _schedule_next_run()
    return totals


def _claim_batch() -> list[OutboxEmail]:
    """Mark a batch of due e-mails as being sent, so a second worker does not take them."""
    with transaction.atomic():
        ids = list(
            OutboxEmail.objects.due()
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[: settings.MAILING_BATCH_SIZE]
        )
        OutboxEmail.objects.filter(pk__in=ids).update(
            status=OutboxEmail.Status.SENDING, next_attempt_at=timezone.now()
        )
    return list(OutboxEmail.objects.filter(pk__in=ids).order_by("pk"))


def as_message(email: OutboxEmail) -> EmailMultiAlternatives:
    """The stored e-mail as Django sends it."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email,
        to=[email.to],
        reply_to=email.reply_to or None,
        headers=email.headers or None,
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        content = attachment["content"]
        if attachment.get("base64"):
            content = base64.b64decode(content)
        message.attach(attachment["filename"], content, attachment["mimetype"])
    return message


def _sent(email: OutboxEmail) -> None:
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.SENT,
        sent_at=timezone.now(),
        attempts=email.attempts + 1,
        last_error="",
        next_attempt_at=None,
    )


def _failed(email: OutboxEmail, error: Exception, attempted: bool) -> str:
    attempts = email.attempts + (1 if attempted else 0)
    text = error_text(error)
    retry_at = next_attempt(error, attempts, timezone.now())
    if retry_at is not None:
        OutboxEmail.objects.filter(pk=email.pk).update(
            status=OutboxEmail.Status.QUEUED,
            attempts=attempts,
            last_error=text,
            next_attempt_at=retry_at,
        )
        logger.warning("E-mail %s will be retried: %s", email.pk, text)
        return "retry"
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.FAILED, attempts=attempts, last_error=text, next_attempt_at=None
    )
    logger.error("E-mail %s failed for good: %s", email.pk, text)
    return "failed"


def _schedule_next_run() -> None:
    waiting = (
        OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    # Without a deferring backend (the immediate one) the hourly `send_reminders` picks
    # retries up.
    if (
        waiting is not None
        and waiting > timezone.now()
        and deliver_outbox.get_backend().supports_defer
    ):
        deliver_outbox.using(run_after=waiting).enqueue()
