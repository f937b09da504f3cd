"""Writes to the outbox. Other apps hand over finished messages here, inside the transaction of
the change the message reports; the worker delivers them after the commit."""

import base64
import datetime as dt
import functools
import html
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Replace
from django.utils import timezone

from .models import OutboxEmail

logger = logging.getLogger(__name__)


def email_queue(*, messages: Iterable[EmailMessage], kind: str) -> list[OutboxEmail]:
    """Store messages for delivery, one row per recipient, and start the worker after commit.

    Call it inside the transaction that makes the change the messages report: a rollback then
    mails nobody, and a commit can no longer lose them.
    """
    rows: list[OutboxEmail] = []
    for message in messages:
        if message.cc or message.bcc:
            # Every person has a delivery state of their own; copies would share one.
            raise ValueError("Outbox messages have their recipients in `to` only.")
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", ())
                if mimetype == "text/html"
            ),
            "",
        )
        attachments = [_attachment(attachment) for attachment in message.attachments]
        rows.extend(
            OutboxEmail(
                kind=kind,
                to=address,
                from_email=message.from_email,
                reply_to=list(message.reply_to),
                # A lazy translation would be evaluated on save anyway.
                subject=str(message.subject),
                body=str(message.body),
                html=html,
                attachments=attachments,
                headers=dict(message.extra_headers),
            )
            for address in message.to
        )
    if not rows:
        return []
    created = OutboxEmail.objects.bulk_create(rows, batch_size=500)
    transaction.on_commit(functools.partial(deliver_soon, [row.pk for row in created]))
    return created


def _attachment(attachment: Any) -> dict[str, Any]:
    filename, content, mimetype = attachment
    if isinstance(content, bytes):
        return {
            "filename": filename,
            "mimetype": mimetype,
            "content": base64.b64encode(content).decode("ascii"),
            "base64": True,
        }
    return {"filename": filename, "mimetype": mimetype, "content": content, "base64": False}


def deliver_soon(email_ids: list[int] | None = None) -> None:
    """Ask the worker to deliver these e-mails (or all that are due). If the queue cannot be
    reached now, the mail stays in the outbox and the hourly `send_reminders` run hands it to
    the worker."""
    from .tasks import deliver_outbox

    try:
        deliver_outbox.enqueue(email_ids)
    except Exception:  # the e-mails are stored; losing the wake-up call only delays them
        logger.exception("Could not enqueue outbox delivery; the hourly job will pick it up")


def email_retry(*, emails: QuerySet[OutboxEmail]) -> int:
    """Queue failed deliveries again, with a fresh count of attempts."""
    with transaction.atomic():
        failed = emails.filter(status=OutboxEmail.Status.FAILED)
        ids = list(failed.values_list("pk", flat=True))
        count = OutboxEmail.objects.filter(pk__in=ids).update(
            status=OutboxEmail.Status.QUEUED, attempts=0, next_attempt_at=None
        )
        if count:
            transaction.on_commit(functools.partial(deliver_soon, ids))
    return count


def outbox_requeue_stale(*, now: dt.datetime | None = None) -> int:
    """Give back e-mails a dead worker claimed, and wake the worker if mail is due. Run by the
    hourly job, so nothing waits forever if a wake-up call was lost."""
    from .delivery import STALE_SENDING

    now = now or timezone.now()
    stale = OutboxEmail.objects.filter(
        status=OutboxEmail.Status.SENDING, next_attempt_at__lt=now - STALE_SENDING
    ).update(status=OutboxEmail.Status.QUEUED)
    if OutboxEmail.objects.due(now).exists():
        deliver_soon()
    return stale


def emails_to(*, addresses: Iterable[str]) -> QuerySet[OutboxEmail]:
    """The e-mails to any of the addresses (case-insensitive), newest first."""
    match = Q()
    for address in {address.lower() for address in addresses}:
        match |= Q(to__iexact=address)
    if not match:
        return OutboxEmail.objects.none()
    return OutboxEmail.objects.filter(match).order_by("-created_at", "-pk")


def email_forget(*, addresses: Iterable[str], texts: Iterable[str], replacement: str) -> int:
    """Forget a person whose data is deleted: delete the e-mails to their addresses (queued
    ones are then never sent), and replace the texts (their name, addresses) in the e-mails to
    others that mention them. Returns how many e-mails were deleted."""
    deleted, _by_model = emails_to(addresses=addresses).delete()
    found: set[str] = set()
    for text in texts:
        found |= {text, html.escape(text)}
    needles = sorted(found, key=len, reverse=True)
    for field in ("subject", "body", "html"):
        for needle in needles:
            OutboxEmail.objects.filter(**{f"{field}__contains": needle}).update(
                **{field: Replace(field, Value(needle), Value(replacement))}
            )
    # Reply-To of an interest notice is the interested person's address. JSON has no portable
    # text replace, so the few rows that mention a needle are rewritten here.
    mentioned = Q()
    for needle in needles:
        # SQLite keeps JSON with non-ASCII escaped; PostgreSQL's jsonb gives it back plain.
        for form in {needle, json.dumps(needle)[1:-1]}:
            mentioned |= Q(json_text__icontains=form)
    if not mentioned:
        return deleted
    for field in ("reply_to", "headers", "attachments"):
        as_text = OutboxEmail.objects.annotate(json_text=Cast(field, TextField()))
        for email in as_text.filter(mentioned):
            value = _replace_in_json(getattr(email, field), needles, replacement)
            OutboxEmail.objects.filter(pk=email.pk).update(**{field: value})
    return deleted


def _replace_in_json(value: Any, needles: list[str], replacement: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace_in_json(v, needles, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_in_json(v, needles, replacement) for v in value]
    if isinstance(value, str):
        for needle in needles:
            value = re.sub(re.escape(needle), replacement, value, flags=re.IGNORECASE)
    return value
