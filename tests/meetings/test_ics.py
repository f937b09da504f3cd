"""The pure iCalendar builders in meetings/ics.py, fed with meetings held in memory where they
need no database (and saved ones where they read agenda items)."""

import datetime as dt
import re
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from django.utils import translation

from meetings import ics
from meetings.models import Meeting, MeetingSeries, Registration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_vobject_time_zones")]

OSLO = ZoneInfo("Europe/Oslo")
SITE_URL = "https://kommunenettverk.example.no"
UPDATED = dt.datetime(2030, 11, 20, 8, 15, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def make_meeting(**fields) -> Meeting:
    """A meeting in memory with every calendar field set; nothing is saved. Its UID is one
    from before UIDs were stored: "meeting-<pk>@<host>"."""
    pk = fields.get("pk", 41)
    values = {
        "pk": pk,
        "calendar_uid": f"meeting-{pk}@kommunenettverk.example.no",
        "series": MeetingSeries(name="Kommunenettverket", year=2031),
        "kind": Meeting.Kind.KICKOFF,
        "title": "Oppstartsmøte",
        "slug": "oppstartsmote-2031",
        "theme": "Grøn omstilling",
        "description": "Velkomen.",
        "status": Meeting.Status.SCHEDULED,
        "starts_at": dt.datetime(2031, 3, 12, 10, 0, tzinfo=OSLO),
        "ends_at": dt.datetime(2031, 3, 12, 15, 30, tzinfo=OSLO),
        "registration_deadline": dt.datetime(2031, 3, 5, 12, 0, tzinfo=OSLO),
        "venue_name": "Fylkeshuset",
        "venue_address": "Askedalen 2, Leikanger",
        "sequence": 3,
        "updated_at": UPDATED,
    }
    values.update(fields)
    return Meeting(**values)


def agenda(*titles):
    return [SimpleNamespace(title=title) for title in titles]


def event_for(meeting, *, language="en", agenda_items=(), stamp=UPDATED, registration_status=None):
    with translation.override(language):
        return ics.meeting_event(
            meeting,
            stamp=stamp,
            agenda_items=agenda_items,
            registration_status=registration_status,
        )


def parsed_events(body: bytes) -> dict:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def content_lines(body: bytes) -> list[str]:
    """The unfolded content lines of a calendar file."""
    return body.decode().replace("\r\n ", "").split("\r\n")


# --- UIDs -----------------------------------------------------------------------------------


def test_meeting_uid_is_the_stored_one():
    assert ics.meeting_uid(make_meeting(pk=41)) == "meeting-41@kommunenettverk.example.no"
    assert ics.meeting_uid(make_meeting(calendar_uid="abc@example.org")) == "abc@example.org"


def test_a_new_meeting_gets_a_random_uid_without_a_host_name(meeting_factory):
    first, second = meeting_factory(), meeting_factory()
    assert first.calendar_uid != second.calendar_uid
    for meeting in (first, second):
        assert uuid.UUID(ics.meeting_uid(meeting)).version == 4
        assert "@" not in ics.meeting_uid(meeting)
        assert ics.deadline_uid(meeting) == ics.meeting_uid(meeting) + "-deadline"


def test_the_uid_is_stored_once_and_not_editable(meeting_factory):
    meeting = meeting_factory()
    uid = meeting.calendar_uid
    meeting.title = "Nytt namn"
    meeting.save()
    assert Meeting.objects.get(pk=meeting.pk).calendar_uid == uid
    assert not Meeting._meta.get_field("calendar_uid").editable


def test_meeting_uid_survives_every_change_of_the_meeting():
    before = make_meeting()
    after = make_meeting(
        title="Nytt namn",
        slug="nytt-namn",
        starts_at=dt.datetime(2031, 9, 1, 9, 0, tzinfo=OSLO),
        ends_at=None,
        venue_name="Rådhuset",
        status=Meeting.Status.CANCELLED,
        sequence=9,
    )
    assert ics.meeting_uid(after) == ics.meeting_uid(before)
    assert ics.deadline_uid(after) == ics.deadline_uid(before)


def test_meetings_and_their_deadlines_have_distinct_uids():
    uids = {
        ics.meeting_uid(make_meeting(pk=1)),
        ics.meeting_uid(make_meeting(pk=2)),
        ics.deadline_uid(make_meeting(pk=1)),
        ics.deadline_uid(make_meeting(pk=2)),
    }
    assert uids == {
        "meeting-1@kommunenettverk.example.no",
        "meeting-2@kommunenettverk.example.no",
        "meeting-1-deadline@kommunenettverk.example.no",
        "meeting-2-deadline@kommunenettverk.example.no",
    }


@pytest.mark.parametrize("migrated", [False, True], ids=["new", "migrated"])
def test_a_new_site_address_changes_no_uid(settings, meeting_factory, migrated):
    # Moving the portal to another host name must not give subscribed calendars duplicates.
    meeting = meeting_factory()
    if migrated:
        Meeting.objects.filter(pk=meeting.pk).update(
            calendar_uid=f"meeting-{meeting.pk}@kommunenettverk.example.no"
        )
    meeting.refresh_from_db()
    uids = (ics.meeting_uid(meeting), ics.deadline_uid(meeting))
    settings.SITE_URL = "https://portal.vestland.example.no"
    meeting.refresh_from_db()
    assert (ics.meeting_uid(meeting), ics.deadline_uid(meeting)) == uids
    body = ics.feed_calendar([meeting], name="Feed", language="en", stamp=UPDATED)
    assert set(parsed_events(body)) == {uids[0]}


# --- clean_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Møte\x07 i\x00 Førde\x1b\x7f", "Møte i Førde"),
        ("\x01\x02\x03\x04\x05\x06\x08\x0b\x0c\x0e\x1f", ""),
        ("Tab\there\nnew line\r\nCRLF", "Tab\there\nnew line\r\nCRLF"),
        ("Æ, ø; å 😀", "Æ, ø; å 😀"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_text_drops_control_characters_only(value, expected):
    assert ics.clean_text(value) == expected


# --- meeting_event ------------------------------------------------------------------------


def test_meeting_event_has_every_property_the_issue_asks_for():
    meeting = make_meeting(online_url="https://video.example.org/oppstart")
    stamp = dt.datetime(2030, 12, 1, 9, 0, 5, tzinfo=OSLO)
    event = event_for(
        meeting,
        agenda_items=agenda("Velkomen", "Lunsj"),
        stamp=stamp,
        registration_status=Registration.Status.CONFIRMED,
    )

    assert str(event["UID"]) == "meeting-41@kommunenettverk.example.no"
    assert event.decoded("DTSTAMP") == dt.datetime(2030, 12, 1, 8, 0, 5, tzinfo=dt.UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert event["DTEND"].params["TZID"] == "Europe/Oslo"
    assert event.decoded("DTSTART") == dt.datetime(2031, 3, 12, 10, 0, tzinfo=OSLO)
    assert event.decoded("DTEND") == dt.datetime(2031, 3, 12, 15, 30, tzinfo=OSLO)
    assert str(event["SUMMARY"]) == "Oppstartsmøte"
    assert str(event["LOCATION"]) == "Fylkeshuset, Askedalen 2, Leikanger"
    assert str(event["URL"]) == SITE_URL + "/meetings/oppstartsmote-2031/"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("LAST-MODIFIED") == UPDATED
    assert event["CATEGORIES"].cats == ["Kickoff"]
    assert str(event["TRANSP"]) == "OPAQUE"
    assert str(event["DESCRIPTION"]) == (
        "Theme: Grøn omstilling\n"
        "\n"
        "Velkomen.\n"
        "\n"
        "Agenda:\n"
        "- Velkomen\n"
        "- Lunsj\n"
        "\n"
        "Join online: https://video.example.org/oppstart\n"
        "\n" + SITE_URL + "/meetings/oppstartsmote-2031/"
    )


@pytest.mark.parametrize(
    "registration_status", [None, Registration.Status.WAITLISTED, Registration.Status.CANCELLED]
)
def test_the_online_link_is_only_in_a_confirmed_registrants_entry(registration_status):
    meeting = make_meeting(online_url="https://video.example.org/oppstart")
    event = event_for(meeting, stamp=UPDATED, registration_status=registration_status)
    assert "video.example.org" not in str(event["DESCRIPTION"])


def test_stamp_and_last_modified_are_written_in_utc():
    meeting = make_meeting(updated_at=dt.datetime(2031, 7, 1, 12, 0, tzinfo=OSLO))
    lines = content_lines(ics.build_calendar([event_for(meeting, stamp=meeting.updated_at)]))
    assert "DTSTAMP:20310701T100000Z" in lines
    assert "LAST-MODIFIED:20310701T100000Z" in lines


def test_local_times_are_written_with_tzid_in_summer_and_winter():
    summer = make_meeting(
        pk=1,
        starts_at=dt.datetime(2031, 6, 18, 7, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2031, 6, 18, 12, 0, tzinfo=dt.UTC),
    )
    winter = make_meeting(
        pk=2,
        starts_at=dt.datetime(2031, 1, 8, 9, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2031, 1, 8, 11, 0, tzinfo=dt.UTC),
    )
    lines = content_lines(ics.build_calendar([event_for(summer), event_for(winter)]))
    assert "DTSTART;TZID=Europe/Oslo:20310618T090000" in lines
    assert "DTEND;TZID=Europe/Oslo:20310618T140000" in lines
    assert "DTSTART;TZID=Europe/Oslo:20310108T100000" in lines
    assert "DTEND;TZID=Europe/Oslo:20310108T120000" in lines


def test_a_meeting_without_end_lasts_the_default_duration():
    meeting = make_meeting(ends_at=None)
    event = event_for(meeting)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == ics.DEFAULT_DURATION
    assert event.decoded("DTEND") == dt.datetime(2031, 3, 12, 12, 0, tzinfo=OSLO)


def test_a_meeting_without_start_has_no_event():
    with pytest.raises(ValueError, match="without a start"):
        event_for(make_meeting(starts_at=None, ends_at=None, status=Meeting.Status.TENTATIVE))


def test_a_cancelled_meeting_is_cancelled_and_says_so():
    event = event_for(make_meeting(status=Meeting.Status.CANCELLED))
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["DESCRIPTION"]).startswith("This meeting has been cancelled.\n\nTheme:")


def person_event(meeting, registration_status, *, language="en", sequence_offset=0):
    with translation.override(language):
        return ics.meeting_event(
            meeting,
            stamp=UPDATED,
            registration_status=registration_status,
            sequence_offset=sequence_offset,
        )


def test_a_persons_confirmed_entry_is_the_ordinary_one_with_their_sequence():
    meeting = make_meeting(sequence=3)
    event = person_event(meeting, Registration.Status.CONFIRMED, sequence_offset=2)
    ordinary = event_for(meeting)
    assert event.decoded("SEQUENCE") == 5
    for name in ("UID", "SUMMARY", "DESCRIPTION", "STATUS", "DTSTART", "DTEND", "LOCATION"):
        assert event[name] == ordinary[name]
    assert "X-MICROSOFT-CDO-BUSYSTATUS" not in event


@pytest.mark.parametrize(
    ("language", "summary"),
    [
        ("en", "Oppstartsmøte (waiting list)"),
        ("nn", "Oppstartsmøte (venteliste)"),
        ("nb", "Oppstartsmøte (venteliste)"),
    ],
)
def test_on_the_waiting_list_the_entry_is_tentative(language, summary):
    event = person_event(make_meeting(), Registration.Status.WAITLISTED, language=language)
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["SUMMARY"]) == summary
    assert str(event["X-MICROSOFT-CDO-BUSYSTATUS"]) == "TENTATIVE"
    assert str(event["TRANSP"]) == "OPAQUE"


def test_a_cancelled_registration_gives_a_cancelled_entry_that_says_so():
    event = person_event(make_meeting(), Registration.Status.CANCELLED, sequence_offset=4)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]) == "Oppstartsmøte"
    assert str(event["DESCRIPTION"]).startswith(
        "Your registration for this meeting has been cancelled.\n\nTheme:"
    )
    assert event.decoded("SEQUENCE") == 7


