"""A new year in one action: copying a series to next year, and a meeting within its series."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings import copying
from meetings.models import AgendaItem, Meeting, MeetingSeries, Registration

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


def oslo(*args, fold=0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=OSLO, fold=fold)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Thursday of week 10 -> Thursday of week 10.
        (dt.date(2027, 3, 11), dt.date(2028, 3, 9)),
        # 2026 has 53 weeks, so the same week is 371 days on.
        (dt.date(2026, 6, 10), dt.date(2027, 6, 16)),
        # Week 53 of 2026 (Thursday 31 December): 2027 has no week 53, so its week 52.
        (dt.date(2026, 12, 31), dt.date(2027, 12, 30)),
        # Friday 1 January 2027 is in ISO week 53 of 2026 as well.
        (dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
        # Week 1 that starts in the old year: Monday 29 December 2025 is 2026-W01-1.
        (dt.date(2025, 12, 29), dt.date(2027, 1, 4)),
    ],
)
def test_next_year_date_is_the_same_weekday_of_the_same_week(day, expected):
    moved = copying.next_year_date(day)
    assert moved == expected
    assert moved.isoweekday() == day.isoweekday()


def test_the_clock_time_is_kept_across_summer_time():
    # Tuesday 24 March 2026 is winter time; the same week in 2027 (30 March) is summer time.
    moved = copying.shift_moment(oslo(2026, 3, 24, 10, 0))
    assert moved.astimezone(OSLO).replace(tzinfo=None) == dt.datetime(2027, 3, 30, 10, 0)
    assert moved == dt.datetime(2027, 3, 30, 8, 0, tzinfo=dt.UTC)


def test_a_clock_time_in_the_skipped_hour_moves_on_by_that_hour():
    # Sunday 22 March 2026 02:30 -> Sunday 28 March 2027, when 02:00 becomes 03:00.
    moved = copying.shift_moment(oslo(2026, 3, 22, 2, 30))
    assert moved == dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)
    assert moved.astimezone(OSLO).replace(tzinfo=None) == dt.datetime(2027, 3, 28, 3, 30)


@pytest.mark.parametrize(("fold", "utc_hour"), [(0, 0), (1, 1)])
def test_a_repeated_clock_time_keeps_which_of_the_two_it_was(fold, utc_hour):
    # Sunday 25 October 2026 02:30 happens twice; so does Sunday 31 October 2027 02:30.
    moved = copying.shift_moment(oslo(2026, 10, 25, 2, 30, fold=fold))
    assert moved == dt.datetime(2027, 10, 31, utc_hour, 30, tzinfo=dt.UTC)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(2001, 1, 1),
        max_value=dt.datetime(2190, 12, 31),
        timezones=st.just(dt.UTC),
    )
)
def test_every_moment_moves_to_the_same_week_day_and_clock(moment):
    moved = copying.shift_moment(moment)
    before, after = moment.astimezone(OSLO), moved.astimezone(OSLO)
    year, week, weekday = before.isocalendar()
    assert after.isocalendar() == (year + 1, week if week < 53 else 52, weekday)
    wall_clock = dt.datetime.combine(after.date(), before.time().replace(fold=0))
    # Whether an Oslo clock shows that time on the new day at all.
    round_trip = wall_clock.replace(tzinfo=OSLO).astimezone(dt.UTC).astimezone(OSLO)
    exists = round_trip.replace(tzinfo=None) == wall_clock
    if exists:
        assert after.replace(tzinfo=None) == wall_clock
    else:
        # In the hour skipped in March: an hour later.
        assert after.replace(tzinfo=None) == wall_clock + dt.timedelta(hours=1)
    assert moved.tzinfo == dt.UTC


# --- The series -----------------------------------------------------------------------------


@pytest.fixture
def series_2026(freeze_now, meeting_series_factory, meeting_factory, agenda_item_factory):
    """The 2026 series, seen in January 2026: a kickoff in March with a deadline, a tentative
    June meeting, and an autumn workshop without a deadline."""
    freeze_now(oslo(2026, 1, 10, 12, 0))
    series = meeting_series_factory(name="Kommunenettverket", year=2026)
    kickoff = meeting_factory(
        series=series,
        title="Oppstartsmøte 2026",
        slug="oppstart-2026",
        kind=Meeting.Kind.KICKOFF,
        status=Meeting.Status.HELD,
        # Winter time; the same week of 2027 is summer time.
        starts_at=oslo(2026, 3, 24, 10, 0),
        ends_at=oslo(2026, 3, 24, 15, 30),
        # Noon four days before: across the change to summer time in 2027.
        registration_deadline=oslo(2026, 3, 20, 12, 0),
        venue_name="Fylkeshuset",
        venue_address="Agnes Mowinckels gate 5, Bergen",
        online_url="https://teams.example.org/oppstart",
        capacity=80,
        programme_url="https://example.org/program",
        reminder_days=(21, 5),
    )
    agenda_item_factory(meeting=kickoff, order=1, title="Velkomen", starts_at=dt.time(10, 0))
    agenda_item_factory(meeting=kickoff, order=2, title="Prosjektidear", description="Runde")
    meeting_factory(series=series, tentative=True, title="Junimøte", slug="juni")
    meeting_factory(
        series=series,
        title="Søknadsverkstad",
        slug="soknadsverkstad",
        kind=Meeting.Kind.APPLICATION_WORKSHOP,
        starts_at=oslo(2026, 10, 15, 9, 0),
        ends_at=oslo(2026, 10, 15, 16, 0),
        registration_deadline=None,
    )
    registration = Registration.objects.create(meeting=kickoff, contact_person=_person())
    assert registration.pk
    return series


def _person():
    from tests.factories import ContactPersonFactory

    return ContactPersonFactory()


def copies(series) -> dict[str, Meeting]:
    return {meeting.title: meeting for meeting in series.meetings.all()}


def test_the_series_is_copied_with_every_meeting(series_2026):
    new = copying.series_copy_to_next_year(series=series_2026)
    assert (new.name, new.year, new.organiser_name) == (
        "Kommunenettverket",
        2027,
        series_2026.organiser_name,
    )
    meetings = copies(new)
    assert sorted(meetings) == ["Junimøte", "Oppstartsmøte 2027", "Søknadsverkstad"]
    kickoff = meetings["Oppstartsmøte 2027"]
    original = series_2026.meetings.get(slug="oppstart-2026")
    for field in copying.COPIED_FIELDS:
        assert getattr(kickoff, field) == getattr(original, field), field
    assert kickoff.slug == "oppstart-2027"
    assert kickoff.calendar_uid != original.calendar_uid
    assert kickoff.sequence == 0
    assert not kickoff.registrations.exists()
    assert list(kickoff.reminder_schedule.values_list("days_before", flat=True)) == [21, 5]
    assert list(kickoff.agenda_items.values_list("order", "title", "description", "starts_at")) == [
        (1, "Velkomen", "", dt.time(10, 0)),
        (2, "Prosjektidear", "Runde", None),
    ]
    # Nothing of the old series changed.
    assert original.registrations.count() == 1
    assert AgendaItem.objects.count() == 4


def test_dates_move_to_the_same_week_and_the_deadline_keeps_its_distance(series_2026):
    kickoff = copies(copying.series_copy_to_next_year(series=series_2026))["Oppstartsmøte 2027"]

    def local(moment):
        return moment.astimezone(OSLO).replace(tzinfo=None)

    assert local(kickoff.starts_at) == dt.datetime(2027, 3, 30, 10, 0)
    assert local(kickoff.ends_at) == dt.datetime(2027, 3, 30, 15, 30)
    # Noon four days before, although summer time began in between.
    assert local(kickoff.registration_deadline) == dt.datetime(2027, 3, 26, 12, 0)
    assert kickoff.status == Meeting.Status.SCHEDULED


def test_status_tentative_stays_tentative_and_no_deadline_is_not_open(series_2026):
    meetings = copies(copying.series_copy_to_next_year(series=series_2026))
    june = meetings["Junimøte"]
    assert (june.status, june.tentative_period, june.starts_at) == ("tentative", "juni", None)
    assert june.slug == "juni-2027"
    # Without a deadline a scheduled copy would be open at once: it is tentative instead.
    workshop = meetings["Søknadsverkstad"]
    assert workshop.status == Meeting.Status.TENTATIVE
    assert workshop.starts_at.astimezone(OSLO).date() == dt.date(2027, 10, 21)
    assert [m.title for m in meetings.values() if m.registration_is_open()] == [
        "Oppstartsmøte 2027"
    ]


def test_a_deadline_already_passed_gives_a_tentative_copy(
    freeze_now, meeting_series_factory, meeting_factory
):
    freeze_now(oslo(2027, 5, 1, 12, 0))
    series = meeting_series_factory(year=2026)
    meeting_factory(
        series=series,
        starts_at=oslo(2026, 4, 14, 10, 0),
        ends_at=oslo(2026, 4, 14, 12, 0),
        registration_deadline=oslo(2026, 4, 1, 12, 0),
    )
    (copy,) = copying.series_copy_to_next_year(series=series).meetings.all()
    assert copy.status == Meeting.Status.TENTATIVE
    assert not copy.registration_is_open()


def test_week_53_of_a_series_goes_to_week_52(freeze_now, meeting_series_factory, meeting_factory):
    freeze_now(oslo(2026, 11, 1, 12, 0))
    series = meeting_series_factory(year=2026)
    meeting_factory(
        series=series,
        slug="arsavslutning",
        starts_at=oslo(2026, 12, 31, 12, 0),
        ends_at=oslo(2026, 12, 31, 14, 0),
        registration_deadline=oslo(2026, 12, 28, 12, 0),
    )
    (copy,) = copying.series_copy_to_next_year(series=series).meetings.all()
    assert copy.starts_at == oslo(2027, 12, 30, 12, 0)
    assert copy.registration_deadline == oslo(2027, 12, 27, 12, 0)
    assert copy.starts_at.astimezone(OSLO).isocalendar()[1:] == (52, 4)
    assert copy.slug == "arsavslutning-2027"


def test_slugs_stay_unique(series_2026, meeting_factory, meeting_series_factory):
    meeting_factory(series=meeting_series_factory(year=2030), slug="oppstart-2027")
    meeting_factory(series=meeting_series_factory(year=2030), slug="juni-2027")
    meeting_factory(series=meeting_series_factory(year=2030), slug="juni-2027-2")
    meetings = copies(copying.series_copy_to_next_year(series=series_2026))
    assert meetings["Oppstartsmøte 2027"].slug == "oppstart-2027-2"
    assert meetings["Junimøte"].slug == "juni-2027-3"


def test_a_long_slug_is_cut_to_fit(freeze_now, meeting_series_factory, meeting_factory):
    series = meeting_series_factory(year=2026)
    meeting_factory(series=series, slug="a" * 100)
    (copy,) = copying.series_copy_to_next_year(series=series).meetings.all()
    assert len(copy.slug) <= 100
    copy.full_clean()


def test_refused_when_next_years_series_exists(series_2026, meeting_series_factory):
    meeting_series_factory(name="Kommunenettverket", year=2027)
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        copying.series_copy_to_next_year(series=series_2026)
    assert raised.value.messages == ["“Kommunenettverket 2027” exists already; nothing was copied."]
    assert MeetingSeries.objects.filter(year=2027).count() == 1
    assert Meeting.objects.count() == 3


def test_a_copy_that_breaks_a_rule_saves_nothing(series_2026):
    # A cancelled meeting with no date and no period cannot be a tentative copy.
    Meeting.objects.filter(slug="juni").update(status="cancelled", tentative_period="")
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        copying.series_copy_to_next_year(series=series_2026)
    assert raised.value.messages[0].startswith("“Junimøte” could not be copied: ")
    assert not MeetingSeries.objects.filter(year=2027).exists()
    assert Meeting.objects.count() == 3


def test_the_last_year_cannot_be_copied(meeting_series_factory):
    series = meeting_series_factory(year=2200)
    with pytest.raises(ValidationError):
        copying.series_copy_to_next_year(series=series)
    assert MeetingSeries.objects.count() == 1


# --- One meeting ----------------------------------------------------------------------------


def test_a_meeting_is_copied_in_its_series(freeze_now, meeting_factory, registration_factory):
    freeze_now(oslo(2027, 6, 9, 12, 0))
    meeting = meeting_factory(slug="oppstart", capacity=40)
    registration_factory(meeting=meeting)
    copy = copying.meeting_copy(meeting=meeting)
    assert (copy.series, copy.title, copy.starts_at, copy.capacity) == (
        meeting.series,
        meeting.title,
        meeting.starts_at,
        40,
    )
    assert copy.slug == "oppstart-2"
    assert copy.status == Meeting.Status.SCHEDULED
    assert copy.calendar_uid != meeting.calendar_uid
    assert copy.sequence == 0
    assert not copy.registrations.exists()


def test_a_held_meeting_is_copied_as_tentative(meeting_factory, freeze_now):
    freeze_now(oslo(2027, 6, 9, 12, 0))
    meeting = meeting_factory(
        status=Meeting.Status.HELD,
        starts_at=oslo(2027, 5, 1, 10, 0),
        ends_at=oslo(2027, 5, 1, 12, 0),
        registration_deadline=oslo(2027, 4, 28, 12, 0),
    )
    copy = copying.meeting_copy(meeting=meeting)
    assert copy.status == Meeting.Status.TENTATIVE
    assert not copy.registration_is_open()


# --- Through the admin ----------------------------------------------------------------------


def staff_client_nn(client):
    """The same signed-in client with the portal's default language, Nynorsk."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nn"
    return client


