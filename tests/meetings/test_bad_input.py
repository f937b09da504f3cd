"""Bad input to the meeting pages and the meeting admin gives form errors, never a 500, and
never reaches the database."""

from unittest.mock import ANY

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from meetings import services
from meetings.models import AgendaItem, Meeting, MeetingReminder, Registration
from members.models import ContactPerson, EmailDomain
from tests.factories import ProjectIdeaFactory
from tests.helpers import email_address_of_length as long_address
from tests.helpers import validation_errors

pytestmark = pytest.mark.django_db

ANSWERS = {"attendance_mode": "in_person", "dietary_needs": "", "comment": ""}
# Past what a signed 64-bit integer holds, and far past it.
OUT_OF_RANGE_IDS = [str(2**63), str(2**64 + 5), "-1", "99999999999999999999999999", "1e3", "x"]


@pytest.fixture
def municipality(municipality_factory, email_domain_factory):
    voss = municipality_factory(name="Voss")
    # Coordinators add new colleagues only at their municipality's domains.
    email_domain_factory(municipality=voss, domain="voss.example")
    return voss


@pytest.fixture
def member(linked_contact_person_factory, municipality):
    return linked_contact_person_factory(name="Kari Nordmann", municipality=municipality)


@pytest.fixture
def coordinator(linked_contact_person_factory, municipality):
    return linked_contact_person_factory(
        name="Kjell Koordinator", municipality=municipality, coordinator=True
    )


@pytest.fixture
def meeting(meeting_factory):
    return meeting_factory(title="Søknadsverkstad", capacity=3)


def register_url(meeting) -> str:
    return reverse("meetings:register", kwargs={"slug": meeting.slug})


# --- Ids out of range in the registration form ----------------------------------------------


@pytest.mark.parametrize("bad_id", OUT_OF_RANGE_IDS)
def test_an_idea_id_out_of_range_on_the_edit_form_is_a_form_error(
    client_for, member, meeting, bad_id
):
    idea = ProjectIdeaFactory(contact_person=member)
    registration, _created = services.registration_create(
        meeting=meeting, person=member, actor=member, answers=services.RegistrationAnswers()
    )
    response = client_for(member).post(
        reverse("meetings:registration_edit", kwargs={"pk": registration.pk}),
        {**ANSWERS, "presenting_project_idea": "on", "ideas": [str(idea.pk), bad_id]},
    )
    assert response.status_code == 200
    assert "ideas" in response.context["form"].errors
    registration.refresh_from_db()
    assert not registration.presenting_project_idea


@pytest.mark.parametrize("bad_id", OUT_OF_RANGE_IDS)
def test_ids_out_of_range_on_the_register_form_are_form_errors(
    client_for, coordinator, meeting, bad_id
):
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "participant": bad_id, "presenting_project_idea": "on", "ideas": [bad_id]},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "participant" in errors
    assert "ideas" in errors
    assert not Registration.objects.exists()


# --- The new colleague's address -------------------------------------------------------------


@pytest.mark.parametrize("length", [255, 256, 262])
def test_a_new_colleague_address_over_254_characters_is_a_form_error(
    client_for, coordinator, meeting, length
):
    address = long_address(length)
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Nina Ny", "new_colleague_email": address},
    )
    assert response.status_code == 200
    assert "new_colleague_email" in response.context["form"].errors
    assert ContactPerson.objects.count() == 1
    assert not Registration.objects.exists()


def test_a_318_character_new_colleague_address_is_a_form_error(client_for, coordinator, meeting):
    address = long_address(318)
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Nina Ny", "new_colleague_email": address},
    )
    assert response.status_code == 200
    assert "new_colleague_email" in response.context["form"].errors
    assert ContactPerson.objects.count() == 1


def test_the_longest_new_colleague_address_is_saved_whole(client_for, coordinator, meeting):
    address = long_address(254)
    EmailDomain.objects.create(
        municipality=coordinator.municipality, domain=address.rpartition("@")[2]
    )
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Nina Ny", "new_colleague_email": address},
    )
    assert response.status_code == 302
    assert ContactPerson.objects.get(name="Nina Ny").email == address


