"""What the annual wheel shows: marks, each a day (or a tentative period) of the year with its
kind, label and link, and the kinds a mark can be of.

A source of marks (see selectors.py) returns a list of `Mark`s; the wheel and its table only
read these, so a new source (EU call deadlines, say) needs a function that makes marks and,
for a new kind, one entry in `KINDS`. Marks hold data only, no translated text, so a list of
them is the same in every language.
"""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy


@dataclass(frozen=True)
class MarkKind:
    """How a kind of mark is drawn and named. `shape` is one of geometry.SHAPES; `css` the
    class that colours it (static/css/yearwheel.css). Colour is never the only difference:
    each kind has its own shape, and the legend names them."""

    key: str
    label: str | Promise
    shape: str
    css: str
    # Marks of kinds with `inner` sit on the inner ring, apart from the meetings.
    inner: bool = False


# The meetings' kinds as meetings.models.Meeting.Kind names them, and the deadlines. In the
# legend's order.
KINDS: dict[str, MarkKind] = {
    kind.key: kind
    for kind in (
        MarkKind("kickoff", gettext_lazy("Kickoff"), "circle", "mark-kickoff"),
        MarkKind(
            "project_identification",
            gettext_lazy("Project identification"),
            "square",
            "mark-project-identification",
        ),
        MarkKind(
            "application_workshop",
            gettext_lazy("Application workshop"),
            "diamond",
            "mark-application-workshop",
        ),
        MarkKind("other", pgettext_lazy("meeting kind", "Other"), "triangle", "mark-other"),
        MarkKind(
            "deadline",
            gettext_lazy("Registration deadline"),
            "cross",
            "mark-deadline",
            inner=True,
        ),
        MarkKind(
            "call_deadline",
            gettext_lazy("Deadline of a followed EU call"),
            "star",
            "mark-call-deadline",
            inner=True,
        ),
    )
}


@dataclass(frozen=True)
class Mark:
    """One thing on the wheel.

    `date` is its day; for a tentative meeting known by a period ("juni", "haust") the first
    day of that period, with `until` its last day; None when the period says no month, so the
    mark is listed but not drawn. `period` is the period as staff wrote it.
    """

    date: dt.date | None
    kind: str
    label: str
    url: str
    tentative: bool = False
    until: dt.date | None = None
    period: str = ""

    @property
    def kind_info(self) -> MarkKind:
        return KINDS.get(self.kind, KINDS["other"])

    @property
    def kind_label(self) -> str:
        return str(self.kind_info.label)

    @property
    def month(self) -> int | None:
        return self.date.month if self.date else None

    @property
    def when(self) -> str:
        """The day in the active language ("7. mars 2027"), or the tentative period."""
        if self.date is None or self.until is not None:
            if not self.period:
                return _("Date not fixed")
            return _("%(period)s (date not fixed)") % {"period": self.period}
        text = formats.date_format(self.date, "DATE_FORMAT")
        if self.tentative:
            return _("%(date)s (tentative)") % {"date": text}
        return text

    @property
    def accessible_name(self) -> str:
        """What a screen reader says for the mark: "Kickoff: Oppstart, 7. mars 2027"."""
        return _("%(kind)s: %(label)s, %(when)s") % {
            "kind": self.kind_label,
            "label": self.label,
            "when": self.when,
        }

    @property
    def sort_key(self):
        kinds = list(KINDS)
        order = kinds.index(self.kind) if self.kind in kinds else len(kinds)
        return (self.date or dt.date.max, order, self.label.casefold(), self.url)


# --- Tentative periods ------------------------------------------------------------------------
#
# Staff write a tentative meeting's period freely: "juni", "haust/vinter", "early autumn". The
# wheel places it by the months and seasons it names, in Nynorsk, Bokmål or English; a period
# that names none ("etter avtale") is listed beside the wheel instead.

_MONTH_WORDS = {
    1: ("januar", "january", "jan"),
    2: ("februar", "february", "feb"),
    3: ("mars", "march", "mar"),
    4: ("april", "apr"),
    5: ("mai", "may"),
    6: ("juni", "june", "jun"),
    7: ("juli", "july", "jul"),
    8: ("august", "aug"),
    9: ("september", "sept", "sep"),
    10: ("oktober", "october", "okt", "oct"),
    11: ("november", "nov"),
    12: ("desember", "december", "des", "dec"),
}
_SEASON_WORDS = {
    (3, 5): ("vår", "vaar", "spring"),
    (6, 8): ("sommar", "sommer", "summer"),
    (9, 11): ("haust", "høst", "autumn", "fall"),
}
_WINTER_WORDS = ("vinter", "winter")

_WORD_MONTHS: dict[str, tuple[int, int]] = {
    word: (month, month) for month, words in _MONTH_WORDS.items() for word in words
}
_WORD_MONTHS.update({word: months for months, words in _SEASON_WORDS.items() for word in words})


def period_months(text: str) -> tuple[int, int] | None:
    """The first and last month a tentative period names, or None.

    The span runs from the first month or season named to the last: "juni" is June to June,
    "haust/vinter" September to December. Winter at the start of a period is January and
    February ("vinter/vår": January to May), after another word the year's end (December).
    """
    spans: list[tuple[int, int]] = []
    for word in re.findall(r"\w+", text.casefold()):
        if word in _WINTER_WORDS:
            spans.append((12, 12) if spans else (1, 2))
        elif word in _WORD_MONTHS:
            spans.append(_WORD_MONTHS[word])
    if not spans:
        return None
    first, last = spans[0][0], spans[-1][1]
    if last < first:
        return spans[0]
    return first, last


def period_days(year: int, text: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the months a tentative period names in `year`, or None."""
    months = period_months(text)
    if months is None:
        return None
    first, last = months
    return dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1])