@pytest.mark.parametrize(
    "registration_status", [None, *Registration.Status.values], ids=lambda s: str(s)
)
def test_a_cancelled_meeting_is_cancelled_for_everyone(registration_status):
    event = person_event(make_meeting(status=Meeting.Status.CANCELLED), registration_status)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["DESCRIPTION"]).startswith("This meeting has been cancelled.\n\nTheme:")


@pytest.mark.parametrize(
    ("venue_name", "venue_address", "expected"),
    [
        ("Fylkeshuset", "", "Fylkeshuset"),
        ("", "Askedalen 2, Leikanger", "Askedalen 2, Leikanger"),
        ("Fylkeshuset", "Askedalen 2, Leikanger", "Fylkeshuset, Askedalen 2, Leikanger"),
    ],
)
def test_location_joins_venue_and_street_address(venue_name, venue_address, expected):
    event = event_for(make_meeting(venue_name=venue_name, venue_address=venue_address))
    assert str(event["LOCATION"]) == expected


def test_a_meeting_without_a_place_has_no_location():
    event = event_for(make_meeting(venue_name="", venue_address=""))
    assert "LOCATION" not in event


def test_description_of_a_bare_meeting_is_just_its_url():
    event = event_for(make_meeting(theme="", description=""))
    assert str(event["DESCRIPTION"]) == SITE_URL + "/meetings/oppstartsmote-2031/"


