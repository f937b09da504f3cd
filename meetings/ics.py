"""Every piece of iCalendar the portal produces is built here, as pure functions.

One helper makes each UID, so a meeting has the same UID in a download, in every feed and in
every e-mail attachment, and calendar programs update their copy instead of adding another.
The UID is stored on the meeting when it is made, so moving the site to another host name
changes none. Times are written with TZID=Europe/Oslo and the matching VTIMEZONE, not in UTC,
so a meeting stays at 10:00 local time in every client.

METHOD:PUBLISH throughout: these are announcements, not invitations that pretend to take
RSVPs. That holds for cancellations too: METHOD:CANCEL (RFC 5546 3.2.5) belongs to meeting
requests, needs an ORGANIZER and ATTENDEEs, and Outlook and Gmail match it against an
invitation from that organizer, which an entry added from a PUBLISH is not. A PUBLISH of the
same UID with a higher SEQUENCE and STATUS:CANCELLED is valid RFC 5546 (3.2.1 allows the
status) and replaces the entry the person added from the earlier attachment; for clients that
show cancelled entries like others, the description's first line says it is cancelled.

Entries for one person (their feed and their e-mails) say where they stand: on the waiting
list the entry is TENTATIVE and says so in its summary; after they cancel it is CANCELLED.
Their SEQUENCE is the meeting's plus the person's registration sequence (see
`Registration.calendar_sequence`), so each entry a person gets replaces the one before. The
download and the network feed carry the meeting's own SEQUENCE, and no online-meeting link:
that goes only into the entries of people registered for the meeting (meetings.permissions).
"""

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from .models import AgendaItem, Meeting, Registration
from .permissions import online_link_visible

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PRODID = "-//Kommunenettverket//Network portal 1.0//NN"
# A meeting with a start but no end is shown with this length.
DEFAULT_DURATION = dt.timedelta(hours=2)
# The deadline entry in personal feeds: a short marker, not a block of time.
DEADLINE_DURATION = dt.timedelta(minutes=15)
# How often subscribed calendar programs should fetch feeds again.
REFRESH_INTERVAL = dt.timedelta(hours=1)
# C0 controls other than tab, newline and carriage return are not allowed in iCalendar text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def meeting_uid(meeting: Meeting) -> str:
    """The meeting's UID: stable for its whole life, whatever else changes."""
    return meeting.calendar_uid


def deadline_uid(meeting: Meeting) -> str:
    # "meeting-7@host" gives "meeting-7-deadline@host", the UID deadlines have always had.
    local_part, at, domain = meeting_uid(meeting).partition("@")
    return f"{local_part}-deadline{at}{domain}"


def clean_text(value: str) -> str:
    return _CONTROL_CHARACTERS.sub("", value or "")


def meeting_url(meeting: Meeting) -> str:
    site_url: str = settings.SITE_URL
    return site_url + meeting.get_absolute_url()


def meeting_location(meeting: Meeting) -> str:
    return ", ".join(part for part in (meeting.venue_name, meeting.venue_address) if part)


def meeting_description(
    meeting: Meeting,
    *,
    agenda_items: Iterable[AgendaItem] = (),
    registration_status: str | None = None,
) -> str:
    lines = []
    if meeting.is_cancelled:
        lines += [_("This meeting has been cancelled."), ""]
    elif registration_status == Registration.Status.CANCELLED:
        lines += [_("Your registration for this meeting has been cancelled."), ""]
    if meeting.theme:
        lines.append(_("Theme: %(theme)s") % {"theme": meeting.theme})
    if meeting.description:
        lines += ["", meeting.description]
    agenda = [item.title for item in agenda_items]
    if agenda:
        lines += ["", _("Agenda:")] + [f"- {title}" for title in agenda]
    if meeting.online_url and online_link_visible(registration_status=registration_status):
        lines += ["", _("Join online: %(url)s") % {"url": meeting.online_url}]
    lines += ["", meeting_url(meeting)]
    # One blank line between parts, however many parts are empty.
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def organizer(meeting: Meeting) -> icalendar.vCalAddress:
    """The series' organiser, as it was when the series was made (RFC 5546 3.2.1 asks a
    PUBLISH for one). Without an organiser's e-mail, the address the portal's mail comes from."""
    series = meeting.series
    address = series.organiser_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    value = icalendar.vCalAddress(f"mailto:{address}")
    if series.organiser_name:
        value.params["CN"] = clean_text(series.organiser_name)
    return value


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(ZoneInfo(settings.TIME_ZONE))


