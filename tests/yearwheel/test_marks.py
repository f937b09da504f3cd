"""Marks, tentative periods and the wheel's geometry."""

import datetime as dt

import pytest
from django.utils import translation

from yearwheel import geometry
from yearwheel.marks import Mark, period_days, period_months


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("juni", (6, 6)),
        ("Juni", (6, 6)),
        ("June", (6, 6)),
        ("haust", (9, 11)),
        ("høst", (9, 11)),
        ("autumn", (9, 11)),
        ("haust/vinter", (9, 12)),
        ("vinter/vår", (1, 5)),
        ("vinter", (1, 2)),
        ("august–september", (8, 9)),
        ("tidleg i okt.", (10, 10)),
        ("etter avtale", None),
        ("", None),
        # Backwards in the year: the first word counts.
        ("desember eller januar", (12, 12)),
    ],
)
def test_period_months(text, months):
    assert period_months(text) == months


def test_period_days_cover_whole_months():
    assert period_days(2028, "februar") == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert period_days(2027, "haust/vinter") == (dt.date(2027, 9, 1), dt.date(2027, 12, 31))
    assert period_days(2027, "etter avtale") is None


def test_accessible_name_in_the_active_language():
    mark = Mark(date=dt.date(2027, 3, 10), kind="kickoff", label="Oppstart", url="/m/")
    with translation.override("en"):
        assert mark.accessible_name == "Kickoff: Oppstart, 10 March 2027"
    with translation.override("nn"):
        assert mark.accessible_name.endswith("Oppstart, 10. mars 2027")
    period = Mark(
        date=dt.date(2027, 6, 1),
        until=dt.date(2027, 6, 30),
        kind="project_identification",
        label="Juni",
        url="/j/",
        tentative=True,
        period="juni",
    )
    with translation.override("en"):
        assert period.accessible_name == "Project identification: Juni, juni (date not fixed)"


@pytest.mark.parametrize("year", [2027, 2028])
def test_every_day_lies_in_its_months_sector(year):
    wheel = geometry.wheel_layout(year, [], [str(m) for m in range(1, 13)])
    day = dt.date(year, 1, 1)
    while day.year == year:
        sector = wheel.months[day.month - 1]
        assert sector.start_angle <= geometry.day_angle(day) <= sector.end_angle
        day += dt.timedelta(days=1)
    assert wheel.months[0].start_angle == 0
    assert wheel.months[-1].end_angle == 360
    # The first of July is about half-way round (181 or 182 days in).
    assert 177 < geometry.day_angle(dt.date(year, 7, 1)) < 180


def test_close_marks_take_separate_lanes():
    marks = [
        Mark(date=dt.date(2027, 3, 10), kind="kickoff", label=f"M{i}", url=f"/{i}/")
        for i in range(3)
    ]
    wheel = geometry.wheel_layout(2027, marks, [""] * 12)
    positions = {(placed.x, placed.y) for placed in wheel.marks}
    assert len(positions) == 3
    assert [placed.number for placed in wheel.marks] == [1, 2, 3]


def test_marks_of_other_years_and_without_a_month_are_not_drawn():
    marks = [
        Mark(date=None, kind="other", label="Studietur", url="/s/", tentative=True),
        Mark(date=dt.date(2028, 1, 3), kind="kickoff", label="Neste år", url="/n/"),
    ]
    wheel = geometry.wheel_layout(2027, marks, [""] * 12)
    assert wheel.marks == ()
    assert len(wheel.unplaced) == 2


@pytest.mark.parametrize("shape", geometry.SHAPES)
def test_every_shape_is_a_closed_path(shape):
    path = geometry.shape_path(shape)
    assert path.startswith("M ") and path.endswith("Z")
    with pytest.raises(ValueError):
        geometry.shape_path("hexagon")


def test_a_mark_without_date_or_period_says_so():
    mark = Mark(date=None, kind="other", label="Studietur", url="/s/", tentative=True)
    with translation.override("en"):
        assert mark.when == "Date not fixed"
        assert mark.accessible_name == "Other: Studietur, Date not fixed"
    # An unknown kind (a source added without its kind) is drawn as "other".
    assert Mark(date=None, kind="eu_call", label="X", url="/x/").kind_info.key == "other"
