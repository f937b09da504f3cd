"""The outbox worker (django-tasks): delivers queued e-mails in batches over one SMTP
connection each, and retries passing failures with growing delays.

In production `manage.py db_worker` runs it; with the immediate backend (development) it runs
right after the commit that queued the mail, so nothing changes for the user. The state lives
in the rows, so running it again, or twice at once, never sends a message twice.
"""

import base64

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .delivery import schedule_retry_run, send_batch
from .models import OutboxEmail


@task()
def deliver_outbox(email_ids: list[int] | None = None) -> dict[str, int]:
    """Send the given e-mails if they are due, or every due e-mail when none are given, batch
    by batch; then schedule a run for the next retry.

    A commit asks for just the e-mails it wrote, so they go out at once without the run
    sweeping up everything else; the retry runs and the hourly job sweep.
    """
    totals = {"sent": 0, "failed": 0, "retry": 0, "connections": 0}
    while batch := _claim_batch(email_ids):
        totals["connections"] += 1
        for key, value in send_batch(batch, build=as_message).items():
            totals[key] += value
    schedule_retry_run(OutboxEmail.objects.all(), deliver_outbox)
    return totals


def _claim_batch(email_ids: list[int] | None) -> list[OutboxEmail]:
    """Mark a batch of due e-mails as being sent, so a second worker does not take them."""
    due = OutboxEmail.objects.due()
    if email_ids is not None:
        due = due.filter(pk__in=email_ids)
    with transaction.atomic():
        ids = list(
            due.order_by("pk")
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
