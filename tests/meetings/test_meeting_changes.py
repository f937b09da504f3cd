"""Changing a meeting that people hold in their calendars: the sequence rises with the change,
registered people are told by e-mail with the updated entry, and the admin warns about it."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation

from meetings import emails, ics, services
from meetings.models import Meeting, Registration
from outbox.models import OutboxEmail

pytestmark = pytest.mark.django_db

SITE_URL = "https://kommunenettverk.example.no"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def saved_sequence(meeting) -> int:
    return Meeting.objects.values_list("sequence", flat=True).get(pk=meeting.pk)


@pytest.fixture
def registrants(contact_person_factory, registration_factory):
    """Register people for a meeting with two seats: Nynorsk and English readers hold them, a
    Bokmål reader waits for one, and one person cancelled. Returns the people who should hear
    about changes, by language."""

    def register(meeting):
        Meeting.objects.filter(pk=meeting.pk).update(capacity=2)
        meeting.capacity = 2
        nn = contact_person_factory(name="Synnøve Dale", preferred_language="nn")
        en = contact_person_factory(name="Erik Berg", preferred_language="en")
        waiting = contact_person_factory(name="Vera Li", preferred_language="nb")
        gone = contact_person_factory(name="Gunnar Lie")
        registration_factory(meeting=meeting, contact_person=nn)
        registration_factory(meeting=meeting, contact_person=en)
        registration_factory(
            meeting=meeting, contact_person=waiting, status=Registration.Status.WAITLISTED
        )
        registration_factory(
            meeting=meeting,
            contact_person=gone,
            status=Registration.Status.CANCELLED,
            cancelled_at=timezone.now(),
        )
        return {"nn": nn, "en": en, "nb": waiting}

    return register


def _move(meeting):
    meeting.starts_at += dt.timedelta(days=1, hours=1)
    meeting.ends_at += dt.timedelta(days=1, hours=1)


def _change_place(meeting):
    meeting.venue_name = "Bergen rådhus"
    meeting.venue_address = "Rådhusgaten 10, Bergen"


def _cancel(meeting):
    meeting.status = Meeting.Status.CANCELLED


CHANGES = {
    "time": (_move, "Changed: "),
    "end-time": (lambda m: setattr(m, "ends_at", m.ends_at + dt.timedelta(hours=1)), "Changed: "),
    "place": (_change_place, "Changed: "),
    "online-link": (
        lambda m: setattr(m, "online_url", "https://video.example.org/nytt-rom"),
        "Changed: ",
    ),
    "cancelled": (_cancel, "Cancelled: "),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_calendar_change_raises_the_sequence_and_mails_everyone_registered(
    meeting_factory, registrants, django_capture_on_commit_callbacks, change
):
    meeting = meeting_factory(sequence=4)
    people = registrants(meeting)
    apply, subject = CHANGES[change]
    apply(meeting)

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)
        # Saved with the change, in the same transaction; the mail waits for the commit.
        assert saved_sequence(meeting) == 5
        assert mail.outbox == []

    assert meeting.sequence == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people.values())
    english = next(m for m in mail.outbox if m.to == [people["en"].email])
    assert english.subject == subject + meeting.title


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_change_e_mail_carries_the_updated_calendar_entry(
    meeting_factory,
    registrants,
    django_capture_on_commit_callbacks,
    ics_events,
    ics_attachment,
    change,
):
    meeting = meeting_factory()
    people = registrants(meeting)
    CHANGES[change][0](meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)

    uid = ics.meeting_uid(meeting)
    for message in mail.outbox:
        events = ics_events(ics_attachment(message))
        assert list(events) == [uid]
        event = events[uid]
        assert event.decoded("SEQUENCE") == 1
        assert event.decoded("DTSTART") == meeting.starts_at
        assert event.decoded("DTEND") == meeting.ends_at
        # The person on the waiting list keeps a tentative entry, as in their feed.
        waiting = message.to == [people["nb"].email]
        expected_status = (
            "CANCELLED" if change == "cancelled" else "TENTATIVE" if waiting else "CONFIRMED"
        )
        assert str(event["STATUS"]) == expected_status


def test_the_change_entry_carries_each_persons_sequence(
    meeting_factory,
    registration_factory,
    django_capture_on_commit_callbacks,
    ics_events,
    ics_attachment,
):
    # A person whose registration changed status twice has had entries up to the meeting's
    # SEQUENCE plus 2; the change notice must go higher still, or their calendar ignores it.
    meeting = meeting_factory(sequence=3)
    registration = registration_factory(meeting=meeting, calendar_sequence=2)
    _move(meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)
    (message,) = mail.outbox
    assert message.to == [registration.contact_person.email]
    event = ics_events(ics_attachment(message))[ics.meeting_uid(meeting)]
    assert event.decoded("SEQUENCE") == 4 + 2


def test_the_cancellation_entry_keeps_the_uid_of_the_confirmation(
    meeting_factory,
    contact_person_factory,
    django_capture_on_commit_callbacks,
    ics_events,
    ics_attachment,
):
    meeting = meeting_factory()
    person = contact_person_factory(preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(
            meeting=meeting, person=person, actor=person, answers=services.RegistrationAnswers()
        )
    confirmation = ics_events(ics_attachment(mail.outbox[0]))

    meeting.status = Meeting.Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)
    cancellation = ics_events(ics_attachment(mail.outbox[1]))

    assert list(confirmation) == list(cancellation) == [ics.meeting_uid(meeting)]
    (before,), (after,) = confirmation.values(), cancellation.values()
    # The meeting's SEQUENCE (0, then 1) plus the registration's 1.
    assert (str(before["STATUS"]), before.decoded("SEQUENCE")) == ("CONFIRMED", 1)
    assert (str(after["STATUS"]), after.decoded("SEQUENCE")) == ("CANCELLED", 2)
    assert str(after["DESCRIPTION"]).startswith("This meeting has been cancelled.")


def test_fixing_the_date_of_a_tentative_meeting(
    meeting_factory,
    registrants,
    django_capture_on_commit_callbacks,
    ics_events,
    ics_attachment,
):
    meeting = meeting_factory(tentative=True)
    people = registrants(meeting)
    starts_at = (timezone.now() + dt.timedelta(days=60)).replace(microsecond=0)
    meeting.status = Meeting.Status.SCHEDULED
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + dt.timedelta(hours=4)

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)

    assert saved_sequence(meeting) == 1
    assert len(mail.outbox) == 3
    english = next(m for m in mail.outbox if m.to == [people["en"].email])
    assert english.subject == f"Date fixed: {meeting.title}"
    event = ics_events(ics_attachment(english))[ics.meeting_uid(meeting)]
    assert event.decoded("DTSTART") == starts_at
    assert event.decoded("SEQUENCE") == 1


def test_the_attachment_speaks_each_registrants_language(
    meeting_factory, registrants, django_capture_on_commit_callbacks, ics_attachment
):
    meeting = meeting_factory(theme="Grøn omstilling")
    people = registrants(meeting)
    _change_place(meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)

    by_language = {
        language: ics_attachment(next(m for m in mail.outbox if m.to == [person.email]))
        for language, person in people.items()
    }
    assert b"DESCRIPTION:Theme: Gr\xc3\xb8n omstilling" in by_language["en"]
    assert b"DESCRIPTION:Tema: Gr\xc3\xb8n omstilling" in by_language["nn"]
    assert b"DESCRIPTION:Tema: Gr\xc3\xb8n omstilling" in by_language["nb"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Nytt namn på møtet"),
        ("theme", "Nytt tema"),
        ("description", "Ny skildring."),
        ("programme_url", "https://example.org/program.pdf"),
    ],
)
def test_other_changes_keep_the_sequence_and_mail_nobody(
    meeting_factory, registrants, django_capture_on_commit_callbacks, field, value
):
    meeting = meeting_factory(sequence=2)
    registrants(meeting)
    setattr(meeting, field, value)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 2
    assert mail.outbox == []


def test_saving_without_changes_keeps_the_sequence(
    meeting_factory, registrants, django_capture_on_commit_callbacks
):
    meeting = meeting_factory()
    registrants(meeting)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=Meeting.objects.get(pk=meeting.pk))
    assert saved_sequence(meeting) == 0
    assert mail.outbox == []


def test_every_change_raises_the_sequence_again(meeting_factory):
    meeting = meeting_factory()
    _move(meeting)
    services.meeting_save(meeting=meeting)
    _change_place(meeting)
    services.meeting_save(meeting=meeting)
    _cancel(meeting)
    services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 3


def test_the_sequence_counts_from_the_stored_value_not_a_stale_copy(meeting_factory):
    first = meeting_factory()
    second = Meeting.objects.get(pk=first.pk)
    _move(first)
    services.meeting_save(meeting=first)
    _change_place(second)
    services.meeting_save(meeting=second)
    assert saved_sequence(first) == 2


def test_a_rolled_back_change_mails_nobody_and_keeps_the_sequence(
    meeting_factory, registrants, django_capture_on_commit_callbacks
):
    meeting = meeting_factory()
    registrants(meeting)
    _move(meeting)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.meeting_save(meeting=meeting)
        raise RuntimeError("something later in the same transaction failed")
    assert saved_sequence(meeting) == 0
    assert mail.outbox == []


def test_the_sequence_shows_in_the_feeds(client, meeting_factory, ics_events):
    meeting = meeting_factory()
    _move(meeting)
    services.meeting_save(meeting=meeting)
    _cancel(meeting)
    services.meeting_save(meeting=meeting)
    events = ics_events(client.get(reverse("network_feed")).content)
    assert events[ics.meeting_uid(meeting)].decoded("SEQUENCE") == 2
    download = ics_events(
        client.get(reverse("meetings:calendar", kwargs={"slug": meeting.slug})).content
    )
    assert download[ics.meeting_uid(meeting)].decoded("SEQUENCE") == 2


def test_change_notices_run_a_fixed_number_of_queries(
    meeting_factory, agenda_item_factory, registration_factory, count_queries
):
    # Each notice carries the calendar entry with the agenda; read it once, not per person.
    def queries_for(people):
        meeting = meeting_factory()
        agenda_item_factory.create_batch(3, meeting=meeting)
        registration_factory.create_batch(people, meeting=meeting)
        count, queued = count_queries(
            lambda: emails.queue_meeting_changed_emails(meeting.pk, ["time"])
        )
        assert queued == OutboxEmail.objects.filter(kind="meeting.changed").count() == people
        OutboxEmail.objects.all().delete()
        return count

    assert queries_for(2) == queries_for(20)


# --- The admin ------------------------------------------------------------------------------


class _ChangeFormData(HTMLParser):
    """What a browser would post for the admin's change form, read from its HTML."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in {"submit", "button", "reset", "file", "image"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attributes:
                return
            self.data[name] = attributes.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.data[self._select] = attributes.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline Django puts after <textarea>.
            self.data[self._textarea] = self.data[self._textarea].removeprefix("\n")
            self._textarea = None


