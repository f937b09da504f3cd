"""Every kind of calendar output the portal produces, checked by two independent strict parsers
(`ical` and `vobject`), read back with `icalendar`, checked line by line against RFC 5545, and
pinned byte for byte by golden files.

Golden files live in tests/meetings/golden/. They hold the output as it should be, not merely
as it is. After an intended change to the output, rewrite them and review the diff before
committing:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/meetings/test_ics_validation.py -k golden
"""

import datetime as dt
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.core import mail
from django.urls import reverse
from django.utils import translation
from ical.calendar_stream import IcsCalendarStream
from ical.event import EventStatus

from meetings import emails, ics, services
from meetings.models import Meeting, Registration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_vobject_time_zones")]

OSLO = ZoneInfo("Europe/Oslo")
SITE_URL = "https://kommunenettverk.example.no"
GOLDEN = Path(__file__).parent / "golden"

# PostgreSQL cannot store NUL, so the stored texts carry other controls; NUL is tried on a
# meeting held in memory ("in-memory-nul" below).
NASTY_TITLE = "Møte, planlegging; «EU» & <b>ÆØÅ</b> 😀🇳🇴 \x07bjølle\x01 – \\slutt"
NASTY_THEME = "Tema; med, teikn \\ og \x1bescape"
NASTY_DESCRIPTION = (
    "Første linje\n"
    "Andre linje, med komma; og semikolon\r\n"
    "Tredje linje etter CRLF\r"
    "Fjerde linje etter CR\n"
    "\n"
    "\tInnrykk med tabulator\x0b og vertikal tabulator\n"
    + "Lang tekst med æøå og emoji 😀 og meir, "
    * 8
)
NASTY_VENUE = "Kulturhuset «Ælvespeilet», sal 2; inngang B"
NASTY_ADDRESS = "Storgata 1,\n2000 Lillestrøm"
NASTY_AGENDA = ["Velkomen, kaffi; frukt", "Erfaringar 😀\nfrå prosjekt\x7f"]


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def download_url(meeting) -> str:
    return reverse("meetings:calendar", kwargs={"slug": meeting.slug})


def feed_url(person) -> str:
    return reverse("personal_feed", kwargs={"token": person.calendar_token})


def register_with_confirmation(meeting, person, capture) -> bytes:
    """Register through the service and return the .ics of the confirmation e-mail."""
    with capture(execute=True):
        services.registration_create(
            meeting=meeting, person=person, actor=person, answers=services.RegistrationAnswers()
        )
    (attachment,) = (
        a for a in mail.outbox[-1].attachments if a.mimetype.startswith("text/calendar")
    )
    return attachment.content.encode()


@pytest.fixture
def network(meeting_factory, agenda_item_factory, contact_person_factory, registration_factory):
    """A scheduled meeting with an agenda, a cancelled one, one full of awkward text, and a
    tentative one; Nina (Nynorsk) and Edward (English) are registered."""
    scheduled = meeting_factory(
        title="Oppstartsmøte", online_url="https://video.example.org/oppstart"
    )
    agenda_item_factory(meeting=scheduled, title="Velkomen")
    agenda_item_factory(meeting=scheduled, title="Erfaringar frå Interreg")
    cancelled = meeting_factory(title="Avlyst samling", status=Meeting.Status.CANCELLED)
    nasty = meeting_factory(
        title=NASTY_TITLE,
        theme=NASTY_THEME,
        description=NASTY_DESCRIPTION,
        venue_name=NASTY_VENUE,
        venue_address=NASTY_ADDRESS,
        online_url="https://video.example.org/rom?id=1,2;3",
        ends_at=None,
    )
    for order, title in enumerate(NASTY_AGENDA):
        agenda_item_factory(meeting=nasty, order=order, title=title)
    meeting_factory(tentative=True)
    nina = contact_person_factory(name="Nina Nordbø", preferred_language="nn")
    edward = contact_person_factory(name="Edward Hill", preferred_language="en")
    for meeting in (scheduled, cancelled, nasty):
        registration_factory(meeting=meeting, contact_person=nina)
    return {
        "scheduled": scheduled,
        "cancelled": cancelled,
        "nasty": nasty,
        "nina": nina,
        "edward": edward,
    }