def test_event_texts_follow_the_language_given():
    nynorsk = event_for(make_meeting(), language="nn", agenda_items=agenda("Velkomen"))
    english = event_for(make_meeting(), language="en", agenda_items=agenda("Velkomen"))
    assert str(nynorsk["DESCRIPTION"]).startswith("Tema: Grøn omstilling")
    assert "Program:\n- Velkomen" in str(nynorsk["DESCRIPTION"])
    assert nynorsk["CATEGORIES"].cats == ["Oppstartsmøte"]
    assert str(english["DESCRIPTION"]).startswith("Theme: Grøn omstilling")
    assert english["CATEGORIES"].cats == ["Kickoff"]


def test_control_characters_are_removed_from_every_text():
    meeting = make_meeting(
        title="Møte\x07\x00",
        theme="Tema\x1b",
        description="Skildring\x0b",
        venue_name="Fylkes\x7fhuset",
        venue_address="Askedalen\x08 2",
    )
    body = ics.build_calendar([event_for(meeting, agenda_items=agenda("Punkt\x01"))])
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", body)
    event = parsed_events(body)[ics.meeting_uid(meeting)]
    assert str(event["SUMMARY"]) == "Møte"
    assert str(event["LOCATION"]) == "Fylkeshuset, Askedalen 2"
    assert "- Punkt\n" in str(event["DESCRIPTION"])


