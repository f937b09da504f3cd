"""Geometry of the annual wheel, drawn as server-side SVG like meetings/charts.py.

Pure functions: they take a year, its marks and the month names and return positions and SVG
path data in user units, so templates only place what is computed here. The year runs
clockwise from the top (1 January) round the circle; each day takes an equal angle, so a
month's sector is as wide as the month is long and a mark lies inside its month's sector.
"""

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .marks import Mark

SIZE = 600
CENTRE = SIZE / 2
# The month ring.
RING_OUTER = 292
RING_INNER = 246
# Tentative periods are arcs just inside the ring.
PERIOD_RADIUS = 236
# Meetings on the outer lanes, deadlines (and other `inner` kinds) further in.
MEETING_RADIUS = 212
INNER_RADIUS = 140
LANE_STEP = 26
LANES = 3
# Half the size of a mark, and the least distance between two marks on one lane.
MARK_SIZE = 10
MIN_GAP = 24
# The "today" hand starts off the year in the centre.
HAND_START = 62
# The legend of the standalone file, under the wheel.
LEGEND_TOP = SIZE + 16
LEGEND_ROW = 26
LEGEND_COLUMNS = 2

SHAPES = ("circle", "square", "diamond", "triangle", "cross", "star")


def _r(value: float) -> float:
    return round(value, 2)


def days_in_year(year: int) -> int:
    return 366 if dt.date(year, 12, 31).timetuple().tm_yday == 366 else 365


def day_start_angle(day: dt.date) -> float:
    """Degrees clockwise from the top where `day` begins."""
    return 360 * (day.timetuple().tm_yday - 1) / days_in_year(day.year)


def day_end_angle(day: dt.date) -> float:
    return 360 * day.timetuple().tm_yday / days_in_year(day.year)


def day_angle(day: dt.date) -> float:
    """Degrees clockwise from the top of the middle of `day`."""
    return (day_start_angle(day) + day_end_angle(day)) / 2


def point(radius: float, angle: float, centre: float = CENTRE) -> tuple[float, float]:
    radians = math.radians(angle)
    return _r(centre + radius * math.sin(radians)), _r(centre - radius * math.cos(radians))


def angle_of(x: float, y: float, centre: float = CENTRE) -> float:
    """The angle of a point, as `point` measures it (for tests and checks)."""
    return math.degrees(math.atan2(x - centre, centre - y)) % 360


def arc_path(radius: float, start: float, end: float) -> str:
    """An arc clockwise from `start` to `end` degrees."""
    x1, y1 = point(radius, start)
    x2, y2 = point(radius, end)
    large = 1 if end - start > 180 else 0
    return f"M {x1} {y1} A {radius} {radius} 0 {large} 1 {x2} {y2}"


def sector_path(inner: float, outer: float, start: float, end: float) -> str:
    """A ring's sector from `start` to `end` degrees, between the two radii."""
    ox1, oy1 = point(outer, start)
    ox2, oy2 = point(outer, end)
    ix1, iy1 = point(inner, end)
    ix2, iy2 = point(inner, start)
    large = 1 if end - start > 180 else 0
    return (
        f"M {ox1} {oy1} A {outer} {outer} 0 {large} 1 {ox2} {oy2} "
        f"L {ix1} {iy1} A {inner} {inner} 0 {large} 0 {ix2} {iy2} Z"
    )


def shape_path(shape: str, size: float = MARK_SIZE) -> str:
    """A mark's outline centred on the origin; `size` is about half its width."""
    s = size
    if shape == "circle":
        return f"M {-s} 0 A {s} {s} 0 1 0 {s} 0 A {s} {s} 0 1 0 {-s} 0 Z"
    if shape == "square":
        a = _r(s * 0.88)
        return f"M {-a} {-a} H {a} V {a} H {-a} Z"
    if shape == "diamond":
        d = _r(s * 1.25)
        return f"M 0 {-d} L {d} 0 L 0 {d} L {-d} 0 Z"
    if shape == "triangle":
        h, w, b = _r(s * 1.2), _r(s * 1.15), _r(s * 0.85)
        return f"M 0 {-h} L {w} {b} L {-w} {b} Z"
    if shape == "cross":
        a, w = s, _r(s * 0.36)
        return (
            f"M {-w} {-a} H {w} V {-w} H {a} V {w} H {w} V {a} H {-w} V {w} H {-a} V {-w} H {-w} Z"
        )
    if shape == "star":
        points = []
        for i in range(10):
            radius = s * 1.25 if i % 2 == 0 else s * 0.55
            x, y = point(radius, i * 36, centre=0)
            points.append(f"{x} {y}")
        return "M " + " L ".join(points) + " Z"
    raise ValueError(f"unknown shape {shape!r}")


@dataclass(frozen=True)
class MonthSector:
    month: int
    label: str
    path: str
    start_angle: float
    end_angle: float
    label_x: float
    label_y: float
    # Turned along the ring, and never upside down.
    label_rotation: float
    shaded: bool


@dataclass(frozen=True)
class PlacedMark:
    mark: Mark
    number: int
    x: float
    y: float
    angle: float
    path: str
    # The tentative period's arc, if the mark stands for one.
    period_path: str = ""


@dataclass(frozen=True)
class LegendItem:
    label: str
    shape_path: str
    css: str
    tentative: bool
    x: float
    y: float
    text_x: float


@dataclass(frozen=True)
class Wheel:
    year: int
    size: int
    height: int
    centre: float
    ring_outer: float
    ring_inner: float
    months: tuple[MonthSector, ...]
    marks: tuple[PlacedMark, ...]
    # Marks with no month to be drawn at (a period such as "etter avtale").
    unplaced: tuple[Mark, ...]
    hand: tuple[float, float, float, float] | None
    legend: tuple[LegendItem, ...] = ()
    # With a legend: the heading's and each unplaced mark's baseline under it.
    unplaced_heading_y: float = 0
    unplaced_lines: tuple[tuple[Mark, float], ...] = ()


