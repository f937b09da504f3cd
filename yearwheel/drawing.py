"""The wheel as the page, the home page and the downloaded file draw it: the layout in the
active language, and the standalone SVG file."""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .geometry import Wheel, wheel_layout
from .marks import KINDS, Mark

# The stylesheet that colours the wheel on the pages, embedded in the downloaded file.
WHEEL_STYLESHEET = "css/yearwheel.css"


def month_names() -> list[str]:
    """January to December in the active language, as labels ("Mars")."""
    return [capfirst(str(MONTHS[month])) for month in range(1, 13)]


def legend_rows(marks: list[Mark]) -> list[tuple[str, str, str, bool]]:
    """(label, shape, css class, tentative) for each kind, and one for tentative marks when
    the year has any."""
    rows = [(str(kind.label), kind.shape, kind.css, False) for kind in KINDS.values()]
    if any(mark.tentative for mark in marks):
        rows.append((_("Tentative (date not fixed)"), "circle", "mark-tentative-sample", True))
    return rows


def wheel_title(year: int) -> str:
    return _("Annual wheel %(year)s") % {"year": year}


def wheel_description(wheel: Wheel, marks: list[Mark]) -> str:
    """The text alternative of the whole wheel: how to read it and what it holds."""
    meetings = sum(1 for mark in marks if not mark.kind_info.inner)
    calls = sum(1 for mark in marks if mark.kind == "call_deadline")
    deadlines = len(marks) - meetings - calls
    parts = [
        _(
            "The year %(year)s as a circle: January at the top, the months clockwise. Each "
            "meeting is marked on its day by the shape of its kind, and each registration "
            "deadline by a cross on the inner ring; tentative meetings are hollow, over the "
            "period they are planned for."
        )
        % {"year": wheel.year},
        ngettext(
            "The year has %(count)d meeting.",
            "The year has %(count)d meetings.",
            meetings,
        )
        % {"count": meetings},
        ngettext(
            "It has %(count)d registration deadline.",
            "It has %(count)d registration deadlines.",
            deadlines,
        )
        % {"count": deadlines},
    ]
    if calls:
        parts.append(
            ngettext(
                "A star marks the deadline of %(count)d call of the EU programmes you follow.",
                "Stars mark the deadlines of %(count)d calls of the EU programmes you follow.",
                calls,
            )
            % {"count": calls}
        )
    if wheel.hand:
        parts.append(_("A hand from the centre points at today."))
    return " ".join(parts)


@dataclass(frozen=True)
class MonthGroup:
    """The marks of one month for the page's table; `month` is None for the marks with no
    month."""

    month: int | None
    label: str
    marks: tuple[Mark, ...]


def month_groups(marks: list[Mark]) -> list[MonthGroup]:
    names = month_names()
    groups = []
    for month in range(1, 13):
        of_month = tuple(mark for mark in marks if mark.month == month)
        if of_month:
            groups.append(MonthGroup(month, names[month - 1], of_month))
    undated = tuple(mark for mark in marks if mark.month is None)
    if undated:
        groups.append(MonthGroup(None, _("Date not fixed"), undated))
    return groups


def page_wheel(year: int, marks: list[Mark]) -> Wheel:
    return wheel_layout(year, marks, month_names(), today=timezone.localdate())


def mini_wheel(year: int, marks: list[Mark]) -> Wheel:
    """The home page's small wheel: no month names (too small to read), bigger marks."""
    return wheel_layout(year, marks, [""] * 12, today=timezone.localdate(), mark_size=18)


@functools.cache
def _stylesheet(path: str) -> str:
    found = finders.find(path)
    if found is None:
        raise FileNotFoundError(f"No static file {path}")
    with open(found, encoding="utf-8") as file:
        return file.read()


def wheel_stylesheet() -> str:
    # Read anew in development, where the file may change under the running server.
    if settings.DEBUG:
        _stylesheet.cache_clear()
    return _stylesheet(WHEEL_STYLESHEET)


def standalone_svg(year: int, marks: list[Mark]) -> str:
    """The wheel as a file of its own: an XML declaration, the SVG namespace, the stylesheet
    embedded, absolute links to the portal and a legend under the wheel."""
    wheel = wheel_layout(
        year, marks, month_names(), today=timezone.localdate(), legend=legend_rows(marks)
    )
    return render_to_string(
        "yearwheel/wheel.svg",
        {
            "wheel": wheel,
            "variant": "file",
            "id_prefix": "arshjul",
            "base_url": settings.SITE_URL,
            "stylesheet": wheel_stylesheet(),
            "title": wheel_title(year),
            "description": wheel_description(wheel, marks),
            "unplaced_heading": _("Date not fixed"),
        },
    )
