"""Clicks over time as an SVG line chart, computed here so the page needs no script.

Pure geometry: series in, polylines and axis labels out; the template draws them.
Buckets without clicks count as zero, so a line drops to the axis instead of
skipping a quiet day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PALETTE = ("#2a7de1", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#1098ad", "#c2255c")


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    color: str
    points: str  # "x,y x,y ..." for <polyline points=...>
    total: int


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    peak: int

    @property
    def empty(self) -> bool:
        return not self.lines


def line_chart(
    series: Mapping[str, Sequence[tuple[datetime, int]]],
    *,
    start: datetime,
    end: datetime,
    step: timedelta,
    width: int = 720,
    height: int = 260,
) -> Chart:
    """One line per series over the buckets ``start, start+step, ... < end``."""
    left, right, top, bottom = 44, 12, 12, 28
    buckets: list[datetime] = []
    moment = start
    while moment < end and len(buckets) < 1000:
        buckets.append(moment)
        moment += step
    plot_w, plot_h = width - left - right, height - top - bottom
    counts = {label: [dict(points).get(b, 0) for b in buckets] for label, points in series.items()}
    peak = max((max(c, default=0) for c in counts.values()), default=0)
    scale_top = max(peak, 1)

    def x(index: int) -> float:
        return left + (plot_w * index / (len(buckets) - 1) if len(buckets) > 1 else plot_w / 2)

    def y(value: int) -> float:
        return top + plot_h - plot_h * value / scale_top

    lines = tuple(
        Line(
            label=label,
            color=PALETTE[n % len(PALETTE)],
            points=" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values)),
            total=sum(values),
        )
        for n, (label, values) in enumerate(counts.items())
    )
    every = max(1, len(buckets) // 6)
    fmt = "%d %b" if step >= timedelta(days=1) else "%d %b %H:%M"
    x_ticks = tuple(Tick(x(i), b.strftime(fmt)) for i, b in enumerate(buckets) if i % every == 0)
    y_ticks = tuple(Tick(y(v), str(v)) for v in sorted({0, scale_top // 2, scale_top}))
    return Chart(width, height, left, top + plot_h, lines, x_ticks, y_ticks, peak)