def change_url(meeting) -> str:
    return reverse("admin:meetings_meeting_change", args=[meeting.pk])


def change_form_data(client, meeting) -> dict:
    response = client.get(change_url(meeting))
    assert response.status_code == 200
    parser = _ChangeFormData("meeting_form")
    parser.feed(response.content.decode())
    return {key: value for key, value in parser.data.items() if "__prefix__" not in key}


def test_change_form_warns_with_the_number_of_registered_participants(
    staff_en_client, meeting_factory, registrants
):
    meeting = meeting_factory()
    registrants(meeting)
    page = staff_en_client.get(change_url(meeting)).content.decode()
    assert (
        "Changing the time, place or status notifies the 3 registered participants by e-mail"
        in " ".join(page.split())
    )


def test_change_form_warning_in_the_singular(
    staff_en_client, meeting_factory, registration_factory
):
    meeting = meeting_factory()
    registration_factory(meeting=meeting)
    page = " ".join(staff_en_client.get(change_url(meeting)).content.decode().split())
    assert "notifies the registered participant by e-mail" in page


def test_change_form_of_a_tentative_meeting_explains_fixing_the_date(
    staff_en_client, meeting_factory, registrants
):
    meeting = meeting_factory(tentative=True)
    registrants(meeting)
    page = " ".join(staff_en_client.get(change_url(meeting)).content.decode().split())
    assert "Fixing the date notifies the 3 registered participants by e-mail." in page
    assert "calendar-warning" not in page