# --- deadline_event -----------------------------------------------------------------------


def test_deadline_event_is_a_short_marker_ending_at_the_deadline():
    meeting = make_meeting()
    with translation.override("en"):
        event = ics.deadline_event(meeting, stamp=UPDATED)
    assert str(event["UID"]) == "meeting-41-deadline@kommunenettverk.example.no"
    assert event.decoded("DTEND") == dt.datetime(2031, 3, 5, 12, 0, tzinfo=OSLO)
    assert event.decoded("DTSTART") == dt.datetime(2031, 3, 5, 11, 45, tzinfo=OSLO)
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert str(event["SUMMARY"]) == "Registration deadline: Oppstartsmøte"
    assert str(event["DESCRIPTION"]) == (
        "Registration for Oppstartsmøte closes 5 March 2031, 12:00.\n"
        + SITE_URL
        + "/meetings/oppstartsmote-2031/"
    )
    assert str(event["URL"]) == SITE_URL + "/meetings/oppstartsmote-2031/"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("DTSTAMP") == UPDATED


# --- build_calendar -----------------------------------------------------------------------


def test_calendar_header_is_a_publication():
    lines = content_lines(ics.build_calendar([event_for(make_meeting())], name="Møte"))
    assert lines[:5] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kommunenettverket//Network portal 1.0//NN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    assert "X-WR-CALNAME:Møte" in lines
    assert "X-WR-TIMEZONE:Europe/Oslo" in lines
    assert lines[-2:] == ["END:VCALENDAR", ""]


