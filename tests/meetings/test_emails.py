"""Registration e-mails: which are sent, when, in whose language, and with what attached."""

import datetime as dt
import logging
import smtplib
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from meetings import ics, services
from meetings.models import Registration
from outbox.models import OutboxEmail
from tests.helpers import register

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
LANGUAGES = ["nn", "nb", "en"]

SUBJECTS = {
    "confirmed": "Registration confirmed: %(title)s",
    "waitlisted": "On the waiting list: %(title)s",
    "promoted": "You have a seat: %(title)s",
    "cancelled": "Registration cancelled: %(title)s",
}


def translated(language: str, message: str, **values) -> str:
    """The message as the compiled catalogue of `language` has it."""
    with translation.override(language):
        return gettext(message) % values


def calendar_attachment(message) -> icalendar.Event:
    [(filename, content, mimetype)] = message.attachments
    assert filename.endswith(".ics")
    assert mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return event


def html_alternative(message) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


@pytest.fixture
def meeting(meeting_factory, freeze_now):
    """A meeting in May 2027, seen a week before its registration deadline."""
    freeze_now(dt.datetime(2027, 4, 28, 12, 0, tzinfo=OSLO))
    return meeting_factory(
        title="Søknadsverkstad Interreg",
        theme="Interreg Nordsjø",
        starts_at=dt.datetime(2027, 5, 12, 10, 0, tzinfo=OSLO),
        ends_at=dt.datetime(2027, 5, 12, 14, 30, tzinfo=OSLO),
        registration_deadline=dt.datetime(2027, 5, 5, 23, 59, tzinfo=OSLO),
        capacity=1,
    )


@pytest.fixture
def person_factory(contact_person_factory, municipality_factory):
    municipality = municipality_factory()

    def make(language="nn", **kwargs):
        return contact_person_factory(
            municipality=municipality, preferred_language=language, **kwargs
        )

    return make


@pytest.mark.parametrize("language", LANGUAGES)
def test_confirmation_in_the_recipients_language_with_the_calendar_entry(
    meeting, person_factory, django_capture_on_commit_callbacks, language
):
    person = person_factory(language, name="Kari Nordmann")
    with django_capture_on_commit_callbacks(execute=True):
        register(meeting, person)
    [message] = mail.outbox
    assert message.to == [person.email]
    assert message.reply_to == [meeting.series.organiser_email]
    assert message.subject == translated(language, SUBJECTS["confirmed"], title=meeting.title)
    greeting = translated(language, "Hello %(name)s,", name="Kari Nordmann")
    assert greeting in message.body
    assert meeting.title in message.body
    assert reverse("my_meetings") in message.body
    html = html_alternative(message)
    assert greeting in html
    assert meeting.get_absolute_url() in html

    event = calendar_attachment(message)
    assert str(event["UID"]) == ics.meeting_uid(meeting) == meeting.calendar_uid
    assert str(event["SUMMARY"]) == "Søknadsverkstad Interreg"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=2)
    assert event.decoded("DTEND") == meeting.ends_at
    # The calendar entry's texts are in the recipient's language too.
    assert translated(language, "Theme: %(theme)s", theme="Interreg Nordsjø") in str(
        event["DESCRIPTION"]
    )


def test_nynorsk_is_really_translated(meeting, person_factory, django_capture_on_commit_callbacks):
    """Guards the test above: the catalogue must be compiled, or every language would match
    the English source text."""
    with django_capture_on_commit_callbacks(execute=True):
        register(meeting, person_factory("nn"))
    [message] = mail.outbox
    english = SUBJECTS["confirmed"] % {"title": meeting.title}
    assert message.subject != english
    assert message.subject == translated("nn", SUBJECTS["confirmed"], title=meeting.title)