def test_add_form_has_no_warning(staff_en_client):
    page = staff_en_client.get(reverse("admin:meetings_meeting_add")).content.decode()
    assert "registered participant" not in page


# The factory's meeting lasts three and a half hours, so an hour later a 20:00 meeting ends
# after midnight and a 23:30 one starts after it: the posted date parts must follow.
@pytest.mark.parametrize(
    "local_start",
    [dt.time(10, 0), dt.time(20, 0), dt.time(23, 30)],
    ids=["daytime", "end-moves-past-midnight", "start-moves-past-midnight"],
)
def test_a_time_change_in_the_admin_mails_and_reports_the_count(
    local_start,
    staff_en_client,
    meeting_factory,
    registrants,
    django_capture_on_commit_callbacks,
    ics_events,
    ics_attachment,
):
    day = timezone.localdate() + dt.timedelta(days=20)
    meeting = meeting_factory(starts_at=timezone.make_aware(dt.datetime.combine(day, local_start)))
    meeting.refresh_from_db()
    people = registrants(meeting)
    data = change_form_data(staff_en_client, meeting)
    new_start = timezone.localtime(meeting.starts_at + dt.timedelta(hours=1))
    new_end = timezone.localtime(meeting.ends_at + dt.timedelta(hours=1))
    with translation.override("en"):
        data["starts_at_0"] = formats.localize_input(new_start.date())
        data["starts_at_1"] = formats.localize_input(new_start.time())
        data["ends_at_0"] = formats.localize_input(new_end.date())
        data["ends_at_1"] = formats.localize_input(new_end.time())
    data["_save"] = "Save"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(change_url(meeting), data, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "3 registered participants are being told about the change."
    assert "was changed successfully" in messages[1]
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.ends_at) == (new_start, new_end)
    assert meeting.sequence == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people.values())
    event = ics_events(ics_attachment(mail.outbox[0]))[ics.meeting_uid(meeting)]
    assert event.decoded("DTSTART") == new_start
    assert event.decoded("SEQUENCE") == 1