def event_status(meeting: Meeting, registration_status: str | None = None) -> str:
    """The STATUS of a meeting's entry, for a person with a registration of the given status
    (None for everyone else)."""
    if meeting.is_cancelled or registration_status == Registration.Status.CANCELLED:
        return "CANCELLED"
    if registration_status == Registration.Status.WAITLISTED:
        return "TENTATIVE"
    return "CONFIRMED"


def meeting_event(
    meeting: Meeting,
    *,
    stamp: dt.datetime,
    agenda_items: Iterable[AgendaItem] = (),
    registration_status: str | None = None,
    sequence_offset: int = 0,
) -> icalendar.Event:
    """A VEVENT for a dated meeting. Raises ValueError for a meeting without a start.

    With `registration_status`, the entry is a person's: TENTATIVE with "(waiting list)" in
    the summary while they wait for a seat, CANCELLED once they cancelled. `sequence_offset`
    (the person's registration sequence) is added to the meeting's SEQUENCE."""
    starts_at = meeting.starts_at
    if starts_at is None:
        raise ValueError("A meeting without a start time has no calendar entry.")
    status = event_status(meeting, registration_status)
    summary = meeting.title
    if registration_status == Registration.Status.WAITLISTED:
        summary = _("%(title)s (waiting list)") % {"title": meeting.title}
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", _local(starts_at))
    event.add("dtend", _local(meeting.ends_at or starts_at + DEFAULT_DURATION))
    event.add("summary", clean_text(summary))
    event.add(
        "description",
        clean_text(
            meeting_description(
                meeting, agenda_items=agenda_items, registration_status=registration_status
            )
        ),
    )
    location = meeting_location(meeting)
    if location:
        event.add("location", clean_text(location))
    event.add("url", meeting_url(meeting))
    event.add("organizer", organizer(meeting))
    event.add("status", status)
    if status == "TENTATIVE":
        # Outlook takes free/busy from its own property, not from STATUS.
        event.add("x-microsoft-cdo-busystatus", icalendar.vText("TENTATIVE"))
    event.add("sequence", meeting.sequence + sequence_offset)
    event.add("last-modified", meeting.updated_at.astimezone(dt.UTC))
    event.add("categories", [clean_text(str(meeting.get_kind_display()))])
    event.add("transp", "OPAQUE")
    return event


def deadline_event(meeting: Meeting, *, stamp: dt.datetime) -> icalendar.Event:
    """A short entry at a meeting's registration deadline, for personal feeds. Raises
    ValueError for a meeting without a deadline."""
    deadline = meeting.registration_deadline
    if deadline is None:
        raise ValueError("A meeting without a registration deadline has no deadline entry.")
    event = icalendar.Event()
    event.add("uid", deadline_uid(meeting))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", _local(deadline) - DEADLINE_DURATION)
    event.add("dtend", _local(deadline))
    event.add(
        "summary", clean_text(_("Registration deadline: %(title)s") % {"title": meeting.title})
    )
    event.add(
        "description",
        clean_text(
            _("Registration for %(title)s closes %(deadline)s.\n%(url)s")
            % {
                "title": meeting.title,
                "deadline": formats.date_format(_local(deadline), "DATETIME_FORMAT"),
                "url": meeting_url(meeting),
            }
        ),
    )
    event.add("url", meeting_url(meeting))
    event.add("organizer", organizer(meeting))
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    event.add("sequence", meeting.sequence)
    event.add("last-modified", meeting.updated_at.astimezone(dt.UTC))
    event.add("transp", "TRANSPARENT")
    return event


@dataclass(frozen=True)
class DeadlineEntry:
    """A deadline another app puts into personal feeds, as data (see
    settings.CALENDAR_FEED_EXTRA_EVENTS): this module alone writes iCalendar. The entry
    follows the meetings' rules: a UID that never changes, a SEQUENCE that rises with every
    change calendars show, and the time of its last change. Its texts come translated."""

    uid: str
    summary: str
    description: str
    deadline: dt.datetime
    url: str
    sequence: int
    last_modified: dt.datetime
    categories: tuple[str, ...] = ()