def test_feed_refresh_properties_are_durations():
    lines = content_lines(ics.build_calendar([], name="Feed", refresh=dt.timedelta(hours=1)))
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    # X-PUBLISHED-TTL is read as an RFC 5545 duration by Outlook and others, like
    # REFRESH-INTERVAL; "1:00:00" (Python's str of a timedelta) means nothing to them.
    assert "X-PUBLISHED-TTL:PT1H" in lines


def test_download_calendars_have_no_refresh_properties():
    body = ics.build_calendar([event_for(make_meeting())], name="Møte")
    assert b"REFRESH-INTERVAL" not in body
    assert b"X-PUBLISHED-TTL" not in body


def test_every_tzid_has_a_vtimezone_which_covers_the_events():
    summer = make_meeting(
        pk=1,
        starts_at=dt.datetime(2031, 6, 18, 9, 0, tzinfo=OSLO),
        ends_at=dt.datetime(2031, 6, 18, 14, 0, tzinfo=OSLO),
    )
    winter = make_meeting(pk=2, starts_at=dt.datetime(2031, 1, 8, 10, 0, tzinfo=OSLO), ends_at=None)
    with translation.override("en"):
        events = [event_for(summer), event_for(winter), ics.deadline_event(summer, stamp=UPDATED)]
    body = ics.build_calendar(events, name="Feed")
    text = body.decode()
    used = set(re.findall(r";TZID=([^:;]+)[:;]", text))
    defined = set(re.findall(r"\r\nTZID:([^\r]+)\r\n", text))
    assert used == {"Europe/Oslo"}
    assert defined == used
    assert text.count("BEGIN:VTIMEZONE") == 1
    # vobject builds its time zones from the VTIMEZONE alone, so the offsets prove it right.
    parsed = vobject.readOne(text)
    offsets = {event.uid.value: event.dtstart.value.utcoffset() for event in parsed.vevent_list}
    assert offsets == {
        ics.meeting_uid(summer): dt.timedelta(hours=2),
        ics.meeting_uid(winter): dt.timedelta(hours=1),
        ics.deadline_uid(summer): dt.timedelta(hours=1),
    }


def test_a_calendar_without_events_still_has_a_component():
    # RFC 5545 3.6: a calendar holds at least one component; an empty feed has its zone.
    body = ics.build_calendar([], name="Tom")
    calendar = icalendar.Calendar.from_ical(body)
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert b"VEVENT" not in body


def test_calendar_name_is_text_escaped():
    # RFC 5545 3.8.8.2: X- properties are TEXT by default, so "," ";" "\" and newlines in
    # a name must be escaped as in SUMMARY.
    name = "Oppstart, Bergen; dag 1 \\ 2"
    body = ics.build_calendar([event_for(make_meeting())], name=name)
    assert "X-WR-CALNAME:Oppstart\\, Bergen\\; dag 1 \\\\ 2" in content_lines(body)
    assert vobject.readOne(body.decode()).x_wr_calname.value == name


def test_a_newline_in_the_calendar_name_is_escaped_not_fatal():
    body = ics.build_calendar([event_for(make_meeting())], name="Oppstart\nBergen")
    assert "X-WR-CALNAME:Oppstart\\nBergen" in content_lines(body)