def test_a_title_change_in_the_admin_mails_nobody(
    staff_en_client, meeting_factory, registrants, django_capture_on_commit_callbacks
):
    meeting = meeting_factory()
    registrants(meeting)
    data = change_form_data(staff_en_client, meeting)
    data["title"] = "Nytt namn"
    data["_save"] = "Save"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(change_url(meeting), data, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert not any("being told about the change" in message for message in messages)
    meeting.refresh_from_db()
    assert meeting.title == "Nytt namn"
    assert meeting.sequence == 0
    assert mail.outbox == []


# --- Only real changes notify ----------------------------------------------------------------


def test_marking_a_meeting_held_in_the_admin_mails_nobody_and_keeps_the_sequence(
    staff_en_client, meeting_factory, registrants, django_capture_on_commit_callbacks
):
    meeting = meeting_factory(
        starts_at=timezone.now().replace(microsecond=0) - dt.timedelta(days=2),
        registration_deadline=None,
        sequence=3,
    )
    registrants(meeting)
    data = change_form_data(staff_en_client, meeting)
    data["status"] = Meeting.Status.HELD
    data["_save"] = "Save"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(change_url(meeting), data, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert not any("being told" in message for message in messages)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert meeting.sequence == 3
    assert mail.outbox == []


def test_calendar_changes_are_nothing_for_a_meeting_marked_held(meeting_factory):
    meeting = meeting_factory()
    stored = {name: getattr(meeting, name) for name in Meeting.NOTIFIED_FIELDS}
    meeting.status = Meeting.Status.HELD
    assert services.calendar_changes(stored, meeting) == []
    # Nor when the times are put right afterwards: the meeting is over.
    meeting.ends_at += dt.timedelta(minutes=30)
    assert services.calendar_changes(stored, meeting) == []


def test_marking_a_meeting_held_keeps_the_sequence_and_mails_nobody(
    meeting_factory, registrants, django_capture_on_commit_callbacks
):
    meeting = meeting_factory(sequence=2)
    registrants(meeting)
    meeting.status = Meeting.Status.HELD
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 2
    assert mail.outbox == []


def test_correcting_the_time_of_a_held_meeting_updates_calendars_but_mails_nobody(
    meeting_factory, registrants, django_capture_on_commit_callbacks
):
    meeting = meeting_factory(status=Meeting.Status.HELD, sequence=2)
    registrants(meeting)
    meeting.ends_at += dt.timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 3
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("reminders_enabled", False)],
)
def test_reminder_settings_keep_the_sequence_and_mail_nobody(
    meeting_factory, registrants, django_capture_on_commit_callbacks, field, value
):
    meeting = meeting_factory(sequence=1)
    registrants(meeting)
    setattr(meeting, field, value)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_save(meeting=meeting)
    assert saved_sequence(meeting) == 1
    assert mail.outbox == []


