"""County staff registering and cancelling people in the admin."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from meetings import services
from meetings.models import Meeting, Registration
from meetings.services import RegistrationAnswers
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")

# The night the clocks go back, 02:00-03:00 happens twice in Oslo: the admin shows either
# 02:30 as "02:30", and Django alone cannot tell which one it gets back. (Compare them in UTC:
# Python never finds a time in the repeated hour equal to one in another zone, PEP 495.)
REPEATED_HOUR = [
    pytest.param(dt.datetime(2027, 10, 31, 2, 30, tzinfo=OSLO, fold=0), id="first-0230"),
    pytest.param(dt.datetime(2027, 10, 31, 2, 30, tzinfo=OSLO, fold=1), id="second-0230"),
]


def _post_value(value):
    if isinstance(value, dt.datetime):
        raise TypeError("split datetimes are handled by their widget")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return value


def _add_form(data: dict, form) -> None:
    for bound in form:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                if part is not None:
                    data[f"{bound.html_name}_{index}"] = _post_value(part)
        elif isinstance(widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif value is not None:
            data[bound.html_name] = _post_value(value)
        if bound.field.show_hidden_initial and not isinstance(widget, MultiWidget) and value:
            # The value the page showed, which the browser posts back alongside.
            data[bound.html_initial_name] = _post_value(value)


def admin_form_data(response) -> dict:
    """What the admin page would post if saved unchanged; inlines without their empty extra
    rows."""
    data = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        _add_form(data, formset.management_form)
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.initial_form_count()
        for form in formset.initial_forms:
            _add_form(data, form)
    return data


def register(meeting, person, *, now=None):
    registration, _created = services.registration_create(
        meeting=meeting, person=person, actor=person, answers=RegistrationAnswers(), now=now
    )
    return registration


@pytest.fixture
def person(contact_person_factory):
    return contact_person_factory(name="Sein Påmeldt")


@pytest.fixture
def deadline_passed(meeting_factory):
    """A meeting next week whose registration closed an hour ago."""
    starts_at = (timezone.now() + dt.timedelta(days=7)).replace(microsecond=0)
    return meeting_factory(
        starts_at=starts_at, registration_deadline=timezone.now() - dt.timedelta(hours=1)
    )


def add_registration(staff_client, meeting, person, **changes):
    url = reverse("admin:meetings_registration_add")
    data = admin_form_data(staff_client.get(url))
    data.update({"meeting": meeting.pk, "contact_person": person.pk, **changes})
    return staff_client.post(url, data)


def test_staff_registration_after_the_deadline_is_marked_late(
    staff_client, deadline_passed, person
):
    response = add_registration(staff_client, deadline_passed, person)
    assert response.status_code == 302, response.context["adminform"].form.errors
    registration = Registration.objects.get()
    assert registration.contact_person == person
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.is_late is True


def test_staff_registration_before_the_deadline_is_not_late(staff_client, meeting_factory, person):
    meeting = meeting_factory()
    # Even if staff tick the box: lateness is decided by the clock.
    response = add_registration(staff_client, meeting, person, is_late="on")
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Registration.objects.get().is_late is False


def test_staff_registering_someone_twice_gets_a_form_error(staff_client, meeting_factory, person):
    meeting = meeting_factory()
    register(meeting, person)
    response = add_registration(staff_client, meeting, person)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Registration.objects.count() == 1


@pytest.fixture
def full_meeting(meeting_factory, contact_person_factory):
    """Two seats taken (first, second), two waiting (third, fourth) in that order."""
    meeting = meeting_factory(capacity=2)
    start = timezone.now() - dt.timedelta(hours=1)
    people = [contact_person_factory(name=name) for name in ("En", "To", "Tre", "Fire")]
    registrations = [
        register(meeting, person, now=start + dt.timedelta(minutes=i))
        for i, person in enumerate(people)
    ]
    return meeting, registrations


def statuses(registrations) -> list[str]:
    return [Registration.objects.get(pk=r.pk).status for r in registrations]


def test_staff_cancelling_a_seat_promotes_the_first_waiting(
    staff_client, full_meeting, django_capture_on_commit_callbacks
):
    _meeting, registrations = full_meeting
    url = reverse("admin:meetings_registration_change", args=[registrations[0].pk])
    data = admin_form_data(staff_client.get(url))
    data["status"] = Registration.Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert statuses(registrations) == ["cancelled", "confirmed", "confirmed", "waitlisted"]
    assert Registration.objects.get(pk=registrations[0].pk).cancelled_at is not None
    promoted = [m for m in mail.outbox if m.to == [registrations[2].contact_person.email]]
    assert len(promoted) == 1
    assert promoted[0].attachments


def test_staff_adding_through_the_meeting_page_after_the_deadline_is_late(
    staff_client, deadline_passed, person
):
    url = reverse("admin:meetings_meeting_change", args=[deadline_passed.pk])
    page = staff_client.get(url)
    data = admin_form_data(page)
    # The add-only inline: the one whose rows can be added, not changed.
    [inline] = [
        i.formset
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is Registration and i.has_add_permission
    ]
    prefix = inline.prefix
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": 1,
            f"{prefix}-0-contact_person": person.pk,
            f"{prefix}-0-status": Registration.Status.CONFIRMED,
            f"{prefix}-0-attendance_mode": Registration.AttendanceMode.IN_PERSON,
        }
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    registration = Registration.objects.get()
    assert registration.contact_person == person
    assert registration.is_late is True


def test_staff_cancel_from_the_meeting_page_through_the_registrations_own_page(
    staff_client, full_meeting
):
    """The meeting's page lists its first registrations read-only, each linked to its own page,
    where the cancellation goes through the same rules."""
    meeting, registrations = full_meeting
    page = staff_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    url = reverse("admin:meetings_registration_change", args=[registrations[1].pk])
    assert f'href="{url}"' in page.content.decode()
    data = admin_form_data(staff_client.get(url))
    data["status"] = Registration.Status.CANCELLED
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert statuses(registrations) == ["confirmed", "cancelled", "confirmed", "waitlisted"]


# --- Staff go through the same rules as members, and each change is mailed once --------------


def mails_to(person) -> list[str]:
    """The subjects of the e-mails sent to the person, in order."""
    return [m.subject for m in mail.outbox if m.to == [person.email]]


@pytest.fixture
def english_people(full_meeting):
    """The people of `full_meeting` read English, so subjects can be compared."""
    meeting, registrations = full_meeting
    for registration in registrations:
        registration.contact_person.preferred_language = "en"
        registration.contact_person.save()
    return meeting, registrations


@pytest.fixture
def newcomer(contact_person_factory):
    return contact_person_factory(name="Ny Person", preferred_language="en")


def add_through_meeting_page(staff_client, meeting, person, **row):
    """Post the meeting's page with one new registration in the add-only inline."""
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    page = staff_client.get(url)
    data = admin_form_data(page)
    [inline] = [
        i.formset
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is Registration and i.has_add_permission
    ]
    prefix = inline.prefix
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": 1,
            f"{prefix}-0-contact_person": person.pk,
            f"{prefix}-0-status": Registration.Status.CONFIRMED,
            f"{prefix}-0-attendance_mode": Registration.AttendanceMode.IN_PERSON,
            **{f"{prefix}-0-{name}": value for name, value in row.items()},
        }
    )
    return staff_client.post(url, data, follow=True)