@pytest.mark.parametrize("language", LANGUAGES)
def test_waiting_list_mail_gives_the_position(
    meeting, person_factory, django_capture_on_commit_callbacks, language
):
    register(meeting, person_factory())
    register(meeting, person_factory())
    person = person_factory(language)
    with django_capture_on_commit_callbacks(execute=True):
        register(meeting, person)
    [message] = mail.outbox
    assert message.to == [person.email]
    assert message.subject == translated(language, SUBJECTS["waitlisted"], title=meeting.title)
    intro = translated(
        language,
        "The meeting %(title)s is full, so you are on the waiting list, in place %(position)s. "
        "You will get an e-mail at once if a seat becomes free.",
        title=meeting.title,
        position=2,
    )
    assert intro in message.body
    # The entry holds the time, tentatively, as the person's feed shows it.
    event = calendar_attachment(message)
    assert str(event["UID"]) == ics.meeting_uid(meeting)
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["SUMMARY"]) == translated(
        language, "%(title)s (waiting list)", title=meeting.title
    )
    attached = translated(
        language, "The calendar entry is attached, marked tentative until you get a seat."
    )
    assert attached in message.body
    assert attached in html_alternative(message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_promotion_and_cancellation_mails(
    meeting, person_factory, django_capture_on_commit_callbacks, language
):
    leaving = person_factory(language)
    waiting = person_factory(language)
    seat = register(meeting, leaving)
    register(meeting, waiting)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=seat, actor=leaving)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {leaving.email, waiting.email}

    receipt = by_recipient[leaving.email]
    assert receipt.subject == translated(language, SUBJECTS["cancelled"], title=meeting.title)
    cancelled = calendar_attachment(receipt)
    assert str(cancelled["UID"]) == ics.meeting_uid(meeting)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["DESCRIPTION"]).startswith(
        translated(language, "Your registration for this meeting has been cancelled.")
    )
    update = translated(
        language, "Open the attached calendar entry to update the meeting in your calendar."
    )
    assert update in receipt.body
    assert html_alternative(receipt)

    promoted = by_recipient[waiting.email]
    assert promoted.subject == translated(language, SUBJECTS["promoted"], title=meeting.title)
    event = calendar_attachment(promoted)
    assert str(event["UID"]) == ics.meeting_uid(meeting)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == meeting.title
    assert event.decoded("DTSTART") == meeting.starts_at
    assert html_alternative(promoted)


def test_cancellation_mail_cancels_the_calendar_entry_of_the_confirmation(
    meeting, person_factory, django_capture_on_commit_callbacks
):
    person = person_factory("en")
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(meeting, person)
    confirmation = calendar_attachment(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=registration, actor=person)
    cancellation = calendar_attachment(mail.outbox[-1])
    assert str(cancellation["UID"]) == str(confirmation["UID"]) == ics.meeting_uid(meeting)
    assert str(confirmation["STATUS"]) == "CONFIRMED"
    assert str(cancellation["STATUS"]) == "CANCELLED"
    # A calendar program applies an update only with a higher SEQUENCE.
    assert cancellation.decoded("SEQUENCE") > confirmation.decoded("SEQUENCE")


def test_each_entry_a_person_gets_replaces_the_one_before(
    meeting,
    person_factory,
    client,
    django_capture_on_commit_callbacks,
    ics_events,
):
    """Register, cancel, register again onto the waiting list, get a seat, and see the
    meeting move: every entry has a higher SEQUENCE than the last, and the person's feed
    always agrees with the latest e-mail."""
    person = person_factory("en")
    other = person_factory()
    feed = reverse("personal_feed", kwargs={"token": person.calendar_token})
    uid = ics.meeting_uid(meeting)
    seen = []

    def step(action, status):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        [message] = [m for m in mail.outbox if m.to == [person.email]]
        event = calendar_attachment(message)
        assert str(event["STATUS"]) == status
        seen.append(event.decoded("SEQUENCE"))
        in_feed = ics_events(client.get(feed).content).get(uid)
        if status == "CANCELLED":
            assert in_feed is None
        else:
            assert str(in_feed["STATUS"]) == status
            assert in_feed.decoded("SEQUENCE") == seen[-1]

    def move():
        moved = type(meeting).objects.get(pk=meeting.pk)
        moved.starts_at += dt.timedelta(hours=1)
        moved.ends_at += dt.timedelta(hours=1)
        services.meeting_save(meeting=moved)

    step(lambda: register(meeting, person), "CONFIRMED")
    registration = Registration.objects.get(contact_person=person)
    step(lambda: services.registration_cancel(registration=registration, actor=person), "CANCELLED")
    register(meeting, other)  # takes the only seat
    step(lambda: register(meeting, person), "TENTATIVE")
    other_registration = Registration.objects.get(contact_person=other)
    step(
        lambda: services.registration_cancel(registration=other_registration, actor=other),
        "CONFIRMED",
    )
    step(move, "CONFIRMED")

    assert seen == sorted(set(seen)), seen
    # One row all along: cancelled rows are reactivated, not duplicated.
    assert Registration.objects.filter(contact_person=person).count() == 1
    # The public download keeps the meeting's own SEQUENCE.
    download = ics_events(
        client.get(reverse("meetings:calendar", kwargs={"slug": meeting.slug})).content
    )
    meeting.refresh_from_db()
    assert download[uid].decoded("SEQUENCE") == meeting.sequence == 1


