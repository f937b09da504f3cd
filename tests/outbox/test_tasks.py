"""The outbox worker: delivers due e-mails, retries passing failures with growing delays,
records final failures, and gives back what a dead worker claimed."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.utils import timezone

from outbox import delivery
from outbox.delivery import MAX_ATTEMPTS, retry_delay
from outbox.models import OutboxEmail
from outbox.services import email_queue, email_retry, outbox_requeue_stale
from outbox.tasks import deliver_outbox

pytestmark = pytest.mark.django_db

Status = OutboxEmail.Status


class Server:
    """What the fake SMTP server does next: refuse connections while `down` is set, and
    answer sends with the errors in `errors` (None: accepted)."""

    down: Exception | None = None
    errors: list = []


class FlakyBackend(locmem.EmailBackend):
    def open(self):
        if Server.down is not None:
            raise Server.down
        return True

    def send_messages(self, messages):
        for _message in messages:
            if Server.errors and (error := Server.errors.pop(0)) is not None:
                raise error
        return super().send_messages(messages)


@pytest.fixture
def server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    Server.down, Server.errors = None, []
    yield Server
    Server.down, Server.errors = None, []


def queue(count=1) -> list[OutboxEmail]:
    return email_queue(
        messages=[
            EmailMessage("Emne", "Tekst", "from@example.org", [f"p{n}@example.org"])
            for n in range(count)
        ],
        kind="test",
    )


def states() -> list[tuple[str, int]]:
    return list(OutboxEmail.objects.order_by("pk").values_list("status", "attempts"))


def test_due_mail_is_sent_and_marked(server, freeze_now):
    now = freeze_now(timezone.now())
    queue(3)
    totals = deliver_outbox.call()
    assert totals == {"sent": 3, "failed": 0, "retry": 0, "connections": 1}
    assert states() == [(Status.SENT, 1)] * 3
    assert set(OutboxEmail.objects.values_list("sent_at", flat=True)) == {now}
    assert len(mail.outbox) == 3


def test_batches_share_a_connection(server, settings):
    settings.MAILING_BATCH_SIZE = 2
    queue(5)
    assert deliver_outbox.call()["connections"] == 3
    assert len(mail.outbox) == 5


def test_mail_waits_while_the_server_is_down(server, freeze_now):
    now = freeze_now(timezone.now())
    queue(2)
    server.down = ConnectionRefusedError(111, "Connection refused")
    assert deliver_outbox.call()["retry"] == 2
    assert states() == [(Status.QUEUED, 1)] * 2
    assert set(OutboxEmail.objects.values_list("next_attempt_at", flat=True)) == {
        now + retry_delay(1)
    }
    assert "ConnectionRefusedError" in OutboxEmail.objects.first().last_error
    assert mail.outbox == []


def test_mail_is_not_retried_before_its_time(server, freeze_now):
    now = freeze_now(timezone.now())
    queue()
    server.errors = [smtplib.SMTPResponseException(451, "try later")]
    deliver_outbox.call()
    freeze_now(now + retry_delay(1) - dt.timedelta(seconds=1))
    assert deliver_outbox.call()["sent"] == 0
    freeze_now(now + retry_delay(1))
    assert deliver_outbox.call()["sent"] == 1
    assert states() == [(Status.SENT, 2)]
    assert OutboxEmail.objects.get().last_error == ""


def test_a_permanent_refusal_fails_at_once(server):
    queue()
    server.errors = [smtplib.SMTPRecipientsRefused({"p0@example.org": (550, b"no such user")})]
    assert deliver_outbox.call()["failed"] == 1
    email = OutboxEmail.objects.get()
    assert (email.status, email.attempts, email.next_attempt_at) == (Status.FAILED, 1, None)
    assert "550" in email.last_error


def test_passing_failures_give_up_after_the_last_attempt(server, freeze_now):
    now = freeze_now(timezone.now())
    queue()
    server.down = ConnectionRefusedError(111, "Connection refused")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deliver_outbox.call()
        now = freeze_now(now + retry_delay(attempt))
    assert states() == [(Status.FAILED, MAX_ATTEMPTS)]


def test_a_dropped_connection_keeps_the_rest_of_the_batch_for_later(server):
    queue(3)
    server.errors = [None, smtplib.SMTPServerDisconnected("gone")]
    totals = deliver_outbox.call()
    assert totals["sent"] == 1
    # The one being sent used an attempt; the one never tried did not.
    assert states() == [(Status.SENT, 1), (Status.QUEUED, 1), (Status.QUEUED, 0)]


def test_staff_can_send_failed_mail_again(server, django_capture_on_commit_callbacks):
    queue(2)
    server.errors = [smtplib.SMTPResponseException(554, "rejected"), None]
    deliver_outbox.call()
    assert states() == [(Status.FAILED, 1), (Status.SENT, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        assert email_retry(emails=OutboxEmail.objects.all()) == 1
    assert states() == [(Status.SENT, 1), (Status.SENT, 1)]
    assert len(mail.outbox) == 2


def test_mail_a_dead_worker_claimed_is_given_back(server, freeze_now):
    now = freeze_now(timezone.now())
    queue()
    OutboxEmail.objects.update(status=Status.SENDING, next_attempt_at=now)
    freeze_now(now + dt.timedelta(minutes=59))
    assert outbox_requeue_stale() == 0
    freeze_now(now + dt.timedelta(minutes=61))
    # Giving back also wakes the worker (the immediate backend runs it at once).
    assert outbox_requeue_stale() == 1
    assert states() == [(Status.SENT, 1)]


def test_a_second_run_sends_nothing_twice(server):
    queue(2)
    deliver_outbox.call()
    assert deliver_outbox.call() == {"sent": 0, "failed": 0, "retry": 0, "connections": 0}
    assert len(mail.outbox) == 2


def test_delivery_is_recorded_a_batch_at_a_time(server, freeze_now, count_queries, monkeypatch):
    monkeypatch.setattr(delivery, "RECORD_WITHIN", 3600.0)
    now = freeze_now(timezone.now())

    def run(count):
        queue(count)
        queries, totals = count_queries(deliver_outbox.call)
        assert totals["sent"] == count
        return queries

    assert run(3) == run(30)
    assert set(OutboxEmail.objects.values_list("status", "attempts", "sent_at")) == {
        (Status.SENT, 1, now)
    }


def test_deliveries_are_recorded_every_few_and_at_the_end(server, monkeypatch):
    # A worker that dies mid-batch leaves at most RECORD_EVERY sent rows marked as sending.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(delivery, "RECORD_EVERY", 10)
    monkeypatch.setattr(delivery, "RECORD_WITHIN", 3600.0)
    queue(25)
    with CaptureQueriesContext(connection) as context:
        deliver_outbox.call()
    marked_sent = [q for q in context.captured_queries if "'sent'" in q["sql"].lower()]
    assert len(marked_sent) == 3  # 10, 10 and the last 5
    assert states() == [(Status.SENT, 1)] * 25