def change_registration(staff_client, registration, **changes):
    url = reverse("admin:meetings_registration_change", args=[registration.pk])
    data = admin_form_data(staff_client.get(url))
    data.update(changes)
    return staff_client.post(url, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_staff_adding_to_a_full_meeting_puts_the_person_on_the_waiting_list(
    staff_en_client, english_people, newcomer, django_capture_on_commit_callbacks
):
    meeting, registrations = english_people
    with django_capture_on_commit_callbacks(execute=True):
        response = add_registration(staff_en_client, meeting, newcomer)
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Registration.objects.get(contact_person=newcomer)
    assert added.status == Registration.Status.WAITLISTED
    assert added.over_capacity is False
    assert statuses(registrations) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert mails_to(newcomer) == [f"On the waiting list: {meeting.title}"]
    assert len(mail.outbox) == 1


def test_staff_adding_on_the_meeting_page_to_a_full_meeting_waitlists_and_warns(
    staff_en_client, english_people, newcomer, django_capture_on_commit_callbacks
):
    meeting, _registrations = english_people
    with django_capture_on_commit_callbacks(execute=True):
        response = add_through_meeting_page(staff_en_client, meeting, newcomer)
    assert response.status_code == 200
    added = Registration.objects.get(contact_person=newcomer)
    assert added.status == Registration.Status.WAITLISTED
    assert mails_to(newcomer) == [f"On the waiting list: {meeting.title}"]
    assert (
        "The meeting is full, so Ny Person is on the waiting list, in place 3. Tick “over "
        "capacity” to confirm them anyway." in messages_of(response)
    )


def test_registrations_cannot_be_deleted_in_the_admin(staff_client, full_meeting):
    _meeting, registrations = full_meeting
    url = reverse("admin:meetings_registration_delete", args=[registrations[0].pk])
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert statuses(registrations) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]