def series_action(client, series, action="copy_to_next_year"):
    return client.post(
        reverse("admin:meetings_meetingseries_changelist"),
        {"action": action, "_selected_action": [s.pk for s in series], "index": 0},
    )


def test_admin_copies_the_series_and_opens_the_new_one(series_2026, staff_en_client):
    response = series_action(staff_en_client, [series_2026])
    new = MeetingSeries.objects.get(year=2027)
    assert response.status_code == 302
    assert response.url == reverse("admin:meetings_meetingseries_change", args=[new.pk])
    page = staff_en_client.get(response.url)
    assert messages_of(page) == [
        "“Kommunenettverket 2027” was made with 3 meetings. Check them before you invite: "
        "meetings without a registration deadline are tentative."
    ]
    assert "Oppstartsmøte 2027" in page.content.decode()


def test_admin_refuses_when_next_year_exists(series_2026, staff_en_client, meeting_series_factory):
    meeting_series_factory(name="Kommunenettverket", year=2027)
    response = series_action(staff_en_client, [series_2026])
    assert response.status_code == 302
    page = staff_en_client.get(response.url)
    assert messages_of(page) == ["“Kommunenettverket 2027” exists already; nothing was copied."]
    nynorsk = series_action(staff_client_nn(staff_en_client), [series_2026])
    assert messages_of(staff_en_client.get(nynorsk.url)) == [
        "«Kommunenettverket 2027» finst allereie; ingenting er kopiert."
    ]
    assert Meeting.objects.count() == 3