def test_long_texts_fold_at_75_octets_and_unfold_to_the_original():
    title = "Møte om grøn omstilling, æøå; 😀 " * 12
    meeting = make_meeting(title=title, description="Linje ein\nLinje to " + "ÆØÅ" * 80)
    body = ics.build_calendar([event_for(meeting)])
    physical = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in physical)
    assert any(len(line) > 70 for line in physical)
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    event = parsed_events(body)[ics.meeting_uid(meeting)]
    assert str(event["SUMMARY"]) == title
    assert str(event["DESCRIPTION"]).startswith("Theme: Grøn omstilling\n\nLinje ein\nLinje to ÆØÅ")


# --- meeting_calendar and feed_calendar ---------------------------------------------------


def test_meeting_calendar_holds_one_event_with_the_agenda(meeting_factory, agenda_item_factory):
    meeting = meeting_factory(title="Søknadsverkstad", theme="")
    agenda_item_factory(meeting=meeting, order=2, title="Budsjett")
    agenda_item_factory(meeting=meeting, order=1, title="Partnarsøk")
    body = ics.meeting_calendar(meeting, language="en", stamp=meeting.updated_at)
    events = parsed_events(body)
    assert list(events) == [ics.meeting_uid(meeting)]
    assert "Agenda:\n- Partnarsøk\n- Budsjett" in str(
        events[ics.meeting_uid(meeting)]["DESCRIPTION"]
    )
    assert "X-WR-CALNAME:Søknadsverkstad" in content_lines(body)


def test_builders_leave_the_active_language_alone(meeting_factory):
    meeting = meeting_factory()
    with translation.override("en"):
        ics.meeting_calendar(meeting, language="nn", stamp=meeting.updated_at)
        ics.feed_calendar([meeting], name="x", language="nb", stamp=meeting.updated_at)
        assert translation.get_language() == "en"


def test_feed_calendar_skips_undated_meetings(meeting_factory):
    dated = meeting_factory()
    undated = meeting_factory(tentative=True)
    body = ics.feed_calendar([dated, undated], name="Feed", language="en", stamp=dated.updated_at)
    assert list(parsed_events(body)) == [ics.meeting_uid(dated)]


def test_feed_deadlines_only_for_upcoming_open_meetings(meeting_factory):
    now = dt.datetime(2031, 1, 1, 12, 0, tzinfo=OSLO)
    upcoming = meeting_factory(starts_at=now + dt.timedelta(days=20))
    past = meeting_factory(starts_at=now - dt.timedelta(days=20), status=Meeting.Status.HELD)
    no_deadline = meeting_factory(starts_at=now + dt.timedelta(days=30), registration_deadline=None)
    cancelled = meeting_factory(
        starts_at=now + dt.timedelta(days=40), status=Meeting.Status.CANCELLED
    )
    meetings = [upcoming, past, no_deadline, cancelled]
    with_deadlines = ics.feed_calendar(
        meetings, name="Feed", language="en", stamp=UPDATED, deadlines_after=now
    )
    without = ics.feed_calendar(meetings, name="Feed", language="en", stamp=UPDATED)
    meeting_uids = {ics.meeting_uid(m) for m in meetings}
    assert set(parsed_events(with_deadlines)) == meeting_uids | {ics.deadline_uid(upcoming)}
    assert set(parsed_events(without)) == meeting_uids


def test_feed_calendar_uses_one_stamp_for_every_event(meeting_factory):
    meetings = [meeting_factory(), meeting_factory()]
    body = ics.feed_calendar(
        meetings,
        name="Feed",
        language="en",
        stamp=UPDATED,
        deadlines_after=meetings[0].starts_at - dt.timedelta(days=10),
    )
    stamps = {event.decoded("DTSTAMP") for event in parsed_events(body).values()}
    assert stamps == {UPDATED}
    assert body.count(b"DTSTAMP:") == 4


def test_meeting_filename_is_the_slug():
    assert ics.meeting_filename(make_meeting(slug="oppstart-2031")) == "oppstart-2031.ics"