def entry_event(entry: DeadlineEntry, *, stamp: dt.datetime) -> icalendar.Event:
    """A short entry at the deadline, as a meeting's registration deadline has."""
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", _local(entry.deadline) - DEADLINE_DURATION)
    event.add("dtend", _local(entry.deadline))
    event.add("summary", clean_text(entry.summary))
    event.add("description", clean_text(entry.description))
    event.add("url", entry.url)
    event.add("status", "CONFIRMED")
    event.add("sequence", entry.sequence)
    event.add("last-modified", entry.last_modified.astimezone(dt.UTC))
    if entry.categories:
        event.add("categories", [clean_text(str(c)) for c in entry.categories])
    event.add("transp", "TRANSPARENT")
    return event


def build_calendar(
    events: Sequence[icalendar.Event],
    *,
    name: "StrOrPromise | None" = None,
    refresh: dt.timedelta | None = None,
) -> bytes:
    """A VCALENDAR with the events and a VTIMEZONE for every TZID they use."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # X- properties have no known type, so give them one: text is escaped, TTL is a duration.
    if name:
        calendar.add("x-wr-calname", icalendar.vText(clean_text(str(name))))
    calendar.add("x-wr-timezone", icalendar.vText(settings.TIME_ZONE))
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(refresh))
    for event in events:
        calendar.add_component(event)
    # Only the transitions the events need, a year either side, keep the file small.
    starts = [event.decoded("dtstart").date() for event in events]
    if starts:
        calendar.add_missing_timezones(
            first_date=min(starts) - dt.timedelta(days=366),
            last_date=max(starts) + dt.timedelta(days=366),
        )
    else:
        # RFC 5545 wants at least one component; an empty feed carries its time zone.
        today = dt.date.today()
        calendar.add_component(
            icalendar.Timezone.from_tzinfo(
                ZoneInfo(settings.TIME_ZONE),
                tzid=settings.TIME_ZONE,
                first_date=today - dt.timedelta(days=366),
                last_date=today + dt.timedelta(days=366),
            )
        )
    ical: bytes = calendar.to_ical()
    return ical


def meeting_calendar(
    meeting: Meeting,
    *,
    language: str,
    stamp: dt.datetime,
    registration_status: str | None = None,
    sequence_offset: int = 0,
) -> bytes:
    """One meeting as a complete calendar file: the download, or with `registration_status`
    and `sequence_offset` a person's entry in an e-mail (see `meeting_event`)."""
    with translation.override(language):
        event = meeting_event(
            meeting,
            stamp=stamp,
            agenda_items=meeting.agenda_items.all(),
            registration_status=registration_status,
            sequence_offset=sequence_offset,
        )
        return build_calendar([event], name=meeting.title)


def feed_calendar(
    meetings: Iterable[Meeting],
    *,
    name: "StrOrPromise",
    language: str,
    stamp: dt.datetime,
    deadlines_after: dt.datetime | None = None,
    extra_entries: Iterable[DeadlineEntry] = (),
) -> bytes:
    """A subscribable feed. Meetings without a date are left out. With `deadlines_after`,
    each meeting starting after that moment also gets an entry at its registration deadline.
    `extra_entries` are other apps' deadlines (settings.CALENDAR_FEED_EXTRA_EVENTS).

    Meetings of a person's feed (`selectors.personal_calendar_meetings`) carry the person's
    `person_registration_status` and `person_calendar_sequence`, and their entries are the
    person's (see `meeting_event`); other meetings are entries for everyone."""
    with translation.override(language):
        events = []
        for meeting in meetings:
            if meeting.starts_at is None:
                continue
            events.append(
                meeting_event(
                    meeting,
                    stamp=stamp,
                    agenda_items=meeting.agenda_items.all(),
                    registration_status=getattr(meeting, "person_registration_status", None),
                    sequence_offset=getattr(meeting, "person_calendar_sequence", 0),
                )
            )
            if (
                deadlines_after is not None
                and meeting.registration_deadline is not None
                and meeting.starts_at > deadlines_after
                and not meeting.is_cancelled
            ):
                events.append(deadline_event(meeting, stamp=stamp))
        events.extend(entry_event(entry, stamp=stamp) for entry in extra_entries)
        return build_calendar(events, name=name, refresh=REFRESH_INTERVAL)


def meeting_filename(meeting: Meeting) -> str:
    return f"{meeting.slug}.ics"
