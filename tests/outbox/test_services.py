"""Writing to the outbox: one row per recipient, in the caller's transaction, with the message
stored whole so the worker sends exactly what was written."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction

from outbox.models import OutboxEmail
from outbox.services import email_queue
from outbox.tasks import as_message

pytestmark = pytest.mark.django_db


def message(**overrides) -> EmailMultiAlternatives:
    fields = {
        "subject": "Påmelding stadfesta: Oppstartsmøte",
        "body": "Hei Kari,\n\ndu er påmeld.",
        "from_email": "kommunenettverk@example.org",
        "to": ["kari@voss.kommune.no"],
        "reply_to": ["fylket@example.org"],
        **overrides,
    }
    email = EmailMultiAlternatives(**fields)
    email.attach_alternative("<p>Hei Kari,</p>", "text/html")
    return email


def test_a_message_is_stored_whole_and_sent_as_written(django_capture_on_commit_callbacks):
    original = message(headers={"X-Portal": "kommunenettverk"})
    original.attach("mote.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    original.attach("logo.png", b"\x89PNG\r\n\x1a\n\x00\xff", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        [row] = email_queue(messages=[original], kind="registration.confirmed")

    row.refresh_from_db()
    assert (row.kind, row.to, row.status) == (
        "registration.confirmed",
        "kari@voss.kommune.no",
        OutboxEmail.Status.SENT,
    )
    [sent] = mail.outbox
    assert (sent.subject, sent.body, sent.from_email) == (
        original.subject,
        original.body,
        original.from_email,
    )
    assert sent.to == original.to
    assert sent.reply_to == original.reply_to
    assert sent.extra_headers == {"X-Portal": "kommunenettverk"}
    assert sent.alternatives[0][0] == "<p>Hei Kari,</p>"
    assert [tuple(a) for a in sent.attachments] == [tuple(a) for a in original.attachments]


def test_each_recipient_gets_a_row_of_their_own():
    rows = email_queue(messages=[message(to=["a@x.kommune.no", "b@x.kommune.no"])], kind="t")
    assert sorted(row.to for row in rows) == ["a@x.kommune.no", "b@x.kommune.no"]
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED).count() == 2


@pytest.mark.parametrize("copies", [{"cc": ["c@x.no"]}, {"bcc": ["c@x.no"]}])
def test_copies_are_refused(copies):
    with pytest.raises(ValueError, match="to"):
        email_queue(messages=[message(**copies)], kind="t")
    assert not OutboxEmail.objects.exists()


def test_a_rollback_takes_the_email_with_it(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        email_queue(messages=[message()], kind="t")
        raise RuntimeError("the change it reports failed")
    assert callbacks == []
    assert not OutboxEmail.objects.exists()
    assert mail.outbox == []


def test_nothing_is_delivered_before_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_queue(messages=[message()], kind="t")
    assert mail.outbox == []
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.QUEUED
    [deliver] = callbacks
    deliver()
    assert len(mail.outbox) == 1


def test_no_messages_write_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert email_queue(messages=[], kind="t") == []
    assert callbacks == []


def test_a_plain_message_without_html_round_trips():
    plain = EmailMessage("Emne", "Tekst", "from@example.org", ["to@example.org"])
    [row] = email_queue(messages=[plain], kind="t")
    rebuilt = as_message(row)
    assert (rebuilt.subject, rebuilt.body, rebuilt.alternatives) == ("Emne", "Tekst", [])


def test_a_commit_delivers_only_what_it_wrote(django_capture_on_commit_callbacks):
    # Written earlier, by a transaction whose wake-up call was lost: the sweeps deliver it.
    [earlier] = email_queue(messages=[message(to=["earlier@x.kommune.no"])], kind="t")
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(messages=[message(to=["now@x.kommune.no"])], kind="t")
    assert [m.to for m in mail.outbox] == [["now@x.kommune.no"]]
    earlier.refresh_from_db()
    assert earlier.status == OutboxEmail.Status.QUEUED
