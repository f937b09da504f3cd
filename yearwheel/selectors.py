"""Reads for the annual wheel: the marks of a year, gathered from its sources, and the years
there is something to show for.

A source is a function `(year, user) -> list[Mark]`; `marks_for` concatenates them in the
order of SOURCES. To add one (EU call deadlines of the programmes a member follows, say),
write the function, add it to SOURCES and, for a new kind of mark, add the kind to
marks.KINDS. A source that depends on who looks must return nothing for an anonymous user
or None (the home page's small wheel asks with None, the same for everyone).
"""

import datetime as dt
from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from meetings.models import FIRST_SERIES_YEAR, LAST_SERIES_YEAR, Meeting, MeetingSeries

from .marks import Mark, period_days

# The years a wheel can be asked for: those a meeting series may have.
FIRST_YEAR, LAST_YEAR = FIRST_SERIES_YEAR, LAST_SERIES_YEAR


def current_year() -> int:
    """This year in Oslo, by the portal's clock."""
    return timezone.localdate().year


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """Midnight on 1 January of `year` and of the next, in Oslo."""
    return (
        timezone.make_aware(dt.datetime(year, 1, 1)),
        timezone.make_aware(dt.datetime(year + 1, 1, 1)),
    )


def meeting_marks(year: int, user=None) -> list[Mark]:
    """The network's meetings of the year and their registration deadlines, in one query:
    meetings that start in the year, deadlines that fall in it, and the tentative meetings
    without a date of the year's series, placed by their tentative period. Cancelled
    meetings are left out: the wheel shows the year as planned."""
    start, end = year_bounds(year)
    meetings = (
        Meeting.objects.exclude(status=Meeting.Status.CANCELLED)
        .filter(
            Q(starts_at__gte=start, starts_at__lt=end)
            | Q(registration_deadline__gte=start, registration_deadline__lt=end)
            | Q(starts_at__isnull=True, series__year=year)
        )
        .only(
            "slug",
            "title",
            "kind",
            "status",
            "starts_at",
            "registration_deadline",
            "tentative_period",
        )
        .order_by("starts_at", "pk")
    )
    marks = []
    for meeting in meetings:
        url = meeting.get_absolute_url()
        if meeting.starts_at is None:
            days = period_days(year, meeting.tentative_period)
            marks.append(
                Mark(
                    date=days[0] if days else None,
                    until=days[1] if days else None,
                    kind=meeting.kind,
                    label=meeting.title,
                    url=url,
                    tentative=True,
                    period=meeting.tentative_period,
                )
            )
        elif start <= meeting.starts_at < end:
            marks.append(
                Mark(
                    date=timezone.localdate(meeting.starts_at),
                    kind=meeting.kind,
                    label=meeting.title,
                    url=url,
                    tentative=meeting.is_tentative,
                )
            )
        if meeting.registration_deadline and start <= meeting.registration_deadline < end:
            marks.append(
                Mark(
                    date=timezone.localdate(meeting.registration_deadline),
                    kind="deadline",
                    label=meeting.title,
                    url=url,
                    tentative=meeting.is_tentative,
                )
            )
    return marks


SOURCES: tuple[Callable[[int, object], list[Mark]], ...] = (meeting_marks,)


def marks_for(year: int, user=None) -> list[Mark]:
    """Every mark of the year from every source, in date order (undated ones last)."""
    marks = [mark for source in SOURCES for mark in source(year, user)]
    return sorted(marks, key=lambda mark: mark.sort_key)


def years_with_series() -> list[int]:
    """The years some meeting series belongs to, the latest first: the year switcher's
    choices."""
    return list(MeetingSeries.objects.order_by("-year").values_list("year", flat=True).distinct())
