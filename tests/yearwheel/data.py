"""A seeded year of meetings, and readers of the wheel's SVG, for the annual wheel's tests."""

import datetime as dt
import xml.etree.ElementTree as ET
from types import SimpleNamespace

from meetings.models import Meeting
from tests import factories
from tests.clock import OSLO

SVG = "{http://www.w3.org/2000/svg}"


def oslo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=OSLO)


def seed_year():
    """The 2027 series as the network runs it: a kickoff in March (deadline a week before),
    the June meeting still tentative ("juni"), and the application workshop in October with
    its deadline at the end of September; a cancelled meeting, a tentative one with no month,
    and a meeting of the next year whose deadline falls in December 2027."""
    series = factories.MeetingSeriesFactory(name="Kommunenettverket", year=2027)
    kickoff = factories.MeetingFactory(
        series=series,
        kind=Meeting.Kind.KICKOFF,
        title="Oppstartsmøte 2027",
        slug="oppstart-2027",
        status=Meeting.Status.HELD,
        starts_at=oslo(2027, 3, 10, 10),
        ends_at=oslo(2027, 3, 10, 14),
        registration_deadline=oslo(2027, 3, 3, 23, 59),
    )
    june = factories.MeetingFactory(
        series=series,
        kind=Meeting.Kind.PROJECT_IDENTIFICATION,
        title="Prosjekt og partnarar 2027",
        slug="juni-2027",
        tentative=True,
        tentative_period="juni",
    )
    workshop = factories.MeetingFactory(
        series=series,
        kind=Meeting.Kind.APPLICATION_WORKSHOP,
        title="Søknadsworkshop 2027",
        slug="workshop-2027",
        starts_at=oslo(2027, 10, 14, 9),
        ends_at=oslo(2027, 10, 14, 15),
        registration_deadline=oslo(2027, 9, 30, 23, 59),
    )
    undated = factories.MeetingFactory(
        series=series,
        kind=Meeting.Kind.OTHER,
        title="Studietur",
        slug="studietur-2027",
        tentative=True,
        tentative_period="etter avtale",
    )
    cancelled = factories.MeetingFactory(
        series=series,
        title="Avlyst møte",
        slug="avlyst-2027",
        status=Meeting.Status.CANCELLED,
        starts_at=oslo(2027, 5, 5, 10),
        ends_at=oslo(2027, 5, 5, 12),
        registration_deadline=oslo(2027, 5, 1, 12),
    )
    next_series = factories.MeetingSeriesFactory(name="Kommunenettverket", year=2028)
    january = factories.MeetingFactory(
        series=next_series,
        title="Nyttårsmøte 2028",
        slug="nyttar-2028",
        starts_at=oslo(2028, 1, 12, 10),
        ends_at=oslo(2028, 1, 12, 12),
        registration_deadline=oslo(2027, 12, 20, 12),
    )
    factories.MeetingSeriesFactory(name="Kommunenettverket", year=2018)
    return SimpleNamespace(
        kickoff=kickoff,
        june=june,
        workshop=workshop,
        undated=undated,
        cancelled=cancelled,
        january=january,
    )


def inline_svg(page: str) -> ET.Element:
    """The page's wheel, parsed as XML (so it is well-formed too)."""
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" class="yearwheel yearwheel-page"')
    end = page.index("</svg>", start) + len("</svg>")
    return ET.fromstring(page[start:end])  # noqa: S314 - our own page, not untrusted input


def wheel_links(svg: ET.Element) -> list[ET.Element]:
    return [a for a in svg.iter(f"{SVG}a") if "wheel-mark" in a.get("class", "")]


def mark_position(link: ET.Element) -> tuple[float, float]:
    shape = next(
        path for path in link.iter(f"{SVG}path") if "wheel-mark-shape" in path.get("class")
    )
    x, y = shape.get("transform").removeprefix("translate(").removesuffix(")").split()
    return float(x), float(y)