def _lanes(marks: Sequence[tuple[Mark, float]], radius: float, gap: float):
    """Give each (mark, angle) a radius: the first lane, inward, whose last mark is at least
    `gap` units away along the lane; when every lane is crowded, the least crowded one."""
    last: list[float | None] = [None] * LANES
    placed = []
    for mark, angle in sorted(marks, key=lambda pair: (pair[1], pair[0].sort_key)):
        distances = []
        for lane in range(LANES):
            lane_radius = radius - lane * LANE_STEP
            previous = last[lane]
            if previous is None:
                distance = math.inf
            else:
                distance = math.radians(angle - previous) * lane_radius
            distances.append(distance)
        lane = next(
            (lane for lane, distance in enumerate(distances) if distance >= gap),
            max(range(LANES), key=lambda lane: distances[lane]),
        )
        last[lane] = angle
        placed.append((mark, angle, radius - lane * LANE_STEP))
    return placed


def wheel_layout(
    year: int,
    marks: Iterable[Mark],
    month_labels: Sequence[str],
    *,
    today: dt.date | None = None,
    mark_size: float = MARK_SIZE,
    legend: Sequence[tuple[str, str, str, bool]] = (),
) -> Wheel:
    """Lay out the year's wheel: twelve month sectors, each mark of `year` at its day (a
    tentative period at its middle, with an arc over it), the "today" hand when `today` is in
    the year, and, for the standalone file, `legend` rows of (label, shape, css class,
    tentative) under the wheel. Marks are numbered in date order, as the table lists them."""
    months = []
    middle = (RING_INNER + RING_OUTER) / 2
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        last = (dt.date(year, month + 1, 1) if month < 12 else dt.date(year + 1, 1, 1)) - (
            dt.timedelta(days=1)
        )
        start, end = day_start_angle(first), day_end_angle(last)
        mid = (start + end) / 2
        label_x, label_y = point(middle, mid)
        months.append(
            MonthSector(
                month=month,
                label=month_labels[month - 1],
                path=sector_path(RING_INNER, RING_OUTER, start, end),
                start_angle=_r(start),
                end_angle=_r(end),
                label_x=label_x,
                label_y=label_y,
                label_rotation=_r(mid if mid <= 90 or mid >= 270 else mid - 180),
                shaded=month % 2 == 0,
            )
        )

    ordered = sorted(marks, key=lambda mark: mark.sort_key)
    numbers = {id(mark): number for number, mark in enumerate(ordered, start=1)}
    outer: list[tuple[Mark, float]] = []
    inner: list[tuple[Mark, float]] = []
    unplaced: list[Mark] = []
    for mark in ordered:
        if mark.date is None or mark.date.year != year:
            unplaced.append(mark)
            continue
        if mark.until is not None:
            until = min(mark.until, dt.date(year, 12, 31))
            angle = (day_start_angle(mark.date) + day_end_angle(until)) / 2
        else:
            angle = day_angle(mark.date)
        (inner if mark.kind_info.inner else outer).append((mark, angle))

    gap = MIN_GAP * mark_size / MARK_SIZE
    placed = []
    for group, radius in ((outer, MEETING_RADIUS), (inner, INNER_RADIUS)):
        for mark, angle, lane_radius in _lanes(group, radius, gap):
            x, y = point(lane_radius, angle)
            period = ""
            if mark.until is not None:
                until = min(mark.until, dt.date(year, 12, 31))
                period = arc_path(PERIOD_RADIUS, day_start_angle(mark.date), day_end_angle(until))
            placed.append(
                PlacedMark(
                    mark=mark,
                    number=numbers[id(mark)],
                    x=x,
                    y=y,
                    angle=_r(angle),
                    path=shape_path(mark.kind_info.shape, mark_size),
                    period_path=period,
                )
            )
    placed.sort(key=lambda placed_mark: placed_mark.number)

    hand = None
    if today is not None and today.year == year:
        hand = (*point(HAND_START, day_angle(today)), *point(RING_INNER - 4, day_angle(today)))

    legend_items = []
    for index, (label, shape, css, tentative) in enumerate(legend):
        column, row = index % LEGEND_COLUMNS, index // LEGEND_COLUMNS
        x = 40 + column * (SIZE / LEGEND_COLUMNS)
        y = LEGEND_TOP + row * LEGEND_ROW + LEGEND_ROW / 2
        legend_items.append(
            LegendItem(label, shape_path(shape, 8), css, tentative, _r(x), _r(y), _r(x + 18))
        )
    rows = math.ceil(len(legend_items) / LEGEND_COLUMNS)
    height = SIZE + (rows * LEGEND_ROW + 24 if legend_items else 0)
    heading_y, lines = 0, []
    if legend_items and unplaced:
        heading_y = height
        for index, mark in enumerate(unplaced, start=1):
            lines.append((mark, _r(heading_y + index * LEGEND_ROW)))
        height = heading_y + len(unplaced) * LEGEND_ROW + 24

    return Wheel(
        year=year,
        size=SIZE,
        height=int(height),
        centre=CENTRE,
        ring_outer=RING_OUTER,
        ring_inner=RING_INNER,
        months=tuple(months),
        marks=tuple(placed),
        unplaced=tuple(unplaced),
        hand=hand,
        legend=tuple(legend_items),
        unplaced_heading_y=heading_y,
        unplaced_lines=tuple(lines),
    )