def test_a_validation_error_from_the_service_becomes_a_form_error(
    client_for, coordinator, meeting, monkeypatch
):
    """Should the model still refuse what the form let through, the coordinator sees why."""

    def refuse(**kwargs):
        raise ValidationError({"email": ["Refused by the model."], "phone": ["Also refused."]})

    monkeypatch.setattr(services, "contact_person_add_colleague", refuse)
    response = client_for(coordinator).post(
        register_url(meeting),
        {**ANSWERS, "new_colleague_name": "Nina Ny", "new_colleague_email": "nina@voss.example"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["new_colleague_email"] == ["Refused by the model."]
    assert form.non_field_errors() == ["Also refused."]
    assert not Registration.objects.exists()


@pytest.mark.parametrize("character", ["\x00", "\x01", "\n", "\t", "\x7f"])
def test_control_characters_in_a_new_colleague_address_are_a_form_error(
    client_for, coordinator, meeting, character
):
    response = client_for(coordinator).post(
        register_url(meeting),
        {
            **ANSWERS,
            "new_colleague_name": "Nina Ny",
            "new_colleague_email": f'"ni{character}na"@voss.example',
        },
    )
    assert response.status_code == 200
    assert "new_colleague_email" in response.context["form"].errors
    assert ContactPerson.objects.count() == 1


@pytest.mark.parametrize("character", ["\n", "\r", "\t", "\x0b"])
def test_line_breaks_in_single_line_answers_are_form_errors(client_for, member, meeting, character):
    response = client_for(member).post(
        register_url(meeting), {**ANSWERS, "dietary_needs": f"Gluten{character}fritt"}
    )
    assert response.status_code == 200
    assert "dietary_needs" in response.context["form"].errors
    assert not Registration.objects.exists()


# --- Bounds on the meeting's numbers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("capacity", None, True),
        ("capacity", 0, True),
        ("capacity", 10000, True),
        ("capacity", 10001, False),
        ("capacity", -1, False),
        ("capacity", 2**63, False),
    ],
)
def test_meeting_numbers_have_sane_bounds(meeting, field, value, valid):
    setattr(meeting, field, value)
    if valid:
        meeting.full_clean()
    else:
        assert field in validation_errors(meeting)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capacity", 10001),
    ],
)
def test_the_database_refuses_meeting_numbers_out_of_bounds(meeting, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(**{field: value})


@pytest.mark.parametrize(("value", "valid"), [(0, True), (999, True), (1000, False), (-1, False)])
def test_agenda_item_order_has_sane_bounds(meeting, value, valid):
    item = AgendaItem(meeting=meeting, title="Velkomen", order=value)
    if valid:
        item.full_clean()
    else:
        assert "order" in validation_errors(item)


@pytest.mark.parametrize(
    ("value", "valid"), [(1, True), (90, True), (0, False), (91, False), (1099511627776, False)]
)
def test_reminder_days_have_sane_bounds(meeting, value, valid):
    reminder = MeetingReminder(meeting=meeting, days_before=value)
    if valid:
        reminder.full_clean(exclude=["meeting"])
    else:
        assert "days_before" in validation_errors(reminder)


@pytest.mark.parametrize("value", [0, 91])
def test_the_database_refuses_reminder_days_out_of_bounds(meeting, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingReminder.objects.filter(meeting=meeting).update(days_before=value)


def test_a_huge_reminder_day_count_in_the_admin_is_a_form_error(staff_client, meeting):
    from tests.meetings.test_admin import meeting_form

    response = staff_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_form(meeting, **{"reminder_schedule-0-days_before": "1099511627776"}),
    )
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][1].formset.errors[0] == {"days_before": [ANY]}
    assert sorted(meeting.reminder_schedule.values_list("days_before", flat=True)) == [2, 7, 14]


def test_the_same_reminder_day_twice_in_the_admin_is_a_form_error(staff_client, meeting):
    from tests.meetings.test_admin import meeting_form

    response = staff_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_form(meeting, **{"reminder_schedule-0-days_before": "7"}),
    )
    assert response.status_code == 200
    assert sorted(meeting.reminder_schedule.values_list("days_before", flat=True)) == [2, 7, 14]


def test_a_huge_capacity_in_the_admin_is_a_form_error(staff_client, meeting):
    from tests.meetings.test_admin import meeting_form

    response = staff_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_form(meeting, capacity=str(2**64)),
    )
    assert response.status_code == 200
    assert "capacity" in response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.capacity == 3


def test_a_datetime_before_year_one_in_utc_is_a_form_error(staff_client, meeting):
    """Midnight on 1 January of year 1 in Oslo is still year 0 in UTC, which Python cannot
    hold: the database adapter would fail."""
    from tests.meetings.test_admin import meeting_form

    response = staff_client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_form(
            meeting,
            starts_at_0="0001-01-01",
            starts_at_1="00:00:00",
            ends_at_0="0001-01-01",
            ends_at_1="03:00:00",
            registration_deadline_0="",
            registration_deadline_1="",
        ),
    )
    assert response.status_code == 200
    assert "starts_at" in response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.starts_at.year > 2000


def test_a_tampered_meeting_row_on_the_series_page_is_ignored(staff_client, meeting):
    """The series page lists its meetings read-only; a posted row with an unknown id made a
    new meeting whose validation failed with a 500."""
    from tests.helpers import management_form

    series = meeting.series
    response = staff_client.post(
        reverse("admin:meetings_meetingseries_change", args=[series.pk]),
        {
            "name": series.name,
            "year": series.year,
            "organiser_name": series.organiser_name,
            **management_form("meetings", total=1, initial=1),
            "meetings-0-id": str(2**63 - 1),
            "meetings-0-series": series.pk,
        },
    )
    assert response.status_code == 302
    assert list(series.meetings.all()) == [meeting]
