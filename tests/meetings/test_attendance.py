"""Attendance: county staff check people in at the door (the services), walk-ins, the
no-shows, the participation overview's count of who came, and the participant's printable
confirmation."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from meetings import services
from meetings.models import Meeting, Registration
from meetings.selectors import check_in_counts, participation_overview
from members.models import ContactPerson, NetworkOwner
from members.services import network_owner_update

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture(autouse=True)
def english():
    # The services' messages in the source language (the portal's default is Nynorsk).
    with translation.override("en"):
        yield


@pytest.fixture
def staff(user_factory):
    user = user_factory(email="doer@example.org", is_staff=True)
    user.groups.add(Group.objects.get(name="County staff"))
    return user


@pytest.fixture
def today_meeting(meeting_factory):
    """A meeting under way: it started an hour ago and ends in two."""
    starts_at = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    return meeting_factory(
        title="Arbeidsverkstad",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=2),
        venue_name="Fylkeshuset",
        venue_address="Agnes Mowinckels gate 5, Bergen",
    )


@pytest.fixture
def seat(today_meeting, registration_factory, contact_person_factory):
    return registration_factory(
        meeting=today_meeting, contact_person=contact_person_factory(name="Kari Nordmann")
    )


# --- Marking and undoing -----------------------------------------------------------------------


def test_marking_present_records_when_and_by_whom(seat, staff):
    registration, changed = services.attendance_mark(registration=seat, by=staff)

    assert changed
    registration.refresh_from_db()
    assert registration.attended_at is not None
    assert abs(registration.attended_at - timezone.now()) < dt.timedelta(seconds=5)
    assert registration.attended_by == staff
    assert registration.has_attended
    # The change history has it, under the staff member's name.
    latest = registration.history.latest()
    assert (latest.attended_at, latest.attended_by_id, latest.history_user) == (
        registration.attended_at,
        staff.pk,
        staff,
    )


def test_marking_again_keeps_the_first_check_in(seat, staff, user_factory, clock):
    first, _changed = services.attendance_mark(registration=seat, by=staff)
    clock.shift(dt.timedelta(minutes=5))
    other = user_factory(is_staff=True)

    again, changed = services.attendance_mark(registration=seat, by=other)

    assert not changed
    assert (again.attended_at, again.attended_by_id) == (first.attended_at, staff.pk)
    assert seat.history.count() == 2  # made, checked in


def test_undo_clears_the_check_in(seat, staff):
    services.attendance_mark(registration=seat, by=staff)

    registration, changed = services.attendance_undo(registration=seat, by=staff)

    assert changed
    registration.refresh_from_db()
    assert (registration.attended_at, registration.attended_by) == (None, None)
    latest = registration.history.latest()
    assert (latest.attended_at, latest.history_user) == (None, staff)
    # Undoing what is not there changes nothing.
    assert services.attendance_undo(registration=seat, by=staff)[1] is False


def test_a_registration_of_another_meeting_is_refused(seat, staff, meeting_factory):
    other = meeting_factory(starts_at=seat.meeting.starts_at, ends_at=seat.meeting.ends_at)
    with pytest.raises(services.AttendanceError, match="another meeting"):
        services.attendance_mark(registration=seat, by=staff, meeting=other)
    with pytest.raises(services.AttendanceError, match="another meeting"):
        services.attendance_undo(registration=seat, by=staff, meeting=other)
    seat.refresh_from_db()
    assert seat.attended_at is None


@pytest.mark.parametrize("status", [Registration.Status.WAITLISTED, Registration.Status.CANCELLED])
def test_only_a_confirmed_registration_is_checked_in(seat, staff, status):
    seat.set_status(status, now=timezone.now())
    seat.save()
    with pytest.raises(services.AttendanceError, match="confirmed seat"):
        services.attendance_mark(registration=seat, by=staff)
    seat.refresh_from_db()
    assert seat.attended_at is None


def test_nobody_is_checked_in_before_the_meeting_day(meeting_factory, registration_factory, staff):
    starts_at = timezone.now() + dt.timedelta(days=3)
    registration = registration_factory(meeting=meeting_factory(starts_at=starts_at))
    with pytest.raises(services.AttendanceError, match="opens on the day of the meeting"):
        services.attendance_mark(registration=registration, by=staff)


def test_nobody_is_checked_in_a_week_after_the_meeting(
    meeting_factory, registration_factory, staff
):
    starts_at = timezone.now() - dt.timedelta(days=8, hours=4)
    meeting = meeting_factory(
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        status=Meeting.Status.HELD,
    )
    registration = registration_factory(meeting=meeting)
    with pytest.raises(services.AttendanceError, match="closed 7 days after"):
        services.attendance_mark(registration=registration, by=staff)
    with pytest.raises(services.AttendanceError, match="closed 7 days after"):
        services.attendance_undo(registration=registration, by=staff)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": Meeting.Status.CANCELLED}, "cancelled"),
        ({"tentative": True}, "no fixed date"),
    ],
)
def test_cancelled_and_tentative_meetings_have_no_check_in(
    meeting_factory, registration_factory, staff, kwargs, message
):
    registration = registration_factory(meeting=meeting_factory(**kwargs))
    with pytest.raises(services.AttendanceError, match=message):
        services.attendance_mark(registration=registration, by=staff)


def test_the_window_runs_from_the_meeting_days_midnight_to_a_week_after_its_end(
    meeting_factory, registration_factory, staff, freeze_now
):
    starts_at = dt.datetime(2027, 6, 10, 9, 0, tzinfo=OSLO)
    meeting = meeting_factory(
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_deadline=starts_at - dt.timedelta(days=2),
    )
    registration = registration_factory(meeting=meeting)

    freeze_now(dt.datetime(2027, 6, 9, 23, 59, 59, tzinfo=OSLO))
    with pytest.raises(services.AttendanceError):
        services.attendance_mark(registration=registration, by=staff)

    freeze_now(dt.datetime(2027, 6, 10, 0, 0, tzinfo=OSLO))
    assert services.attendance_mark(registration=registration, by=staff)[1]

    freeze_now(dt.datetime(2027, 6, 17, 12, 0, tzinfo=OSLO))
    assert services.attendance_undo(registration=registration, by=staff)[1]

    freeze_now(dt.datetime(2027, 6, 17, 12, 0, 1, tzinfo=OSLO))
    with pytest.raises(services.AttendanceError):
        services.attendance_mark(registration=registration, by=staff)


def test_who_checked_in_needs_when(seat, staff):
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=seat.pk).update(attended_by=staff)


def test_a_check_in_outlives_the_staff_account(seat, user_factory):
    doorkeeper = user_factory(is_staff=True)
    services.attendance_mark(registration=seat, by=doorkeeper)
    doorkeeper.delete()
    seat.refresh_from_db()
    assert seat.attended_at is not None
    assert seat.attended_by is None


def test_cancelling_a_checked_in_registration_takes_the_check_in_away(seat, staff):
    services.attendance_mark(registration=seat, by=staff)
    seat.refresh_from_db()

    services.registration_staff_cancel(registration=seat)

    seat.refresh_from_db()
    assert seat.status == Registration.Status.CANCELLED
    assert (seat.attended_at, seat.attended_by) == (None, None)


def test_counts(seat, staff, today_meeting, registration_factory):
    registration_factory(meeting=today_meeting)
    registration_factory(meeting=today_meeting, status=Registration.Status.WAITLISTED)
    services.attendance_mark(registration=seat, by=staff)
    counts = check_in_counts(today_meeting)
    assert (counts.confirmed, counts.present, counts.absent) == (2, 1, 1)


# --- Walk-ins ---------------------------------------------------------------------------------


@pytest.fixture
def full_meeting(today_meeting, registration_factory):
    Meeting.objects.filter(pk=today_meeting.pk).update(capacity=1)
    today_meeting.refresh_from_db()
    registration_factory(meeting=today_meeting)
    return today_meeting


def test_a_walk_in_is_registered_late_over_capacity_and_checked_in(
    full_meeting, staff, municipality_factory
):
    voss = municipality_factory(name="Voss")

    walk_in = services.attendance_walk_in(
        meeting=full_meeting,
        name="Ola Dørstokk",
        email="ola@voss.kommune.no",
        municipality=voss,
        by=staff,
    )

    assert walk_in.person_created
    assert walk_in.status_before is None
    registration = Registration.objects.get(pk=walk_in.registration.pk)
    person = registration.contact_person
    assert (person.name, person.email, person.municipality) == (
        "Ola Dørstokk",
        "ola@voss.kommune.no",
        voss,
    )
    # Through the staff registration service: past the deadline it is late, and the full
    # meeting's seat is confirmed over capacity, both recorded.
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.is_late
    assert registration.over_capacity
    assert registration.municipality == voss
    assert registration.attended_by == staff
    assert registration.attended_at is not None
    assert [h.history_type for h in registration.history.order_by("history_id")] == ["+", "~"]


def test_a_walk_in_with_a_free_seat_is_not_over_capacity(
    today_meeting, staff, municipality_factory
):
    walk_in = services.attendance_walk_in(
        meeting=today_meeting,
        name="Ola",
        email="ola@example.org",
        municipality=municipality_factory(),
        by=staff,
    )
    assert walk_in.registration.status == Registration.Status.CONFIRMED
    assert not Registration.objects.get(pk=walk_in.registration.pk).over_capacity


def test_a_walk_in_on_the_waiting_list_is_confirmed_over_capacity(
    full_meeting, staff, contact_person_factory, registration_factory
):
    waiting = registration_factory(
        meeting=full_meeting,
        contact_person=contact_person_factory(email="venter@example.org"),
        status=Registration.Status.WAITLISTED,
    )
    person = waiting.contact_person

    walk_in = services.attendance_walk_in(
        meeting=full_meeting,
        name=person.name,
        email="VENTER@example.org",
        municipality=person.municipality,
        by=staff,
    )

    assert (walk_in.person_created, walk_in.status_before) == (False, "waitlisted")
    waiting.refresh_from_db()
    assert walk_in.registration.pk == waiting.pk
    assert waiting.status == Registration.Status.CONFIRMED
    assert waiting.over_capacity
    assert waiting.attended_at is not None


def test_a_walk_in_already_confirmed_is_only_checked_in(seat, staff):
    person = seat.contact_person
    walk_in = services.attendance_walk_in(
        meeting=seat.meeting,
        name=person.name,
        email=person.email,
        municipality=person.municipality,
        by=staff,
    )
    assert walk_in.registration.pk == seat.pk
    assert (walk_in.status_before, walk_in.checked_in) == ("confirmed", True)
    seat.refresh_from_db()
    assert not seat.is_late
    assert seat.attended_by == staff


def test_a_walk_in_of_another_municipality_is_refused_and_nothing_is_made(
    today_meeting, staff, contact_person_factory, municipality_factory
):
    contact_person_factory(
        email="kari@bergen.kommune.no", municipality=municipality_factory(name="Bergen")
    )
    people = ContactPerson.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.attendance_walk_in(
            meeting=today_meeting,
            name="Kari",
            email="kari@bergen.kommune.no",
            municipality=municipality_factory(name="Voss"),
            by=staff,
        )
    assert "contact person of Bergen" in caught.value.message_dict["email"][0]
    assert ContactPerson.objects.count() == people
    assert not Registration.objects.filter(contact_person__email="kari@bergen.kommune.no")


def test_a_walk_in_outside_the_window_adds_nobody(meeting_factory, staff, municipality_factory):
    later = meeting_factory(starts_at=timezone.now() + dt.timedelta(days=5))
    people = ContactPerson.objects.count()
    with pytest.raises(services.AttendanceError):
        services.attendance_walk_in(
            meeting=later,
            name="Ola",
            email="ola@example.org",
            municipality=municipality_factory(),
            by=staff,
        )
    assert ContactPerson.objects.count() == people


def test_an_invalid_walk_in_rolls_back_the_new_person(today_meeting, staff, municipality_factory):
    people = ContactPerson.objects.count()
    with pytest.raises(ValidationError):
        services.attendance_walk_in(
            meeting=today_meeting,
            name="Ola\nNy linje",
            email="ola@example.org",
            municipality=municipality_factory(),
            by=staff,
        )
    assert ContactPerson.objects.count() == people


# --- The participation overview ---------------------------------------------------------------


@pytest.fixture
def attended_series(
    today_meeting, staff, municipality_factory, registration_factory, contact_person_factory
):
    bergen = municipality_factory(name="Bergen")
    voss = municipality_factory(name="Voss")
    for municipality, came, stayed_away in ((bergen, 2, 1), (voss, 1, 0)):
        for index in range(came + stayed_away):
            registration = registration_factory(
                meeting=today_meeting,
                contact_person=contact_person_factory(municipality=municipality),
            )
            if index < came:
                services.attendance_mark(registration=registration, by=staff)
    return today_meeting.series


def test_the_overview_counts_who_came(attended_series):
    overview = participation_overview(attended_series)
    totals = {row.municipality.name: row.total for row in overview.rows if row.municipality}
    assert (totals["Bergen"].confirmed, totals["Bergen"].attended) == (3, 2)
    assert (totals["Voss"].confirmed, totals["Voss"].attended) == (1, 1)
    assert overview.total.attended == 3
    assert overview.meeting_totals[0].attended == 3


def test_the_overview_page_and_csv_have_the_attended_column(staff_en_client, attended_series):
    page = staff_en_client.get(reverse("meetings:overview"), {"series": attended_series.pk})
    content = page.content.decode()
    assert '<th scope="col">Attended</th>' in content
    assert '<td class="participation-attended">2</td>' in content
    assert '<td class="participation-attended">3</td>' in content  # the total

    response = staff_en_client.get(reverse("meetings:overview_csv"), {"series": attended_series.pk})
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    column = table[0].index("Attended in total")
    rows = {row[0]: row for row in table[1:]}
    assert rows["Bergen"][column] == "2"
    assert rows["Voss"][column] == "1"
    assert rows["Total"][column] == "3"


def test_the_overview_as_excel_has_the_attended_column(staff_en_client, attended_series):
    from openpyxl import load_workbook

    response = staff_en_client.get(
        reverse("meetings:overview_xlsx"), {"series": attended_series.pk}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][-1] == "Attended in total"
    assert rows[-1][0] == "Total"
    assert rows[-1][-1] == "3"


# --- The attendance confirmation ------------------------------------------------------------


@pytest.fixture
def attended(
    today_meeting, staff, linked_contact_person_factory, registration_factory, municipality_factory
):
    person = linked_contact_person_factory(
        name="Kari Nordmann", municipality=municipality_factory(name="Bergen")
    )
    registration = registration_factory(meeting=today_meeting, contact_person=person)
    services.attendance_mark(registration=registration, by=staff)
    return registration


def confirmation_url(meeting) -> str:
    return reverse("meetings:attendance_confirmation", kwargs={"slug": meeting.slug})


def test_the_participant_prints_their_confirmation(client_for, attended):
    series = attended.meeting.series
    series.organiser_name = "Vestland fylkeskommune"
    series.save()
    response = client_for(attended.contact_person).get(confirmation_url(attended.meeting))

    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "Vestland fylkeskommune",
        "Kari Nordmann",
        "Bergen",
        "Arbeidsverkstad",
        "Fylkeshuset, Agnes Mowinckels gate 5, Bergen",
        "This confirms that Kari Nordmann took part in Arbeidsverkstad.",
    ):
        assert text in content, text
    assert 'media="print"' in content
    assert "/static/css/print.css" in content


def test_the_organiser_of_the_meetings_series_signs_whoever_owns_the_network_now(
    client_for, attended
):
    owner = NetworkOwner.get_solo()
    owner.name = "Ny fylkeskommune"
    network_owner_update(owner=owner)
    content = client_for(attended.contact_person).get(confirmation_url(attended.meeting))
    assert attended.meeting.series.organiser_name in content.content.decode()
    assert "Ny fylkeskommune" not in content.content.decode().split("<footer")[0]


def test_my_meetings_links_the_confirmation(client_for, attended):
    content = client_for(attended.contact_person).get(reverse("my_meetings")).content.decode()
    assert f'href="{confirmation_url(attended.meeting)}"' in content


def test_no_confirmation_without_a_check_in(client_for, seat, linked_contact_person_factory):
    person = linked_contact_person_factory()
    Registration.objects.filter(pk=seat.pk).update(contact_person=person)
    assert client_for(person).get(confirmation_url(seat.meeting)).status_code == 404


def test_the_confirmation_is_the_participants_own(
    client_for, attended, linked_contact_person_factory, staff_client
):
    url = confirmation_url(attended.meeting)
    # A colleague, even the municipality's coordinator, gets none.
    coordinator = linked_contact_person_factory(
        municipality=attended.contact_person.municipality, coordinator=True
    )
    assert client_for(coordinator).get(url).status_code == 404
    # County staff are no participant.
    assert staff_client.get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_cancelled_registration_has_no_confirmation(client_for, attended):
    services.registration_staff_cancel(registration=attended)
    assert (
        client_for(attended.contact_person).get(confirmation_url(attended.meeting)).status_code
        == 404
    )


def test_a_change_in_the_admin_keeps_a_check_in_made_meanwhile(seat, staff):
    # The admin's page was loaded before the person was checked in at the door.
    loaded = Registration.objects.get(pk=seat.pk)
    services.attendance_mark(registration=seat, by=staff)

    loaded.dietary_needs = "Vegetar"
    services.registration_staff_save(registration=loaded)

    seat.refresh_from_db()
    assert seat.dietary_needs == "Vegetar"
    assert seat.attended_by == staff
    assert seat.attended_at is not None
