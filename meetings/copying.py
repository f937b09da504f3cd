"""Copies of meetings: a series into the next year, or one meeting within its series.

Dates move to the same weekday of the same ISO week a year on, at the same clock time in
Oslo: the network's meetings follow the calendar of the school and working year ("the
Thursday of week 10"), not the date. Two edges are defined here and tested:

- Week 53: an ISO year has 52 or 53 weeks, and two in a row never both have 53. A day in
  week 53 goes to the same weekday of week 52, the last week of the next year, so a meeting
  stays at the end of the year instead of jumping into the year after.
- Daylight saving time: the clock time is kept, not the distance in hours, so a meeting at
  10:00 in winter time may become 10:00 in summer time. A clock time that does not exist on
  the new day (in the hour skipped in March) moves on by that hour (02:30 becomes 03:30); one
  that exists twice (in the hour repeated in October) takes the same one of the two.

The ends and the registration deadline keep their clock distance to the start ("noon two
days before"). A copy is never open for registration before staff have looked at it unless
it has a deadline ahead: a dated copy without one is tentative. The reminder schedule (days
before the deadline) is copied; registrations, invitations and the reminders sent are not;
every copy gets a new calendar UID and starts at SEQUENCE 0.
"""

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from members.models import NetworkOwner

from .models import (
    MEETING_SLUG_MAX_LENGTH,
    RESERVED_SLUGS,
    AgendaItem,
    Meeting,
    MeetingReminder,
    MeetingSeries,
    new_calendar_uid,
)

OSLO = ZoneInfo("Europe/Oslo")
SLUG_MAX_LENGTH = MEETING_SLUG_MAX_LENGTH

# Copied as they are; dates, status, title and slug are worked out below.
COPIED_FIELDS = (
    "kind",
    "theme",
    "description",
    "tentative_period",
    "venue_name",
    "venue_address",
    "online_url",
    "capacity",
    "programme_url",
    "reminders_enabled",
)
AGENDA_FIELDS = ("order", "title", "description", "starts_at")


def next_year_date(day: dt.date) -> dt.date:
    """The same weekday of the same ISO week in the next ISO year; week 53 becomes week 52."""
    year, week, weekday = day.isocalendar()
    try:
        return dt.date.fromisocalendar(year + 1, week, weekday)
    except ValueError:
        # Only week 53 fails: the next year has 52 weeks.
        return dt.date.fromisocalendar(year + 1, 52, weekday)


def oslo_moment(wall_clock: dt.datetime, *, fold: int = 0) -> dt.datetime:
    """The moment an Oslo wall clock shows `wall_clock` (naive), in UTC. A time in the
    skipped hour is read with the offset before the change, i.e. an hour later in summer
    time."""
    return wall_clock.replace(tzinfo=OSLO, fold=fold).astimezone(dt.UTC)


def shift_moment(moment: dt.datetime) -> dt.datetime:
    """`moment` moved to the same weekday of the same ISO week next year, same Oslo clock."""
    local = moment.astimezone(OSLO)
    day = next_year_date(local.date())
    return oslo_moment(dt.datetime.combine(day, local.time().replace(tzinfo=None)), fold=local.fold)


