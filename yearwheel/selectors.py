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
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from meetings.models import FIRST_SERIES_YEAR, LAST_SERIES_YEAR, Meeting, MeetingSeries
from members.models import User
from projects.models import Call

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


def meeting_marks(year: int, user: User | AnonymousUser | None = None) -> list[Mark]:
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


def call_deadline_marks(year: int, user: User | AnonymousUser | None = None) -> list[Mark]:
    """The deadlines in the year of the EU calls whose programmes the signed-in member
    follows (their profile's "Follow EU programmes"), each linking to the call's own page.
    Nothing for anyone else: the home page's wheel is the same for everyone."""
    if user is None or not user.is_authenticated:
        return []
    start, end = year_bounds(year)
    calls = (
        Call.objects.filter(
            programme__follows__contact_person__user=user,
            deadline__gte=start,
            deadline__lt=end,
        )
        .select_related("programme")
        .only("title", "url", "deadline", "programme__name")
        .order_by("deadline", "pk")
        .distinct()
    )
    return [
        Mark(
            date=timezone.localdate(call.deadline),
            kind="call_deadline",
            label=f"{call.programme.name}: {call.title}",
            url=call.url,
        )
        for call in calls
    ]


SOURCES: tuple[Callable[[int, User | AnonymousUser | None], list[Mark]], ...] = (
    meeting_marks,
    call_deadline_marks,
)


def marks_for(year: int, user: User | AnonymousUser | None = None) -> list[Mark]:
    """Every mark of the year from every source, in date order (undated ones last)."""
    marks = [mark for source in SOURCES for mark in source(year, user)]
    return sorted(marks, key=lambda mark: mark.sort_key)


def years_with_series() -> list[int]:
    """The years some meeting series belongs to, the latest first: the year switcher's
    choices."""
    return list(MeetingSeries.objects.order_by("-year").values_list("year", flat=True).distinct())


# --- The home page's small wheel -------------------------------------------------------------
#
# The home page, the busiest page, shows the marks that are the same for everyone. They are
# kept in the cache for a few minutes and dropped once a meeting or a series is saved or
# deleted (apps.py connects the signals): at once, and again after the transaction commits, so
# that a request between the two does not keep what was about to change. A change that
# bypasses save() (a queryset update) is seen when the entry expires. Raise the key's version
# when Mark changes: the entries are pickled Marks.
SHARED_MARKS_SECONDS = 5 * 60


def _shared_marks_key(year: int) -> str:
    return f"yearwheel:shared-marks:v1:{year}"


def cached_shared_marks(year: int) -> list[Mark]:
    """`marks_for(year, None)`, from the cache while no meeting or series changed."""
    key = _shared_marks_key(year)
    marks: list[Mark] | None = cache.get(key)
    if marks is None:
        marks = marks_for(year, None)
        cache.set(key, marks, SHARED_MARKS_SECONDS)
    return marks


def forget_shared_marks(**kwargs: Any) -> None:
    """Drop the cached marks of the years the home page may show (a signal receiver)."""
    year = current_year()
    keys = [_shared_marks_key(y) for y in (year - 1, year, year + 1)]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
