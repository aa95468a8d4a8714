"""Geometry for the stats charts; templates draw it as inline SVG (no JavaScript, no library).

Functions return plain numbers and labels; `templates/archive/_charts.html` turns them into
<rect>/<text> elements, where Django's autoescaping covers every label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot_left: int
    plot_bottom: int
    empty: bool


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _label(day: date, by: str) -> str:
    if by == "month":
        return day.strftime("%b %Y")
    if by == "week":
        return f"w/c {day:%d %b %Y}"
    return day.strftime("%d %b %Y")


def bar_chart(
    points: list[tuple[date, int]],
    *,
    by: str,
    unit: str,
    width: int = 720,
    height: int = 200,
) -> BarChart:
    left, bottom, top = 44, 22, 8
    plot_width, plot_height = width - left - 4, height - bottom - top
    peak = _nice_max(max((value for _, value in points), default=0))
    count = max(len(points), 1)
    slot = plot_width / count
    gap = 1 if slot > 3 else 0
    bars = []
    for index, (day, value) in enumerate(points):
        bar_height = plot_height * value / peak
        bars.append(
            Bar(
                x=round(left + index * slot, 2),
                y=round(top + plot_height - bar_height, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(bar_height, 2),
                title=f"{_label(day, by)}: {value:,} {unit}",
            )
        )
    every = max(count // 6, 1)
    x_ticks = [
        Tick(round(left + index * slot, 2), height - 6, _short(day, by))
        for index, (day, _) in enumerate(points)
        if index % every == 0
    ]
    y_ticks = [
        Tick(left - 4, round(top + plot_height * (1 - share), 2), f"{int(peak * share):,}")
        for share in (0, 0.5, 1)
    ]
    return BarChart(
        width,
        height,
        bars,
        x_ticks,
        y_ticks,
        left,
        top + plot_height,
        empty=not any(value for _, value in points),
    )


def _short(day: date, by: str) -> str:
    if by == "month":
        return day.strftime("%b %y")
    return day.strftime("%d %b")


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    opacity: float
    title: str


@dataclass(frozen=True)
class Heatmap:
    width: int
    height: int
    cells: list[Cell]
    cell_width: int
    cell_height: int
    row_labels: list[Tick]
    column_labels: list[Tick]


def heatmap(grid: list[list[int]]) -> Heatmap:
    """The listening clock: weekdays down, hours across, darker = more plays."""
    cell_width, cell_height, left, top = 26, 20, 40, 18
    peak = max((value for row in grid for value in row), default=0) or 1
    cells = [
        Cell(
            x=left + hour * cell_width,
            y=top + weekday * cell_height,
            opacity=round(0.06 + 0.94 * value / peak, 3) if value else 0.0,
            title=f"{WEEKDAYS[weekday]} {hour:02d}:00–{hour:02d}:59: {value:,} plays",
        )
        for weekday, row in enumerate(grid)
        for hour, value in enumerate(row)
    ]
    rows = [Tick(left - 6, top + i * cell_height + 14, name) for i, name in enumerate(WEEKDAYS)]
    columns = [Tick(left + hour * cell_width + 13, 12, f"{hour:02d}") for hour in range(0, 24, 3)]
    return Heatmap(
        left + 24 * cell_width + 2,
        top + 7 * cell_height + 2,
        cells,
        cell_width - 2,
        cell_height - 2,
        rows,
        columns,
    )


def share_bars(values: list[int], width: int = 160) -> list[float]:
    """Widths for the small bars beside a top list, relative to its first (largest) entry."""
    peak = max(values, default=0) or 1
    return [round(width * value / peak, 1) for value in values]
