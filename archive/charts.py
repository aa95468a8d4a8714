"""Geometry for the stats charts; templates draw it as inline SVG (no JavaScript, no library).

Functions return plain numbers and labels, and `*_svg` turns them into <rect>/<text> markup
with every label escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
        Tick(left - 4, round(top + plot_height * (1 - share), 2), _tick_label(peak * share))
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


def share_bars(values: list[int], width: int = 120) -> list[float]:
    """Widths for the small bars beside a top list, relative to its first (largest) entry."""
    peak = max(values, default=0) or 1
    return [round(width * value / peak, 1) for value in values]


def _tick_label(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


# --- markup ---------------------------------------------------------------------------------------
# Built here rather than in a template loop: a long range has hundreds of bars, and Django's
# template engine spends ~0.2 ms per element where an f-string spends microseconds. Every piece
# of text goes through escape().


def bar_chart_svg(chart: BarChart, label: str) -> SafeString:
    name = escape(label)
    out = [
        f'<svg class="chart" role="img" aria-label="{name}" viewBox="0 0 {chart.width} '
        f'{chart.height}" width="100%" preserveAspectRatio="xMinYMin meet"><title>{name}</title>'
    ]
    for tick in chart.y_ticks:
        out.append(
            f'<line x1="{chart.plot_left}" x2="{chart.width}" y1="{tick.y}" y2="{tick.y}"/>'
            f'<text x="{tick.x}" y="{tick.y}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(tick.label)}</text>"
        )
    out += [
        f'<rect class="bar" x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}">'
        f"<title>{escape(bar.title)}</title></rect>"
        for bar in chart.bars
    ]
    out += [
        f'<text x="{tick.x}" y="{tick.y}">{escape(tick.label)}</text>' for tick in chart.x_ticks
    ]
    out.append("</svg>")
    if chart.empty:
        out.append('<p class="muted">No plays in this range.</p>')
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def heatmap_svg(chart: Heatmap, label: str) -> SafeString:
    name = escape(label)
    out = [
        f'<svg class="chart" role="img" aria-label="{name}" viewBox="0 0 {chart.width} '
        f'{chart.height}" width="{chart.width}"><title>{name}</title>'
    ]
    out += [
        f'<text x="{t.x}" y="{t.y}" text-anchor="middle">{escape(t.label)}</text>'
        for t in chart.column_labels
    ]
    out += [
        f'<text x="{t.x}" y="{t.y}" text-anchor="end">{escape(t.label)}</text>'
        for t in chart.row_labels
    ]
    for cell in chart.cells:
        kind = "cell" if cell.opacity else "empty-cell"
        opacity = f' fill-opacity="{cell.opacity}"' if cell.opacity else ""
        out.append(
            f'<rect class="{kind}" x="{cell.x}" y="{cell.y}" width="{chart.cell_width}" '
            f'height="{chart.cell_height}"{opacity}><title>{escape(cell.title)}</title></rect>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
