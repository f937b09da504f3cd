"""How the portal delivers e-mail: which failures are worth retrying, how long to wait, and
sending a batch over one SMTP connection. Shared by the outbox and the mailing queue, so an
invitation and a registration confirmation are retried by the same rules."""

import datetime as dt
import logging
import smtplib
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from django.core.mail import EmailMessage, get_connection
from django.db import models
from django.db.models import F
from django.db.models.options import Options
from django.utils import timezone

logger = logging.getLogger(__name__)


class DeliveryRow(Protocol):
    """A row that records its own delivery (an outbox message, a mailing recipient): the
    status, attempts, last_error, next_attempt_at and sent_at columns beside these."""

    pk: Any
    attempts: int
    _meta: ClassVar[Options[Any]]


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


def next_attempt(error: Exception, attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts, or None to give up for good."""
    if is_temporary(error) and attempts < MAX_ATTEMPTS:
        return now + retry_delay(attempts)
    return None


def error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


# A delivery row (an outbox e-mail, a mailing's recipient) has these fields: status (with
# these values), attempts, next_attempt_at, last_error and sent_at.
QUEUED, SENT, FAILED = "queued", "sent", "failed"


def record_sent(rows: Sequence[DeliveryRow]) -> None:
    """Mark delivered rows (all of one model) sent, in one UPDATE."""
    if not rows:
        return
    # The base manager, as Django's own saves use: it sees every row of the table.
    rows[0]._meta.base_manager.filter(pk__in=[row.pk for row in rows]).update(
        status=SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        last_error="",
        next_attempt_at=None,
    )


def record_failure(row: DeliveryRow, error: Exception, attempted: bool = True) -> str:
    """Queue the row again for a later attempt, or give up on it; returns "retry" or
    "failed". A row that was not even tried keeps its attempts."""
    attempts = row.attempts + (1 if attempted else 0)
    text = error_text(error)
    retry_at = next_attempt(error, attempts, timezone.now())
    rows = row._meta.base_manager.filter(pk=row.pk)
    name = f"{row._meta.model_name} {row.pk}"
    if retry_at is not None:
        rows.update(status=QUEUED, attempts=attempts, last_error=text, next_attempt_at=retry_at)
        logger.warning("Delivery to %s will be retried: %s", name, text)
        return "retry"
    rows.update(status=FAILED, attempts=attempts, last_error=text, next_attempt_at=None)
    logger.error("Delivery to %s failed for good: %s", name, text)
    return "failed"


def schedule_retry_run(rows: models.QuerySet, task, *args) -> None:
    """Enqueue `task(*args)` for when the first of `rows` waiting for a retry comes due.
    Without a deferring backend (the immediate one) the hourly `send_reminders` picks
    retries up instead."""
    waiting = (
        rows.filter(status=QUEUED, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if waiting is not None and waiting > timezone.now() and task.get_backend().supports_defer:
        task.using(run_after=waiting).enqueue(*args)


Item = TypeVar("Item", bound=DeliveryRow)

# Deliveries are recorded together, in one UPDATE, once this many are waiting or this long
# after the first of them went out. A worker that dies leaves at most these sent but still
# marked as being sent; they are given back after STALE_SENDING and mailed a second time.
RECORD_EVERY = 100
RECORD_WITHIN = 2.0  # seconds


def send_batch(
    items: Sequence[Item],
    *,
    build: Callable[[Item], EmailMessage],
    sent: Callable[[Sequence[Item]], None] = record_sent,
    failed: Callable[[Item, Exception, bool], str] = record_failure,
) -> Counter:
    """Send one message per item over a single SMTP connection.

    `sent(items)` records deliveries, several at a time (see RECORD_EVERY); `failed(item,
    error, attempted)` records a failure and returns the outcome to count ("retry" or
    "failed"). When the server is unreachable or drops the connection, the items not yet
    tried are handed to `failed` with attempted=False: they wait for the next run without
    using up an attempt.
    """
    counts = Counter(sent=0, failed=0, retry=0)
    delivered: list[Item] = []
    first_delivered_at = 0.0

    def record() -> None:
        sent(delivered)
        delivered.clear()

    connection = get_connection()
    try:
        connection.open()
    except Exception as error:  # the server is not there: the whole batch waits
        for item in items:
            counts[failed(item, error, True)] += 1
        return counts
    try:
        for index, item in enumerate(items):
            try:
                message = build(item)
                message.connection = connection
                message.send()
            except Exception as error:  # decide per error: retry, or give up on this address
                counts[failed(item, error, True)] += 1
                if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
                    for rest in items[index + 1 :]:
                        counts[failed(rest, error, False)] += 1
                    break
            else:
                if not delivered:
                    first_delivered_at = time.monotonic()
                delivered.append(item)
                counts["sent"] += 1
                if (
                    len(delivered) >= RECORD_EVERY
                    or time.monotonic() - first_delivered_at >= RECORD_WITHIN
                ):
                    record()
    finally:
        try:
            # Also when building a message raised: what went out is recorded as sent.
            record()
        finally:
            try:
                connection.close()
            except Exception:  # closing a broken connection may fail too; nothing is lost
                logger.debug("Closing the SMTP connection failed", exc_info=True)
    return counts