def _wall_clock(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(OSLO).replace(tzinfo=None)


def _same_clock_distance(
    moment: dt.datetime | None, *, old_start: dt.datetime, new_start: dt.datetime
) -> dt.datetime | None:
    """`moment` at the same wall-clock distance from `new_start` as it had from
    `old_start`."""
    if moment is None:
        return None
    distance = _wall_clock(moment) - _wall_clock(old_start)
    return oslo_moment(_wall_clock(new_start) + distance, fold=moment.astimezone(OSLO).fold)


def _with_year(text: str, old_year: int, new_year: int) -> str:
    """`text` with the series' year, where it stands as a number of its own, made the new
    one ("Oppstart 2030" becomes "Oppstart 2031")."""
    return re.sub(rf"(?<![0-9]){old_year}(?![0-9])", str(new_year), text)


def _unique_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first that no meeting has and the portal does
    not use, within the field's length."""
    base = base.strip("-")[:SLUG_MAX_LENGTH].strip("-") or "meeting"
    stem = base[: SLUG_MAX_LENGTH - 6].strip("-")
    taken = set(Meeting.objects.filter(slug__startswith=stem).values_list("slug", flat=True)) | set(
        RESERVED_SLUGS
    )
    if base not in taken:
        return base
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def _copy_status(original: Meeting, starts_at, deadline, now) -> str:
    """Scheduled only when the copy has a start and a deadline still ahead: without a
    deadline a scheduled meeting is open for registration at once, before staff have
    reviewed the copy."""
    if (
        original.status != Meeting.Status.TENTATIVE
        and starts_at is not None
        and deadline is not None
        and deadline > now
    ):
        return Meeting.Status.SCHEDULED
    return Meeting.Status.TENTATIVE


def _build_copy(
    original: Meeting,
    *,
    series: MeetingSeries,
    title: str,
    slug_base: str,
    shift: Callable[[dt.datetime], dt.datetime],
    now: dt.datetime,
) -> Meeting:
    old_start = original.starts_at
    starts_at: dt.datetime | None
    if old_start is not None:
        starts_at = shift(old_start)
        ends_at = _same_clock_distance(original.ends_at, old_start=old_start, new_start=starts_at)
        deadline = _same_clock_distance(
            original.registration_deadline, old_start=old_start, new_start=starts_at
        )
    else:
        starts_at = ends_at = None
        deadline = shift(original.registration_deadline) if original.registration_deadline else None
    copy = Meeting(
        series=series,
        title=title,
        slug=_unique_slug(slug_base),
        starts_at=starts_at,
        ends_at=ends_at,
        registration_deadline=deadline,
        status=_copy_status(original, starts_at, deadline, now),
        sequence=0,
        calendar_uid=new_calendar_uid(),
        **{field: getattr(original, field) for field in COPIED_FIELDS},
    )
    return copy


def _save_copy(copy: Meeting, original: Meeting) -> Meeting:
    """Check every rule of the model on the copy, save it and copy the agenda and the
    reminder schedule."""
    try:
        copy.full_clean()
    except ValidationError as error:
        raise ValidationError(
            gettext("“%(meeting)s” could not be copied: %(reasons)s")
            % {"meeting": original.title, "reasons": " ".join(error.messages)}
        ) from error
    copy.save()
    for item in original.agenda_items.all():
        agenda_item = AgendaItem(
            meeting=copy, **{field: getattr(item, field) for field in AGENDA_FIELDS}
        )
        agenda_item.full_clean()
        agenda_item.save()
    MeetingReminder.objects.bulk_create(
        MeetingReminder(meeting=copy, days_before=reminder.days_before)
        for reminder in original.reminder_schedule.all()
    )
    return copy


def organiser_of_new_series(*, fallback: MeetingSeries | None = None) -> dict[str, str]:
    """A new series is organised by the network's owner as it is now (after a county reform,
    the new county), or, while no owner is recorded, by the series it was copied from."""
    owner = NetworkOwner.get_solo()
    if owner.name or fallback is None:
        return MeetingSeries.organiser_fields(owner)
    return {field: getattr(fallback, field) for field in MeetingSeries.organiser_fields(owner)}


def next_year_series_exists(*, series: MeetingSeries) -> bool:
    return MeetingSeries.objects.filter(
        name=_with_year(series.name, series.year, series.year + 1), year=series.year + 1
    ).exists()


def series_copy_to_next_year(*, series: MeetingSeries, now: dt.datetime | None = None):
    """Make next year's series with a copy of each of the series' meetings and their agendas
    (see the module's notes for the dates and the status) and return it. Refused with a
    ValidationError, with nothing saved, when next year's series exists already or a copy
    breaks a rule of the model."""
    now = now or timezone.now()
    new_year = series.year + 1
    with transaction.atomic():
        # Two clicks at once queue here; the second then finds the first one's series.
        series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
        new_series = MeetingSeries(
            name=_with_year(series.name, series.year, new_year),
            year=new_year,
            description=series.description,
            **organiser_of_new_series(fallback=series),
        )
        if next_year_series_exists(series=series):
            raise ValidationError(
                gettext("“%(series)s” exists already; nothing was copied.") % {"series": new_series}
            )
        new_series.full_clean()
        new_series.save()
        meetings = series.meetings.chronological().prefetch_related(
            "agenda_items", "reminder_schedule"
        )
        for original in meetings:
            copy = _build_copy(
                original,
                series=new_series,
                title=_with_year(original.title, series.year, new_year),
                slug_base=(
                    _with_year(original.slug, series.year, new_year)
                    if str(series.year) in original.slug
                    else f"{original.slug[: SLUG_MAX_LENGTH - 5]}-{new_year}"
                ),
                shift=shift_moment,
                now=now,
            )
            _save_copy(copy, original)
    return new_series


def meeting_copy(*, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """A copy of the meeting in the same series, at the same time, with a new slug and its
    agenda, for staff to change into another meeting. Tentative unless it has a deadline
    ahead; nobody is registered."""
    now = now or timezone.now()
    with transaction.atomic():
        copy = _build_copy(
            meeting,
            series=meeting.series,
            title=meeting.title,
            slug_base=meeting.slug,
            shift=lambda moment: moment,
            now=now,
        )
        return _save_copy(copy, meeting)