def _change_attachment(network, capture, cancel: bool) -> bytes:
    meeting = Meeting.objects.get(pk=network["scheduled"].pk)
    if cancel:
        meeting.status = Meeting.Status.CANCELLED
    else:
        meeting.starts_at += dt.timedelta(hours=1)
        meeting.ends_at += dt.timedelta(hours=1)
    with capture(execute=True):
        services.meeting_save(meeting=meeting)
    (message,) = mail.outbox
    (attachment,) = (a for a in message.attachments if a.mimetype.startswith("text/calendar"))
    return attachment.content.encode()


def _in_memory_with_nul(network) -> bytes:
    """The awkward meeting again, not saved, with NUL characters in every text."""
    stored = network["nasty"]
    meeting = Meeting(
        pk=stored.pk,
        calendar_uid=stored.calendar_uid,
        series=stored.series,
        kind=stored.kind,
        title=stored.title + "\x00",
        slug=stored.slug,
        theme="\x00" + stored.theme,
        description=stored.description.replace("\n", "\x00\n"),
        status=stored.status,
        starts_at=stored.starts_at,
        registration_deadline=stored.registration_deadline,
        venue_name=stored.venue_name + "\x00",
        venue_address=stored.venue_address,
        online_url=stored.online_url,
        sequence=stored.sequence,
        updated_at=stored.updated_at,
    )
    agenda = list(stored.agenda_items.order_by("order"))
    for item in agenda:
        item.title += "\x00"
    with translation.override("nn"):
        events = [
            # A registrant's entry, the kind that carries the online link.
            ics.meeting_event(
                meeting,
                stamp=meeting.updated_at,
                agenda_items=agenda,
                registration_status=Registration.Status.CONFIRMED,
            ),
            ics.deadline_event(meeting, stamp=meeting.updated_at),
        ]
        return ics.build_calendar(events, name="Awkward\x00", refresh=ics.REFRESH_INTERVAL)


def _waitlisted_attachment(network, capture) -> bytes:
    """Edward's e-mail when the scheduled meeting is full: a TENTATIVE entry."""
    Meeting.objects.filter(pk=network["scheduled"].pk).update(capacity=0)
    return register_with_confirmation(network["scheduled"], network["edward"], capture)


def _registration_cancellation_attachment(network, capture) -> bytes:
    """Edward registers for the awkward meeting and cancels: the cancellation's entry."""
    register_with_confirmation(network["nasty"], network["edward"], capture)
    registration = Registration.objects.get(
        meeting=network["nasty"], contact_person=network["edward"]
    )
    with capture(execute=True):
        services.registration_cancel(registration=registration, actor=network["edward"])
    (attachment,) = (
        a for a in mail.outbox[-1].attachments if a.mimetype.startswith("text/calendar")
    )
    return attachment.content.encode()


def _feed_with_waiting_list_and_cancellation(client, network, capture) -> bytes:
    """Edward's feed of all meetings: waitlisted for one, cancelled for another."""
    _waitlisted_attachment(network, capture)
    _registration_cancellation_attachment(network, capture)
    edward = network["edward"]
    edward.calendar_includes_all = True
    edward.save()
    return client.get(feed_url(edward)).content


OUTPUTS = {
    "download": lambda c, n, cap: c.get(download_url(n["scheduled"])).content,
    "download-cancelled": lambda c, n, cap: c.get(download_url(n["cancelled"])).content,
    "download-nasty": lambda c, n, cap: c.get(download_url(n["nasty"])).content,
    "network-feed": lambda c, n, cap: c.get(reverse("network_feed")).content,
    "personal-feed": lambda c, n, cap: c.get(feed_url(n["nina"])).content,
    "confirmation-attachment": lambda c, n, cap: register_with_confirmation(
        n["scheduled"], n["edward"], cap
    ),
    "confirmation-attachment-nasty": lambda c, n, cap: register_with_confirmation(
        n["nasty"], n["edward"], cap
    ),
    "moved-attachment": lambda c, n, cap: _change_attachment(n, cap, cancel=False),
    "cancellation-attachment": lambda c, n, cap: _change_attachment(n, cap, cancel=True),
    "in-memory-nul": lambda c, n, cap: _in_memory_with_nul(n),
    "waitlisted-attachment": lambda c, n, cap: _waitlisted_attachment(n, cap),
    "registration-cancellation-attachment": lambda c, n, cap: _registration_cancellation_attachment(
        n, cap
    ),
    "personal-feed-waiting-list": lambda c, n, cap: _feed_with_waiting_list_and_cancellation(
        c, n, cap
    ),
}