def test_staff_cancelling_mails_the_person_once(
    staff_en_client, english_people, django_capture_on_commit_callbacks
):
    meeting, registrations = english_people
    with django_capture_on_commit_callbacks(execute=True):
        response = change_registration(
            staff_en_client, registrations[0], status=Registration.Status.CANCELLED
        )
    assert response.status_code == 200
    assert mails_to(registrations[0].contact_person) == [f"Registration cancelled: {meeting.title}"]
    assert mails_to(registrations[2].contact_person) == [f"You have a seat: {meeting.title}"]
    assert len(mail.outbox) == 2


def test_staff_moving_someone_to_the_waiting_list_mails_them_and_gives_the_seat_on(
    staff_en_client, english_people, django_capture_on_commit_callbacks
):
    meeting, registrations = english_people
    with django_capture_on_commit_callbacks(execute=True):
        response = change_registration(
            staff_en_client, registrations[0], status=Registration.Status.WAITLISTED
        )
    assert response.status_code == 200
    # At the end of the queue; the first in line gets the seat.
    assert statuses(registrations) == ["waitlisted", "confirmed", "confirmed", "waitlisted"]
    moved = Registration.objects.with_waitlist_position().get(pk=registrations[0].pk)
    assert moved.waitlist_position == 2
    assert mails_to(registrations[0].contact_person) == [
        f"Moved to the waiting list: {meeting.title}"
    ]
    assert mails_to(registrations[2].contact_person) == [f"You have a seat: {meeting.title}"]
    assert len(mail.outbox) == 2


def test_staff_can_confirm_over_capacity_with_the_override(
    staff_en_client, english_people, newcomer, django_capture_on_commit_callbacks
):
    meeting, registrations = english_people
    with django_capture_on_commit_callbacks(execute=True):
        response = add_registration(staff_en_client, meeting, newcomer, over_capacity="on")
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Registration.objects.get(contact_person=newcomer)
    assert (added.status, added.over_capacity) == ("confirmed", True)
    # The waiting list keeps its places.
    assert statuses(registrations) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert mails_to(newcomer) == [f"Registration confirmed: {meeting.title}"]
    assert len(mail.outbox) == 1