def test_lowering_the_capacity_below_the_confirmed_is_refused(meeting_factory, registrants):
    meeting = meeting_factory()
    registrants(meeting)
    meeting.capacity = 1
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.meeting_save(meeting=meeting)
    assert excinfo.value.message_dict == {
        "capacity": ["2 people are confirmed; the capacity cannot be lower than that."]
    }
    assert Meeting.objects.get(pk=meeting.pk).capacity == 2


def _turn_reminders_off(data):
    del data["reminders_enabled"]


def _describe(data):
    data["description"] = "Ny skildring."


@pytest.mark.parametrize("edit", [_turn_reminders_off, _describe], ids=["reminders", "text"])
def test_other_changes_in_the_admin_mail_nobody_and_say_nothing_about_it(
    staff_en_client, meeting_factory, registrants, django_capture_on_commit_callbacks, edit
):
    meeting = meeting_factory()
    registrants(meeting)
    data = change_form_data(staff_en_client, meeting)
    edit(data)
    data["_save"] = "Save"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(change_url(meeting), data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert "was changed successfully" in messages[0]
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.reminders_enabled, stored.description) != (True, meeting.description)
    assert stored.sequence == 0
    assert mail.outbox == []


def test_a_change_nobody_is_registered_for_says_nothing_about_telling(
    staff_en_client, meeting_factory, django_capture_on_commit_callbacks
):
    meeting = meeting_factory()
    data = change_form_data(staff_en_client, meeting)
    data["venue_name"] = "Bergen rådhus"
    data["_save"] = "Save"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(change_url(meeting), data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert not any("told" in message for message in messages)
    assert saved_sequence(meeting) == 1


def test_no_warning_on_a_held_meeting_or_one_nobody_registered_for(
    staff_en_client, meeting_factory, registrants
):
    held = meeting_factory(status=Meeting.Status.HELD)
    registrants(held)
    empty = meeting_factory()
    for meeting in (held, empty):
        page = staff_en_client.get(change_url(meeting)).content.decode()
        assert "calendar-warning" not in page
        assert "registered participant" not in page
