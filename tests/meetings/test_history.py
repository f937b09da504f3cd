"""Change history (django-simple-history): who changed meetings, registrations,
municipalities and contact persons, and the admin pages that show it."""

import pytest
from django.urls import reverse

from meetings import services
from meetings.models import Meeting, Registration
from meetings.services import RegistrationAnswers
from members.models import ContactPerson, Municipality
from tests.helpers import sign_in_with_second_factor
from tests.meetings.test_registration_admin import admin_form_data

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def change_in_admin(client, obj, **changes):
    """Post the object's admin change page with `changes` and nothing else changed."""
    data = admin_form_data(client.get(change_url(obj)))
    data.update(changes)
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def register(meeting, person):
    registration, _created = services.registration_create(
        meeting=meeting, person=person, actor=person, answers=RegistrationAnswers()
    )
    return registration


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Oppstartsmøte")


# --- Changes through the admin ---------------------------------------------------------------


def test_staff_changing_a_meeting(staff_client, staff_user, meeting):
    change_in_admin(staff_client, meeting, title="Oppstartsmøte 2030")
    latest = meeting.history.latest()
    assert (latest.history_type, latest.history_user, latest.title) == (
        "~",
        staff_user,
        "Oppstartsmøte 2030",
    )
    delta = latest.diff_against(latest.prev_record)
    assert delta.changed_fields == ["title"]


def test_staff_changing_a_registration(staff_client, staff_user, registration_factory):
    registration = registration_factory(dietary_needs="")
    change_in_admin(staff_client, registration, dietary_needs="Vegetar")
    latest = registration.history.latest()
    assert (latest.history_user, latest.dietary_needs) == (staff_user, "Vegetar")


def test_staff_adding_a_registration_on_the_meeting_page(
    staff_client, staff_user, meeting, contact_person_factory
):
    person = contact_person_factory()
    data = admin_form_data(staff_client.get(change_url(meeting)))
    data.update(
        {
            "registrations-TOTAL_FORMS": 1,
            "registrations-0-contact_person": person.pk,
            "registrations-0-status": Registration.Status.CONFIRMED,
            "registrations-0-attendance_mode": Registration.AttendanceMode.IN_PERSON,
            "registrations-0-dietary_needs": "",
        }
    )
    response = staff_client.post(change_url(meeting), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    (record,) = Registration.history.filter(contact_person=person)
    assert (record.history_type, record.history_user) == ("+", staff_user)


def test_staff_changing_a_municipality(staff_client, staff_user, municipality_factory):
    municipality = municipality_factory(name="Bergen", county="Hordaland")
    change_in_admin(staff_client, municipality, county="Vestland")
    latest = municipality.history.latest()
    assert (latest.history_user, latest.county) == (staff_user, "Vestland")


def test_staff_changing_a_contact_person(staff_client, staff_user, contact_person_factory):
    person = contact_person_factory(job_title="Rådgjevar")
    change_in_admin(staff_client, person, job_title="Seniorrådgjevar")
    latest = person.history.latest()
    assert (latest.history_user, latest.job_title) == (staff_user, "Seniorrådgjevar")


def test_the_calendar_feed_key_stays_out_of_the_history():
    fields = {field.name for field in ContactPerson.history.model._meta.get_fields()}
    assert "calendar_token" not in fields
    assert "email" in fields


# --- Changes through services ----------------------------------------------------------------


def test_member_cancelling_on_the_site_is_recorded_with_their_account(
    client_for, meeting_factory, linked_contact_person_factory
):
    meeting = meeting_factory(capacity=1)
    kari = linked_contact_person_factory(name="Kari")
    ola = linked_contact_person_factory(name="Ola")
    seat, waiting = register(meeting, kari), register(meeting, ola)
    assert waiting.status == Registration.Status.WAITLISTED

    response = client_for(kari).post(
        reverse("meetings:registration_cancel", kwargs={"pk": seat.pk})
    )
    assert response.status_code == 302
    cancelled = seat.history.latest()
    assert (cancelled.status, cancelled.history_user) == ("cancelled", kari.user)
    # The seat she freed went to Ola in the same request; the history says whose act it was.
    promoted = waiting.history.latest()
    assert (promoted.status, promoted.history_user) == ("confirmed", kari.user)


def test_staff_cancelling_through_the_admin_service(
    staff_client, staff_user, meeting, contact_person_factory
):
    registration = register(meeting, contact_person_factory())
    change_in_admin(staff_client, registration, status=Registration.Status.CANCELLED)
    latest = registration.history.latest()
    assert (latest.status, latest.history_user) == ("cancelled", staff_user)
    assert latest.cancelled_at is not None


def test_service_outside_a_request_has_no_user(meeting, contact_person_factory):
    # Background jobs and the shell act for nobody in particular.
    registration = register(meeting, contact_person_factory())
    assert registration.history.latest().history_user is None


# --- The history pages -----------------------------------------------------------------------


@pytest.fixture
def changed_objects(staff_en_client, meeting, registration_factory):
    """A meeting, registration, municipality and contact person, each changed once by staff
    in the admin."""
    registration = registration_factory(meeting=meeting)
    person = registration.contact_person
    municipality = person.municipality
    change_in_admin(staff_en_client, meeting, theme="Nytt tema")
    change_in_admin(staff_en_client, registration, dietary_needs="Laktosefri")
    change_in_admin(staff_en_client, municipality, county="Vestland")
    change_in_admin(staff_en_client, person, job_title="Prosjektleiar")
    return {
        Meeting: (meeting, "Nytt tema"),
        Registration: (registration, "Laktosefri"),
        Municipality: (municipality, "Vestland"),
        ContactPerson: (person, "Prosjektleiar"),
    }


@pytest.mark.parametrize("model", [Meeting, Registration, Municipality, ContactPerson])
def test_history_page_shows_who_changed_what(staff_en_client, staff_user, changed_objects, model):
    obj, new_value = changed_objects[model]
    response = staff_en_client.get(history_url(obj))
    assert response.status_code == 200
    content = response.content.decode()
    assert str(staff_user) in content
    assert new_value in content
    assert "Changed" in content

    latest = obj.history.latest()
    record_url = reverse(
        f"admin:{obj._meta.app_label}_{obj._meta.model_name}_simple_history",
        args=[obj.pk, latest.history_id],
    )
    assert record_url in content
    assert staff_en_client.get(record_url).status_code == 200


@pytest.mark.parametrize("model", ["meeting", "registration"])
def test_change_page_links_to_the_history(staff_client, registration_factory, model):
    registration = registration_factory()
    obj = registration if model == "registration" else registration.meeting
    response = staff_client.get(change_url(obj))
    assert history_url(obj) in response.content.decode()


def test_history_page_needs_the_view_permission(client, user_factory, meeting):
    sign_in_with_second_factor(client, user_factory(is_staff=True))
    assert client.get(history_url(meeting)).status_code == 403