def test_a_registration_staff_add_next_to_a_cancelled_one_keeps_the_sequence_rising(
    meeting, person_factory, django_capture_on_commit_callbacks, registration_factory
):
    person = person_factory("en")
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(meeting, person)
        services.registration_cancel(registration=registration, actor=person)
    cancelled = calendar_attachment(mail.outbox[-1])
    added = Registration(meeting=meeting, contact_person=person)
    services.registration_staff_save(registration=added)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=added, actor=person)
    again = calendar_attachment(mail.outbox[-1])
    assert again.decoded("SEQUENCE") > cancelled.decoded("SEQUENCE")


def test_mail_waits_for_the_commit(meeting, person_factory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register(meeting, person_factory())
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_rolled_back_registration_mails_nobody(
    meeting, person_factory, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        register(meeting, person_factory())
        raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not Registration.objects.exists()


def failing_send(self, fail_silently=False):
    raise smtplib.SMTPResponseException(421, "Service not available")


def test_failed_mail_keeps_the_registration_and_waits_in_the_outbox(
    meeting, person_factory, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    monkeypatch.setattr(EmailMultiAlternatives, "send", failing_send)
    person = person_factory()
    with (
        caplog.at_level(logging.WARNING, logger="outbox.delivery"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        registration = register(meeting, person)
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.CONFIRMED
    [email] = OutboxEmail.objects.filter(to=person.email)
    assert email.kind == "registration.confirmed"
    assert (email.status, email.attempts) == (OutboxEmail.Status.QUEUED, 1)
    assert "421" in email.last_error
    assert email.next_attempt_at > timezone.now()
    [record] = [r for r in caplog.records if r.name == "outbox.delivery"]
    assert record.levelno == logging.WARNING
    assert mail.outbox == []


def test_failed_mail_through_the_page_still_registers(
    meeting,
    client_for,
    linked_contact_person_factory,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(EmailMultiAlternatives, "send", failing_send)
    person = linked_contact_person_factory()
    client = client_for(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meetings:register", kwargs={"slug": meeting.slug}),
            {"attendance_mode": "in_person"},
        )
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    assert Registration.objects.get().contact_person == person
    assert OutboxEmail.objects.get(to=person.email).status == OutboxEmail.Status.QUEUED


def test_failed_promotion_mail_keeps_the_promotion(
    meeting, person_factory, django_capture_on_commit_callbacks, monkeypatch
):
    leaving, waiting = person_factory(), person_factory()
    seat = register(meeting, leaving)
    queued = register(meeting, waiting)
    monkeypatch.setattr(EmailMultiAlternatives, "send", failing_send)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=seat, actor=leaving)
    queued.refresh_from_db()
    assert queued.status == Registration.Status.CONFIRMED
    waiting_mail = OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED, attempts=1)
    assert sorted(waiting_mail.values_list("kind", flat=True)) == [
        "registration.cancelled",
        "registration.promoted",
    ]