def test_the_override_is_not_recorded_when_a_seat_is_free(
    staff_client, meeting_factory, newcomer, django_capture_on_commit_callbacks
):
    meeting = meeting_factory(capacity=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_registration(staff_client, meeting, newcomer, over_capacity="on")
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Registration.objects.get(contact_person=newcomer)
    assert (added.status, added.over_capacity) == ("confirmed", False)
    assert mails_to(newcomer) == [f"Registration confirmed: {meeting.title}"]


def test_confirming_someone_waiting_in_a_full_meeting_needs_the_override(
    staff_en_client, english_people, django_capture_on_commit_callbacks
):
    meeting, registrations = english_people
    waiting = registrations[3]
    with django_capture_on_commit_callbacks(execute=True):
        response = change_registration(
            staff_en_client, waiting, status=Registration.Status.CONFIRMED
        )
    assert response.status_code == 200
    assert statuses(registrations) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert mail.outbox == []
    assert (
        "The meeting is full, so Fire is on the waiting list, in place 2. Tick “over "
        "capacity” to confirm them anyway." in messages_of(response)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = change_registration(
            staff_en_client, waiting, status=Registration.Status.CONFIRMED, over_capacity="on"
        )
    assert statuses(registrations) == ["confirmed", "confirmed", "waitlisted", "confirmed"]
    assert Registration.objects.get(pk=waiting.pk).over_capacity is True
    assert mails_to(waiting.contact_person) == [f"You have a seat: {meeting.title}"]
    assert len(mail.outbox) == 1


def test_staff_registering_a_cancelled_person_again_mails_them(
    staff_en_client, meeting_factory, newcomer, django_capture_on_commit_callbacks
):
    meeting = meeting_factory(capacity=5)
    registration = register(meeting, newcomer)
    services.registration_cancel(registration=registration, actor=newcomer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = change_registration(
            staff_en_client, registration, status=Registration.Status.CONFIRMED
        )
    assert response.status_code == 200
    registration.refresh_from_db()
    assert (registration.status, registration.cancelled_at) == ("confirmed", None)
    assert mails_to(newcomer) == [f"Registration confirmed: {meeting.title}"]
    assert len(mail.outbox) == 1


def test_staff_registering_a_cancelled_person_again_in_a_full_meeting_waitlists_them(
    staff_en_client, english_people, django_capture_on_commit_callbacks
):
    meeting, registrations = english_people
    leaving = registrations[2]
    services.registration_cancel(registration=leaving, actor=leaving.contact_person)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_registration(staff_en_client, leaving, status=Registration.Status.CONFIRMED)
    # Back at the end of the queue.
    assert statuses(registrations) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    back = Registration.objects.with_waitlist_position().get(pk=leaving.pk)
    assert back.waitlist_position == 2
    assert mails_to(leaving.contact_person) == [f"On the waiting list: {meeting.title}"]
    assert len(mail.outbox) == 1


def test_changing_only_answers_mails_nobody(
    staff_en_client, english_people, django_capture_on_commit_callbacks
):
    _meeting, registrations = english_people
    with django_capture_on_commit_callbacks(execute=True):
        response = change_registration(
            staff_en_client, registrations[2], dietary_needs="Vegetar", comment="Kjem seint"
        )
    assert response.status_code == 200
    registration = Registration.objects.get(pk=registrations[2].pk)
    assert (registration.dietary_needs, registration.status) == ("Vegetar", "waitlisted")
    assert mail.outbox == []


def test_a_registration_row_posted_on_the_meeting_page_changes_nothing(
    staff_en_client, english_people, django_capture_on_commit_callbacks
):
    """The page has no form for existing registrations; a tampered post with one is ignored."""
    meeting, registrations = english_people
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    page = staff_en_client.get(url)
    data = admin_form_data(page)
    [inline] = [
        i.formset for i in page.context["inline_admin_formsets"] if i.formset.model is Registration
    ]
    prefix = inline.prefix
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": 1,
            f"{prefix}-INITIAL_FORMS": 1,
            f"{prefix}-0-id": registrations[0].pk,
            f"{prefix}-0-meeting": meeting.pk,
            f"{prefix}-0-status": Registration.Status.CANCELLED,
            f"{prefix}-0-dietary_needs": "Vegan",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_en_client.post(url, data)
    assert response.status_code in (200, 302)
    assert statuses(registrations) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert Registration.objects.get(pk=registrations[0].pk).dietary_needs == ""
    assert mail.outbox == []


def test_a_page_loaded_before_a_promotion_does_not_undo_it(
    staff_client, english_people, django_capture_on_commit_callbacks
):
    _meeting, registrations = english_people
    url = reverse("admin:meetings_registration_change", args=[registrations[2].pk])
    data = admin_form_data(staff_client.get(url))
    data["dietary_needs"] = "Vegan"
    # Meanwhile a member cancels and the first in line gets the seat.
    services.registration_cancel(
        registration=registrations[0], actor=registrations[0].contact_person
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, data)
    assert response.status_code == 302
    assert statuses(registrations) == ["cancelled", "confirmed", "confirmed", "waitlisted"]
    assert Registration.objects.get(pk=registrations[2].pk).dietary_needs == "Vegan"
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("person_kwargs", "message"),
    [
        ({"is_active": False}, "This contact person is no longer active."),
        (
            {"municipality": None},
            "This person is not linked to a municipality yet; link them first.",
        ),
    ],
    ids=["inactive", "unlinked"],
)
def test_adding_a_person_who_cannot_take_part_is_a_form_error(
    staff_en_client, meeting_factory, contact_person_factory, person_kwargs, message
):
    meeting = meeting_factory()
    person = contact_person_factory(**person_kwargs)
    response = add_registration(staff_en_client, meeting, person)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["contact_person"] == [message]

    response = add_through_meeting_page(staff_en_client, meeting, person)
    assert response.status_code == 200
    [inline] = [
        i.formset
        for i in response.context["inline_admin_formsets"]
        if i.formset.model is Registration and i.has_add_permission
    ]
    assert inline.forms[0].errors["contact_person"] == [message]
    assert not Registration.objects.exists()
    assert mail.outbox == []


def test_adding_someone_already_registered_on_the_meeting_page_is_a_form_error(
    staff_en_client, meeting_factory, person
):
    meeting = meeting_factory()
    register(meeting, person)
    response = add_through_meeting_page(staff_en_client, meeting, person)
    assert response.status_code == 200
    assert "This person is already registered for the meeting." in response.content.decode()
    assert Registration.objects.count() == 1


def test_adding_a_cancelled_registration_is_a_form_error(staff_en_client, meeting_factory, person):
    response = add_registration(
        staff_en_client, meeting_factory(), person, status=Registration.Status.CANCELLED
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "A new registration cannot be cancelled."
    ]
    assert not Registration.objects.exists()


def test_adding_to_a_cancelled_meeting_is_a_form_error(staff_en_client, meeting_factory, person):
    meeting = meeting_factory(status=Meeting.Status.CANCELLED)
    response = add_registration(staff_en_client, meeting, person)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "The meeting has been cancelled."
    ]
    assert not Registration.objects.exists()


def test_waiting_for_a_free_seat_is_a_form_error(staff_en_client, meeting_factory, person):
    registration = register(meeting_factory(capacity=3), person)
    response = change_registration(
        staff_en_client, registration, status=Registration.Status.WAITLISTED
    )
    assert response.context["adminform"].form.errors["status"] == [
        "There is a free seat for this person, so they cannot wait for one: confirm the "
        "registration or cancel it."
    ]
    assert Registration.objects.get().status == Registration.Status.CONFIRMED


def test_meeting_and_person_of_a_registration_are_fixed(
    staff_client, meeting_factory, person, contact_person_factory
):
    meeting = meeting_factory()
    registration = register(meeting, person)
    response = change_registration(
        staff_client,
        registration,
        meeting=meeting_factory().pk,
        contact_person=contact_person_factory().pk,
        dietary_needs="Vegan",
    )
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.dietary_needs == "Vegan"
    assert (registration.meeting, registration.contact_person) == (meeting, person)


# --- Deleting and the cancel action ---------------------------------------------------------


def test_superusers_cannot_delete_registrations_either(client, user_factory, full_meeting):
    sign_in_with_second_factor(client, user_factory(is_staff=True, is_superuser=True))
    _meeting, registrations = full_meeting
    url = reverse("admin:meetings_registration_delete", args=[registrations[0].pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:meetings_registration_changelist"))
    actions = [
        value for value, _label in changelist.context["action_form"].fields["action"].choices
    ]
    assert "delete_selected" not in actions
    assert "cancel_selected" in actions
    assert Registration.objects.count() == 4


def test_county_staff_have_no_delete_permission_for_registrations(staff_user):
    assert not staff_user.has_perm("meetings.delete_registration")
    assert staff_user.has_perm("meetings.change_registration")


def cancel_selected(client, registrations):
    return client.post(
        reverse("admin:meetings_registration_changelist"),
        {
            "action": "cancel_selected",
            "_selected_action": [r.pk for r in registrations],
            "index": 0,
        },
        follow=True,
    )


def test_the_cancel_action_promotes_from_the_waiting_list_and_mails_those_affected(
    staff_en_client, english_people, django_capture_on_commit_callbacks
):
    meeting, registrations = english_people
    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_selected(staff_en_client, registrations[:2])
    assert response.status_code == 200
    assert statuses(registrations) == ["cancelled", "cancelled", "confirmed", "confirmed"]
    assert messages_of(response) == [
        "2 registrations were cancelled.",
        "2 people on the waiting list got a seat and are told by e-mail.",
    ]
    for cancelled in registrations[:2]:
        assert mails_to(cancelled.contact_person) == [f"Registration cancelled: {meeting.title}"]
    for promoted in registrations[2:]:
        assert mails_to(promoted.contact_person) == [f"You have a seat: {meeting.title}"]
    assert len(mail.outbox) == 4


def test_the_cancel_action_works_after_the_deadline(
    staff_en_client, deadline_passed, person, django_capture_on_commit_callbacks
):
    registration = Registration.objects.create(meeting=deadline_passed, contact_person=person)
    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_selected(staff_en_client, [registration])
    assert messages_of(response) == ["1 registration was cancelled."]
    assert Registration.objects.get().status == Registration.Status.CANCELLED
    assert len(mails_to(person)) == 1


def test_the_cancel_action_on_a_held_meeting_corrects_the_record_and_mails_nobody(
    staff_en_client, meeting_factory, person, django_capture_on_commit_callbacks
):
    starts_at = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    meeting = meeting_factory(
        status=Meeting.Status.HELD, starts_at=starts_at, registration_deadline=None
    )
    registration = Registration.objects.create(meeting=meeting, contact_person=person)
    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_selected(staff_en_client, [registration])
    assert messages_of(response) == [
        "1 registration was cancelled.",
        "1 of them was for a meeting that has started; that person was not e-mailed.",
    ]
    assert Registration.objects.get().status == Registration.Status.CANCELLED
    assert mail.outbox == []


def test_the_cancel_action_skips_registrations_cancelled_already(
    staff_en_client, meeting_factory, person, django_capture_on_commit_callbacks
):
    registration = register(meeting_factory(), person)
    services.registration_cancel(registration=registration, actor=person)
    mail.outbox.clear()
    versions = registration.history.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_selected(staff_en_client, [registration])
    assert messages_of(response) == ["The selected registrations were cancelled already."]
    assert mail.outbox == []
    # Left alone: no new version in its history.
    assert registration.history.count() == versions


# --- Over capacity in the lists ----------------------------------------------------------------


def test_over_capacity_is_shown_and_filtered_in_the_changelist(
    staff_client, registration_factory, meeting_factory
):
    meeting = meeting_factory(capacity=1)
    registration_factory(meeting=meeting)
    extra = registration_factory(meeting=meeting, over_capacity=True)
    url = reverse("admin:meetings_registration_changelist")
    response = staff_client.get(url)
    assert "column-over_capacity" in response.content.decode()
    assert {
        r.pk for r in staff_client.get(url, {"over_capacity__exact": "1"}).context["cl"].result_list
    } == {extra.pk}


def test_over_capacity_shows_on_the_meeting_page(
    staff_en_client, registration_factory, meeting_factory
):
    meeting = meeting_factory(capacity=1)
    registration_factory(meeting=meeting)
    registration_factory(meeting=meeting, over_capacity=True)
    page = staff_en_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    listed = reverse("admin:meetings_registration_changelist")
    assert (
        f'<a href="{listed}?meeting__id__exact={meeting.pk}&amp;over_capacity__exact=1">'
        "Over capacity: 1</a>" in page.content.decode()
    )


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_the_waiting_list_move_is_mailed_in_the_persons_language(
    staff_client, full_meeting, django_capture_on_commit_callbacks, language
):
    meeting, registrations = full_meeting
    person = registrations[0].contact_person
    person.preferred_language = language
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        change_registration(staff_client, registrations[0], status=Registration.Status.WAITLISTED)
    [message] = [m for m in mail.outbox if m.to == [person.email]]
    with translation.override(language):
        subject = gettext("Moved to the waiting list: %(title)s") % {"title": meeting.title}
        intro = gettext(
            "The county staff have moved you from your seat at %(title)s to the waiting list, "
            "in place %(position)s. You will get an e-mail at once if a seat becomes free."
        ) % {"title": meeting.title, "position": 2}
    assert subject.startswith("Flytt")
    assert message.subject == subject
    assert intro.startswith("Fylkeskommunen")
    assert intro in " ".join(message.body.split())


def test_a_refusal_found_only_when_saving_is_a_message_and_saves_nothing(
    staff_en_client, meeting_factory, contact_person_factory, monkeypatch
):
    # As if the person had been made inactive between the form's check and the save.
    monkeypatch.setattr(services, "registration_staff_check", lambda **kwargs: None)
    meeting = meeting_factory(title="Oppstartsmøte")
    person = contact_person_factory(is_active=False)
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    page = staff_en_client.get(url)
    data = admin_form_data(page)
    data["title"] = "Nytt namn"
    [inline] = [
        i.formset
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is Registration and i.has_add_permission
    ]
    data.update(
        {
            f"{inline.prefix}-TOTAL_FORMS": 1,
            f"{inline.prefix}-0-contact_person": person.pk,
            f"{inline.prefix}-0-status": Registration.Status.CONFIRMED,
            f"{inline.prefix}-0-attendance_mode": Registration.AttendanceMode.IN_PERSON,
        }
    )
    response = staff_en_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == url
    followed = staff_en_client.get(url)
    assert messages_of(followed) == ["This contact person is no longer active."]
    # The meeting's change went back with the registration.
    assert Meeting.objects.get(pk=meeting.pk).title == "Oppstartsmøte"
    assert not Registration.objects.exists()


@pytest.mark.parametrize("moment", REPEATED_HOUR)
def test_a_registration_made_in_the_repeated_hour_can_be_changed_in_the_admin(
    client, staff_user, meeting_factory, person, freeze_now, moment
):
    freeze_now(moment)
    registration = register(meeting_factory(), person)
    freeze_now(dt.datetime(2027, 11, 2, 12, tzinfo=OSLO))
    sign_in_with_second_factor(client, staff_user)
    url = reverse("admin:meetings_registration_change", args=[registration.pk])
    data = admin_form_data(client.get(url))
    assert (data["created_at_0"], data["created_at_1"]) == ("2027-10-31", "02:30:00")
    data["dietary_needs"] = "Vegetar"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    registration.refresh_from_db()
    assert registration.dietary_needs == "Vegetar"
    # Left as shown, the times stay the ones stored, not the other 02:30.
    stored = moment.astimezone(dt.UTC)
    assert (registration.created_at, registration.queued_at) == (stored, stored)


@pytest.mark.parametrize("moment", REPEATED_HOUR)
def test_staff_register_someone_in_the_repeated_hour(
    client, staff_user, meeting_factory, person, freeze_now, moment
):
    freeze_now(moment)
    meeting = meeting_factory()
    sign_in_with_second_factor(client, staff_user)
    url = reverse("admin:meetings_registration_add")
    data = admin_form_data(client.get(url))
    data.update({"meeting": meeting.pk, "contact_person": person.pk})
    # The page shows the time it was opened; staff send it a few minutes later.
    sent = freeze_now(moment.astimezone(dt.UTC) + dt.timedelta(minutes=4))

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    registration = Registration.objects.get()
    # The form's time stands; the queue place is the service's: the end, when saved.
    assert (registration.created_at, registration.queued_at) == (moment.astimezone(dt.UTC), sent)


def test_a_changed_time_in_the_repeated_hour_is_read_as_the_nearer_one(
    client, staff_user, meeting_factory, person, freeze_now
):
    """Staff moving someone in the queue to 02:50 that night mean the 02:50 nearer the time
    the registration has (here the second one, 20 minutes later), not the first."""
    second_0230 = freeze_now(dt.datetime(2027, 10, 31, 2, 30, tzinfo=OSLO, fold=1))
    registration = register(meeting_factory(), person)
    sign_in_with_second_factor(client, staff_user)
    url = reverse("admin:meetings_registration_change", args=[registration.pk])
    data = admin_form_data(client.get(url))
    data["queued_at_1"] = "02:50:00"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    registration.refresh_from_db()
    assert registration.queued_at == second_0230 + dt.timedelta(minutes=20)
    assert registration.queued_at.astimezone(OSLO).fold == 1


def test_a_time_that_does_not_exist_is_still_a_form_error(
    client, staff_user, meeting_factory, person
):
    """02:30 on the night the clocks go forward never happens: say so, do not guess."""
    registration = register(meeting_factory(), person)
    sign_in_with_second_factor(client, staff_user)
    url = reverse("admin:meetings_registration_change", args=[registration.pk])
    data = admin_form_data(client.get(url))
    data.update({"queued_at_0": "2027-03-28", "queued_at_1": "02:30:00"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["queued_at"]
