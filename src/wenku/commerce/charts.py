"""A bar chart as plain SVG geometry for a template: no JavaScript, no CDN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH = 600
HEIGHT = 160
AXIS = 18  # room for the date labels under the bars
GAP = 2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int
    label: str  # shown under every seventh bar


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_height: int
    bars: list[Bar]
    maximum: int
    total: int


def bar_chart(series: list[tuple[date, int]]) -> BarChart:
    plot = HEIGHT - AXIS
    maximum = max((value for _day, value in series), default=0)
    slot = WIDTH / max(len(series), 1)
    bars = []
    for index, (day, value) in enumerate(series):
        height = plot * value / maximum if maximum else 0
        # A sliver for non-zero days so a small sale is still visible next to a big one.
        if value and height < 2:
            height = 2
        bars.append(
            Bar(
                x=round(index * slot + GAP / 2, 2),
                y=round(plot - height, 2),
                width=round(max(slot - GAP, 1), 2),
                height=round(height, 2),
                day=day,
                value=value,
                label=day.strftime("%m-%d") if (len(series) - 1 - index) % 7 == 0 else "",
            )
        )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        plot_height=plot,
        bars=bars,
        maximum=maximum,
        total=sum(value for _day, value in series),
    )