def test_admin_copies_one_series_at_a_time(series_2026, staff_en_client, meeting_series_factory):
    other = meeting_series_factory(year=2026)
    response = series_action(staff_en_client, [series_2026, other])
    page = staff_en_client.get(response.url)
    assert messages_of(page) == ["Choose exactly one to copy."]
    assert not MeetingSeries.objects.filter(year=2027).exists()


def test_the_copy_action_needs_the_right_to_add_meetings(
    series_2026, client, user_factory, sign_in_with_second_factor
):
    from django.contrib.auth.models import Permission

    user = user_factory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_meetingseries", "add_meetingseries", "change_meetingseries"]
        )
    )
    sign_in_with_second_factor(client, user)
    changelist = client.get(reverse("admin:meetings_meetingseries_changelist"))
    # Without the right to delete series either, there is no action at all.
    assert changelist.context["action_form"] is None
    series_action(client, [series_2026])
    assert not MeetingSeries.objects.filter(year=2027).exists()


def test_admin_copies_a_meeting_and_opens_the_copy(
    freeze_now, meeting_factory, registration_factory, agenda_item_factory, staff_en_client
):
    meeting = meeting_factory(slug="verkstad", title="Verkstad")
    agenda_item_factory(meeting=meeting, title="Opning")
    registration_factory(meeting=meeting)
    response = staff_en_client.post(
        reverse("admin:meetings_meeting_changelist"),
        {"action": "copy_meeting", "_selected_action": [meeting.pk], "index": 0},
    )
    copy = Meeting.objects.get(slug="verkstad-2")
    assert response.url == reverse("admin:meetings_meeting_change", args=[copy.pk])
    page = staff_en_client.get(response.url)
    assert messages_of(page) == [
        "“Verkstad” was copied. Change the copy's title, time and place before you invite."
    ]
    assert list(copy.agenda_items.values_list("title", flat=True)) == ["Opning"]
    assert not copy.registrations.exists()


