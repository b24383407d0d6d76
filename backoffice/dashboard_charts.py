"""Bar charts drawn on the server as inline SVG: no JavaScript, nothing fetched from
elsewhere. The geometry is computed here; templates/admin/dashboard/_bar_chart.html
draws it. Coordinates are strings with a dot as decimal separator: SVG is not
localised, a French "12,5" would break it.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 20, 28  # room for the axis labels
GRIDLINES = 4


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    center: str  # where the labels under and above the bar are centred
    label: str  # under the bar (the week)
    value: str  # above the bar, and in its tooltip


@dataclass(frozen=True)
class Gridline:
    y: str
    label: str


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    bars: list[Bar]
    gridlines: list[Gridline]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: str = f"{HEIGHT - BOTTOM}"
    label_y: str = f"{HEIGHT - 8}"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[int | Decimal],
    value_text: Callable[[int | Decimal], str],
) -> BarChart:
    """One bar per value, scaled to a round maximum; `value_text` writes a value as
    people read it (thousands separators, currency)."""
    top = nice_ceiling(max(values, default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(values), 1)
    bars = []
    for number, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot_height * float(value) / top
        x = LEFT + slot * number + slot * 0.15
        bars.append(
            Bar(
                x=_coordinate(x),
                y=_coordinate(TOP + plot_height - height),
                width=_coordinate(slot * 0.7),
                height=_coordinate(height),
                center=_coordinate(x + slot * 0.35),
                label=label,
                value=value_text(value),
            )
        )
    gridlines = [
        Gridline(
            y=_coordinate(TOP + plot_height - plot_height * step / GRIDLINES),
            label=value_text(top * step // GRIDLINES),
        )
        for step in range(GRIDLINES + 1)
    ]
    return BarChart(chart_id=chart_id, title=title, bars=bars, gridlines=gridlines)


def nice_ceiling(value: int | Decimal) -> int:
    """A round top for the axis, at or above `value`: GRIDLINES times a step of 1, 2, 2.5
    (from 25 up) or 5 × 10ⁿ, never below 1, so that the gridlines fall on whole numbers
    and an empty chart still has an axis."""
    wanted_step = max(float(value), 1) / GRIDLINES
    power = 10 ** math.floor(math.log10(wanted_step))
    factors = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    step = next(factor * power for factor in factors if factor * power >= wanted_step)
    return int(max(step, 1) * GRIDLINES)


def _coordinate(number: float) -> str:
    return f"{number:.1f}"
