"""County staff registering and cancelling people in the admin."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Registration
from meetings.services import RegistrationAnswers

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


def test_staff_cancelling_on_the_meeting_page_promotes_the_first_waiting(
    staff_client, full_meeting
):
    meeting, registrations = full_meeting
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    page = staff_client.get(url)
    data = admin_form_data(page)
    [inline] = [
        i.formset
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is Registration and i.has_change_permission
    ]
    [row] = [f for f in inline.initial_forms if f.instance.pk == registrations[1].pk]
    data[f"{row.prefix}-status"] = Registration.Status.CANCELLED
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert statuses(registrations) == ["confirmed", "cancelled", "confirmed", "waitlisted"]


@pytest.mark.parametrize("moment", REPEATED_HOUR)
def test_a_registration_made_in_the_repeated_hour_can_be_changed_in_the_admin(
    client, staff_user, meeting_factory, person, freeze_now, moment
):
    freeze_now(moment)
    registration = register(meeting_factory(), person)
    freeze_now(dt.datetime(2027, 11, 2, 12, tzinfo=OSLO))
    client.force_login(staff_user)
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
    client.force_login(staff_user)
    url = reverse("admin:meetings_registration_add")
    data = admin_form_data(client.get(url))
    data.update({"meeting": meeting.pk, "contact_person": person.pk})
    # The page shows the time it was opened; staff send it a few minutes later.
    freeze_now(moment.astimezone(dt.UTC) + dt.timedelta(minutes=4))

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    registration = Registration.objects.get()
    opened = moment.astimezone(dt.UTC)
    assert (registration.created_at, registration.queued_at) == (opened, opened)


def test_a_changed_time_in_the_repeated_hour_is_read_as_the_nearer_one(
    client, staff_user, meeting_factory, person, freeze_now
):
    """Staff moving someone in the queue to 02:50 that night mean the 02:50 nearer the time
    the registration has (here the second one, 20 minutes later), not the first."""
    second_0230 = freeze_now(dt.datetime(2027, 10, 31, 2, 30, tzinfo=OSLO, fold=1))
    registration = register(meeting_factory(), person)
    client.force_login(staff_user)
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
    client.force_login(staff_user)
    url = reverse("admin:meetings_registration_change", args=[registration.pk])
    data = admin_form_data(client.get(url))
    data.update({"queued_at_0": "2027-03-28", "queued_at_1": "02:30:00"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["queued_at"]