def test_the_series_page_links_to_a_new_meeting_in_the_series(
    staff_en_client, meeting_series_factory
):
    series = meeting_series_factory()
    page = staff_en_client.get(reverse("admin:meetings_meetingseries_change", args=[series.pk]))
    add_url = f"{reverse('admin:meetings_meeting_add')}?series={series.pk}"
    assert f'href="{add_url}"' in page.content.decode()
    form = staff_en_client.get(add_url).context["adminform"].form
    assert str(form.initial["series"]) == str(series.pk)


# --- Public views ---------------------------------------------------------------------------


def test_the_copies_show_on_the_public_pages(series_2026, client):
    new = copying.series_copy_to_next_year(series=series_2026)
    meetings = copies(new)
    kickoff = client.get(meetings["Oppstartsmøte 2027"].get_absolute_url())
    assert kickoff.status_code == 200
    assert "Oppstartsmøte 2027" in kickoff.content.decode()
    assert kickoff.context["registration_open"] is True
    # Without a deadline, or without a date, nobody can register before staff act.
    for title in ["Søknadsverkstad", "Junimøte"]:
        page = client.get(meetings[title].get_absolute_url())
        assert page.status_code == 200
        assert page.context["registration_open"] is False
    listing = client.get(reverse("meetings:list")).content.decode()
    assert "Oppstartsmøte 2027" in listing
    calendar = client.get(
        reverse("meetings:calendar", kwargs={"slug": meetings["Oppstartsmøte 2027"].slug})
    )
    assert meetings["Oppstartsmøte 2027"].calendar_uid in calendar.content.decode()


def test_admin_tells_why_a_meeting_cannot_be_copied(meeting_factory, staff_en_client):
    meeting = meeting_factory(
        title="Avlyst", status=Meeting.Status.CANCELLED, tentative=False, starts_at=None
    )
    response = staff_en_client.post(
        reverse("admin:meetings_meeting_changelist"),
        {"action": "copy_meeting", "_selected_action": [meeting.pk], "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    (message,) = messages_of(response)
    assert message.startswith("“Avlyst” could not be copied: ")
    assert "Give a period such as “juni” while no date is fixed." in message
    assert Meeting.objects.count() == 1