# Whose entries each personal output holds: they carry the person's status and SEQUENCE.
PERSONAL_FEEDS = {"personal-feed": "nina", "personal-feed-waiting-list": "edward"}
PERSONAL_ATTACHMENTS = {
    "confirmation-attachment": "edward",
    "confirmation-attachment-nasty": "edward",
    "moved-attachment": "nina",
    "cancellation-attachment": "nina",
    "waitlisted-attachment": "edward",
    "registration-cancellation-attachment": "edward",
}


@pytest.fixture(params=list(OUTPUTS))
def output_name(request) -> str:
    return request.param


@pytest.fixture
def output(output_name, client, network, django_capture_on_commit_callbacks) -> bytes:
    body = OUTPUTS[output_name](client, network, django_capture_on_commit_callbacks)
    assert body.startswith(b"BEGIN:VCALENDAR\r\n"), body[:200]
    return body


@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        ("waitlisted-attachment", {"TENTATIVE"}),
        ("registration-cancellation-attachment", {"CANCELLED"}),
        # Waitlisted for one, cancelled another (an ordinary meeting again), and a meeting
        # the county cancelled.
        ("personal-feed-waiting-list", {"TENTATIVE", "CONFIRMED", "CANCELLED"}),
    ],
)
def test_the_person_outputs_hold_tentative_and_cancelled_entries(
    client, network, django_capture_on_commit_callbacks, ics_events, name, statuses
):
    body = OUTPUTS[name](client, network, django_capture_on_commit_callbacks)
    assert {str(event["STATUS"]) for event in ics_events(body).values()} == statuses


def vevent_count(body: bytes) -> int:
    return body.count(b"\r\nBEGIN:VEVENT\r\n")


# --- Two strict parsers ---------------------------------------------------------------------


def test_ical_parses_every_output_strictly(output):
    calendar = IcsCalendarStream.calendar_from_ics(output.decode())
    assert calendar.method == "PUBLISH"
    assert calendar.version == "2.0"
    assert calendar.prodid == ics.PRODID
    assert len(calendar.events) == vevent_count(output) > 0
    uids = {ics.meeting_uid(m) for m in Meeting.objects.all()}
    uids |= {ics.deadline_uid(m) for m in Meeting.objects.all()}
    for event in calendar.events:
        assert event.uid in uids
        assert event.dtstamp.tzinfo is not None
        assert event.dtstart.tzinfo is not None
        assert event.end > event.start
        assert event.status in {EventStatus.CONFIRMED, EventStatus.TENTATIVE, EventStatus.CANCELLED}
        assert event.sequence is not None
        assert event.last_modified is not None
        assert str(event.url).startswith(SITE_URL + "/meetings/")
    assert [tz.tz_id for tz in calendar.timezones] == ["Europe/Oslo"]


def test_vobject_parses_and_validates_every_output(output, ics_events):
    (calendar,) = list(vobject.readComponents(output.decode(), validate=True))
    assert calendar.validate(raiseException=True)
    reserialised = calendar.serialize()
    again = vobject.readOne(reserialised, validate=True)
    expected = ics_events(output)
    assert {event.uid.value for event in again.vevent_list} == set(expected)
    for event in calendar.vevent_list:
        reference = expected[event.uid.value]
        # vobject builds Europe/Oslo from the file's own VTIMEZONE.
        assert event.dtstart.value == reference.decoded("DTSTART")
        assert event.dtstart.value.utcoffset() == reference.decoded("DTSTART").utcoffset()
        assert event.dtend.value == reference.decoded("DTEND")
        assert event.summary.value == str(reference["SUMMARY"])
        assert event.description.value == str(reference["DESCRIPTION"])
        assert int(event.sequence.value) == reference.decoded("SEQUENCE")


