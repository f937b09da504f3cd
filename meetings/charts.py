"""Geometry for the charts the portal draws as server-side SVG.

Pure functions: they take numbers and labels and return positions and sizes in SVG user units,
so templates only place what is computed here and no chart library reaches the browser.
"""

from collections.abc import Iterable
from dataclasses import dataclass

# Layout in SVG user units (the viewBox). At the chart's natural width one unit is one CSS pixel.
CHART_WIDTH = 640
ROW_HEIGHT = 28
BAR_HEIGHT = 18
PADDING = 8
LABEL_GAP = 8
# Room right of the longest bar for its figure, such as "12 (3)".
VALUE_WIDTH = 64
# A rough average glyph width of the 14px sans-serif labels, to size the label column.
CHAR_WIDTH = 7.5
MIN_LABEL_WIDTH = 80
MAX_LABEL_WIDTH = 240


@dataclass(frozen=True)
class BarItem:
    """One bar to draw: confirmed registrations, then those on the waiting list."""

    label: str
    confirmed: int
    waitlisted: int = 0

    @property
    def total(self) -> int:
        return self.confirmed + self.waitlisted


@dataclass(frozen=True)
class Bar:
    label: str
    confirmed: int
    waitlisted: int
    y: float
    text_y: float
    confirmed_width: float
    waitlisted_x: float
    waitlisted_width: float
    value_x: float

    @property
    def total(self) -> int:
        return self.confirmed + self.waitlisted

    @property
    def width(self) -> float:
        return self.confirmed_width + self.waitlisted_width

    @property
    def value_text(self) -> str:
        """The figure beside the bar, written as in the table: confirmed (waiting list)."""
        if self.waitlisted:
            return f"{self.confirmed} ({self.waitlisted})"
        return str(self.confirmed)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_x: float
    bar_x: float
    axis_top: float
    axis_bottom: float
    bar_height: int
    bars: tuple[Bar, ...]
    # Items with a total above zero; more than len(bars) when `limit` left some out.
    items_with_total: int = 0

    @property
    def is_cut(self) -> bool:
        return self.items_with_total > len(self.bars)

    @property
    def has_waitlisted(self) -> bool:
        return any(bar.waitlisted for bar in self.bars)


def _shorten(label: str, max_chars: int) -> str:
    return label if len(label) <= max_chars else label[: max_chars - 1].rstrip() + "…"


def horizontal_bar_chart(
    items: Iterable[BarItem], *, width: int = CHART_WIDTH, limit: int | None = None
) -> BarChart:
    """Lay out one horizontal bar per item with a total above zero, longest first, ties by
    label, at most `limit` of them. Bar lengths are proportional to the totals; the longest
    fills the plot area."""
    with_total = sorted(
        (item for item in items if item.total > 0),
        key=lambda item: (-item.total, item.label.casefold(), item.label),
    )
    shown = with_total[:limit]
    max_label_chars = int((MAX_LABEL_WIDTH - LABEL_GAP) // CHAR_WIDTH)
    labels = [_shorten(item.label, max_label_chars) for item in shown]
    label_width = min(
        max(
            (len(label) * CHAR_WIDTH + LABEL_GAP for label in labels),
            default=MIN_LABEL_WIDTH,
        ),
        MAX_LABEL_WIDTH,
    )
    label_width = max(label_width, MIN_LABEL_WIDTH)
    bar_x = PADDING + label_width
    plot_width = width - bar_x - VALUE_WIDTH - PADDING
    largest = max((item.total for item in shown), default=0)
    scale = plot_width / largest if largest else 0

    bars = []
    for index, (item, label) in enumerate(zip(shown, labels, strict=True)):
        top = PADDING + index * ROW_HEIGHT
        y = top + (ROW_HEIGHT - BAR_HEIGHT) / 2
        confirmed_width = round(item.confirmed * scale, 2)
        waitlisted_width = round(item.waitlisted * scale, 2)
        bars.append(
            Bar(
                label=label,
                confirmed=item.confirmed,
                waitlisted=item.waitlisted,
                y=y,
                # The middle of the bar, nudged down to centre digits on it.
                text_y=round(y + BAR_HEIGHT / 2 + 5, 2),
                confirmed_width=confirmed_width,
                waitlisted_x=round(bar_x + confirmed_width, 2),
                waitlisted_width=waitlisted_width,
                value_x=round(bar_x + confirmed_width + waitlisted_width + 6, 2),
            )
        )
    height = PADDING * 2 + len(bars) * ROW_HEIGHT
    return BarChart(
        width=width,
        height=height,
        label_x=bar_x - LABEL_GAP,
        bar_x=bar_x,
        axis_top=PADDING,
        axis_bottom=height - PADDING,
        bar_height=BAR_HEIGHT,
        bars=tuple(bars),
        items_with_total=len(with_total),
    )