def expected_for_person(output_name, network, meeting) -> tuple[str | None, int]:
    """The registration status an entry of this output shows for the meeting, and what its
    SEQUENCE adds to the meeting's: (None, 0) for entries meant for everyone."""
    if output_name in PERSONAL_FEEDS:
        person, feed = network[PERSONAL_FEEDS[output_name]], True
    elif output_name in PERSONAL_ATTACHMENTS:
        person, feed = network[PERSONAL_ATTACHMENTS[output_name]], False
    else:
        return None, 0
    rows = Registration.objects.filter(meeting=meeting, contact_person=person)
    latest = (rows.active() if feed else rows).order_by("pk").last()
    return (latest.status if latest else None), sum(r.calendar_sequence for r in rows)


def test_icalendar_reads_back_the_fields_of_every_meeting(output, output_name, network, ics_events):
    events = ics_events(output)
    meetings = {ics.meeting_uid(m): m for m in Meeting.objects.all()}
    deadlines = {ics.deadline_uid(m): m for m in Meeting.objects.all()}
    assert set(events) <= set(meetings) | set(deadlines)
    for uid, event in events.items():
        for name in ("DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "URL", "STATUS"):
            assert name in event, (uid, name)
        assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
        assert event["DTEND"].params["TZID"] == "Europe/Oslo"
        if uid in deadlines:
            meeting = deadlines[uid]
            assert event.decoded("DTEND") == meeting.registration_deadline
            continue
        meeting = meetings[uid]
        registration_status, sequence_offset = expected_for_person(output_name, network, meeting)
        if registration_status == Registration.Status.WAITLISTED:
            assert str(event["SUMMARY"]).startswith(ics.clean_text(meeting.title) + " (")
        else:
            assert str(event["SUMMARY"]) == ics.clean_text(meeting.title)
        assert event.decoded("DTSTART") == meeting.starts_at
        assert event.decoded("DTEND") == (
            meeting.ends_at or meeting.starts_at + ics.DEFAULT_DURATION
        )
        assert str(event["LOCATION"]) == ics.clean_text(ics.meeting_location(meeting))
        assert str(event["URL"]) == SITE_URL + meeting.get_absolute_url()
        if meeting.is_cancelled or registration_status == Registration.Status.CANCELLED:
            assert str(event["STATUS"]) == "CANCELLED"
        elif registration_status == Registration.Status.WAITLISTED:
            assert str(event["STATUS"]) == "TENTATIVE"
        else:
            assert str(event["STATUS"]) == "CONFIRMED"
        assert event.decoded("SEQUENCE") == meeting.sequence + sequence_offset
        assert event.decoded("LAST-MODIFIED") == meeting.updated_at.replace(microsecond=0)
        assert len(event["CATEGORIES"].cats) == 1
        assert str(event["DESCRIPTION"]).endswith(SITE_URL + meeting.get_absolute_url())


# --- RFC 5545 line by line ------------------------------------------------------------------


def test_every_line_is_folded_to_75_octets_with_crlf(output):
    assert output.endswith(b"\r\n")
    physical = output[: -len(b"\r\n")].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, line
        assert b"\n" not in line and b"\r" not in line, line
        assert line, "empty content line"
    assert not physical[0].startswith(b" ")
    # A continuation is the fold's single space plus content, never a bare space.
    assert all(line != b" " for line in physical)
    output.decode("utf-8")


def test_no_control_characters_reach_the_file(output):
    assert not re.search(rb"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]", output)


def test_every_tzid_has_its_vtimezone(output):
    text = output.decode()
    used = set(re.findall(r";TZID=([^:;]+)[:;]", text))
    defined = re.findall(r"\r\nTZID:([^\r]+)\r\n", text)
    assert used == {"Europe/Oslo"}
    assert sorted(defined) == sorted(set(defined)) == sorted(used)


def test_calendar_header_and_one_method(output):
    lines = output.decode().replace("\r\n ", "").split("\r\n")
    assert lines[:5] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:" + ics.PRODID,
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    assert sum(line.startswith("METHOD") for line in lines) == 1
    assert "X-WR-TIMEZONE:Europe/Oslo" in lines


# --- The awkward texts ----------------------------------------------------------------------


@pytest.fixture(params=["download", "personal-feed", "attachment", "in-memory-nul"])
def nasty_body(request, client, network, django_capture_on_commit_callbacks) -> bytes:
    nasty = network["nasty"]
    if request.param == "in-memory-nul":
        return _in_memory_with_nul(network)
    if request.param == "download":
        return client.get(download_url(nasty)).content
    if request.param == "personal-feed":
        return client.get(feed_url(network["nina"])).content
    return register_with_confirmation(nasty, network["edward"], django_capture_on_commit_callbacks)


def test_awkward_texts_survive_all_three_parsers(request, nasty_body, network, ics_events):
    # The public download has no online link; the registrant's entries carry it.
    with_online_link = request.node.callspec.params["nasty_body"] != "download"
    nasty = network["nasty"]
    uid = ics.meeting_uid(nasty)
    title = "Møte, planlegging; «EU» & <b>ÆØÅ</b> 😀🇳🇴 bjølle – \\slutt"
    location = "Kulturhuset «Ælvespeilet», sal 2; inngang B, Storgata 1,\n2000 Lillestrøm"

    by_icalendar = ics_events(nasty_body)[uid]
    (by_ical,) = (
        e for e in IcsCalendarStream.calendar_from_ics(nasty_body.decode()).events if e.uid == uid
    )
    (by_vobject,) = (
        e for e in vobject.readOne(nasty_body.decode()).vevent_list if e.uid.value == uid
    )
    for summary, place, description in (
        (
            str(by_icalendar["SUMMARY"]),
            str(by_icalendar["LOCATION"]),
            str(by_icalendar["DESCRIPTION"]),
        ),
        (by_ical.summary, by_ical.location, by_ical.description),
        (by_vobject.summary.value, by_vobject.location.value, by_vobject.description.value),
    ):
        assert summary == title
        assert place == location
        lines = description.split("\n")
        assert "Tema; med, teikn \\ og escape" in description
        for expected in (
            "Første linje",
            "Andre linje, med komma; og semikolon",
            "Tredje linje etter CRLF",
            "Fjerde linje etter CR",
            "\tInnrykk med tabulator og vertikal tabulator",
            "- Velkomen, kaffi; frukt",
            "- Erfaringar 😀",
            "frå prosjekt",
        ):
            assert expected in lines, expected
        assert ("https://video.example.org/rom?id=1,2;3" in description) is with_online_link


def test_awkward_texts_are_escaped_in_the_raw_file(client, network):
    body = client.get(download_url(network["nasty"])).content.decode()
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:Møte\\, planlegging\\; «EU» & <b>ÆØÅ</b> 😀🇳🇴 bjølle – \\\\slutt" in unfolded
    assert "LOCATION:Kulturhuset «Ælvespeilet»\\, sal 2\\; inngang B\\, Storgata 1\\,\\n2000" in (
        unfolded
    )
    assert "\\nAndre linje\\, med komma\\; og semikolon\\nTredje linje etter CRLF\\nFjerde" in (
        unfolded
    )


def test_calendar_name_of_an_awkward_title_round_trips(client, network):
    # The download names the calendar after the meeting; X-WR-CALNAME is TEXT, so its commas
    # and semicolons must be escaped like those of SUMMARY, or readers cut the name short.
    body = client.get(download_url(network["nasty"])).content.decode()
    assert vobject.readOne(body).x_wr_calname.value == ics.clean_text(NASTY_TITLE)


def test_a_title_with_a_line_break_does_not_break_the_download(client, meeting_factory):
    # Titles are single-line in the admin form, but nothing stops a pasted or imported line
    # break, and the calendar must survive it like every other text.
    meeting = meeting_factory(title="Oppstartsmøte\r\nBergen")
    response = client.get(download_url(meeting))
    assert response.status_code == 200
    calendar = IcsCalendarStream.calendar_from_ics(response.content.decode())
    assert calendar.events[0].summary == "Oppstartsmøte\nBergen"


def test_a_title_with_a_line_break_does_not_stop_the_confirmation_e_mail(
    meeting_factory, contact_person_factory, django_capture_on_commit_callbacks
):
    meeting = meeting_factory(title="Oppstartsmøte\nBergen")
    person = contact_person_factory()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(
            meeting=meeting, person=person, actor=person, answers=services.RegistrationAnswers()
        )
    assert [m.to for m in mail.outbox] == [[person.email]]


# --- Golden files ---------------------------------------------------------------------------


def assert_golden(name: str, body: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to write it"
    expected = path.read_bytes()
    # Line lists first, for a readable diff; then the bytes, which is what counts.
    assert body.decode().split("\r\n") == expected.decode().split("\r\n")
    assert body == expected


@pytest.fixture
def fixed_meetings(meeting_series_factory, meeting_factory, agenda_item_factory):
    """Meetings with every value fixed, primary keys and timestamps included, so the files are
    the same on any database and on any day."""
    series = meeting_series_factory(name="Kommunenettverket", year=2031)
    # The kickoff was made after UIDs were stored; the others carry the UID the migration
    # gave meetings made before.
    kickoff = meeting_factory(
        pk=4101,
        calendar_uid="0b7f3c2e-5d1a-4e8b-9c6f-2a4d8e1f4101",
        series=series,
        kind=Meeting.Kind.KICKOFF,
        title="Oppstartsmøte for kommunenettverket",
        slug="oppstartsmote-2031",
        theme="Grøn omstilling i små kommunar",
        description=(
            "Velkomen til oppstart av nettverksåret.\n"
            "Ta med idear; vi set av tid til spørsmål, innspel og kaffi."
        ),
        status=Meeting.Status.SCHEDULED,
        starts_at=dt.datetime(2031, 3, 12, 10, 0, tzinfo=OSLO),
        ends_at=dt.datetime(2031, 3, 12, 15, 30, tzinfo=OSLO),
        registration_deadline=dt.datetime(2031, 3, 5, 12, 0, tzinfo=OSLO),
        venue_name="Fylkeshuset",
        venue_address="Askedalen 2, 6863 Leikanger",
        online_url="https://video.example.org/oppstart",
    )
    for order, title in enumerate(
        ["Velkomen", "Erfaringar frå Interreg-prosjekt", "Lunsj", "Søknadsfristar 2031"]
    ):
        agenda_item_factory(meeting=kickoff, order=order, title=title)
    cancelled = meeting_factory(
        pk=4102,
        calendar_uid="meeting-4102@kommunenettverk.example.no",
        series=series,
        kind=Meeting.Kind.APPLICATION_WORKSHOP,
        title="Søknadsverkstad Horisont Europa",
        slug="soknadsverkstad-juni-2031",
        theme="",
        status=Meeting.Status.CANCELLED,
        starts_at=dt.datetime(2031, 6, 18, 9, 0, tzinfo=OSLO),
        ends_at=dt.datetime(2031, 6, 18, 14, 0, tzinfo=OSLO),
        registration_deadline=dt.datetime(2031, 6, 11, 23, 59, tzinfo=OSLO),
        venue_name="Bergen rådhus",
        venue_address="",
    )
    held = meeting_factory(
        pk=4103,
        calendar_uid="meeting-4103@kommunenettverk.example.no",
        series=series,
        kind=Meeting.Kind.OTHER,
        title="Haustsamling",
        slug="haustsamling-2025",
        theme="Partnarsøk",
        status=Meeting.Status.HELD,
        starts_at=dt.datetime(2025, 10, 2, 12, 0, tzinfo=OSLO),
        ends_at=None,
        registration_deadline=None,
        venue_name="",
        venue_address="Strandkaien 2, Bergen",
    )
    meeting_factory(
        pk=4104,
        calendar_uid="meeting-4104@kommunenettverk.example.no",
        series=series,
        title="Sommarmøte",
        slug="sommarmote-2031",
        tentative=True,
    )
    stamps = {
        kickoff: (2, dt.datetime(2030, 11, 20, 8, 15, 0, tzinfo=dt.UTC)),
        cancelled: (3, dt.datetime(2030, 12, 1, 10, 0, 0, tzinfo=dt.UTC)),
        held: (1, dt.datetime(2025, 10, 3, 7, 30, 0, tzinfo=dt.UTC)),
    }
    # auto_now overrides updated_at on save(), so the fixed values go in with update().
    for meeting, (sequence, updated_at) in stamps.items():
        Meeting.objects.filter(pk=meeting.pk).update(sequence=sequence, updated_at=updated_at)
        meeting.refresh_from_db()
    return {"kickoff": kickoff, "cancelled": cancelled, "held": held}


RUNNER_LANGUAGES = ["nn", "nb", "en"]


@pytest.mark.parametrize("runner_language", RUNNER_LANGUAGES)
def test_golden_meeting_download(client, fixed_meetings, runner_language):
    with translation.override(runner_language):
        body = client.get(download_url(fixed_meetings["kickoff"])).content
    assert_golden("meeting.ics", body)


@pytest.mark.parametrize("runner_language", RUNNER_LANGUAGES)
def test_golden_meeting_download_and_the_nynorsk_e_mail_attachment(
    fixed_meetings, registration_factory, contact_person_factory, runner_language
):
    kickoff = fixed_meetings["kickoff"]
    person = contact_person_factory(preferred_language="nn")
    registration = registration_factory(meeting=kickoff, contact_person=person)
    with translation.override(runner_language):
        pure = ics.meeting_calendar(kickoff, language="nn", stamp=kickoff.updated_at)
        message = emails.build_registration_email(
            Registration.objects.select_related("meeting__series", "contact_person")
            .with_waitlist_position()
            .with_calendar_sequence()
            .get(pk=registration.pk),
            "confirmed",
        )
    (attachment,) = message.attachments
    assert attachment.filename == "oppstartsmote-2031.ics"
    assert_golden("meeting.ics", pure)
    # The registrant's entry is the download plus the online link, which the public
    # download leaves out.
    assert_golden("meeting_confirmed.ics", attachment.content.encode())


@pytest.mark.parametrize(
    ("status", "kind", "golden"),
    [
        (Registration.Status.WAITLISTED, "waitlisted", "meeting_waitlisted.ics"),
        (Registration.Status.CANCELLED, "cancelled", "meeting_registration_cancelled.ics"),
    ],
)
def test_golden_waiting_list_and_cancellation_attachments(
    fixed_meetings, registration_factory, contact_person_factory, status, kind, golden
):
    # Nynorsk, like the confirmation above; registered, then put on the list or cancelled:
    # the meeting's SEQUENCE 2 plus the registration's 2.
    kickoff = fixed_meetings["kickoff"]
    person = contact_person_factory(preferred_language="nn")
    registration = registration_factory(
        meeting=kickoff,
        contact_person=person,
        status=status,
        cancelled_at=kickoff.updated_at if status == Registration.Status.CANCELLED else None,
        calendar_sequence=2,
    )
    message = emails.build_registration_email(
        Registration.objects.select_related("meeting__series", "contact_person")
        .with_waitlist_position()
        .with_calendar_sequence()
        .get(pk=registration.pk),
        kind,
    )
    (attachment,) = message.attachments
    assert_golden(golden, attachment.content.encode())


@pytest.mark.parametrize("runner_language", RUNNER_LANGUAGES)
def test_golden_network_feed(client, fixed_meetings, freeze_now, runner_language):
    # The feed reaches back a year: in January 2026 the autumn gathering of 2025 is in it.
    freeze_now(dt.datetime(2026, 1, 15, 9, 0, tzinfo=OSLO))
    with translation.override(runner_language):
        body = client.get(reverse("network_feed")).content
    assert_golden("network_feed.ics", body)


@pytest.mark.parametrize("runner_language", RUNNER_LANGUAGES)
def test_golden_personal_feed(
    client,
    fixed_meetings,
    contact_person_factory,
    registration_factory,
    freeze_now,
    runner_language,
):
    # An English reader registered for all three; the clock stands in January 2031, so the
    # kickoff is ahead and gets its deadline entry.
    person = contact_person_factory(name="Edward Hill", preferred_language="en")
    for meeting in fixed_meetings.values():
        registration_factory(meeting=meeting, contact_person=person)
    freeze_now(dt.datetime(2031, 1, 15, 9, 0, tzinfo=OSLO))
    with translation.override(runner_language):
        body = client.get(feed_url(person)).content
    assert_golden("personal_feed.ics", body)


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.ics")), ids=lambda p: p.name)
def test_golden_files_are_valid_calendars(path):
    text = path.read_bytes().decode()
    calendar = IcsCalendarStream.calendar_from_ics(text)
    assert calendar.events
    vobject.readOne(text, validate=True)
