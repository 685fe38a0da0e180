"""The analytics chart's geometry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from herald.web.dashboard.charts import line_chart

DAY = timedelta(days=1)
START = datetime(2026, 11, 1, tzinfo=UTC)


def test_quiet_buckets_count_as_zero_and_the_peak_reaches_the_top() -> None:
    chart = line_chart(
        {"promo": [(START, 2), (START + 2 * DAY, 4)]}, start=START, end=START + 3 * DAY, step=DAY,
        width=300, height=140,
    )  # fmt: skip
    [line] = chart.lines
    ys = [float(p.split(",")[1]) for p in line.points.split()]
    xs = [float(p.split(",")[0]) for p in line.points.split()]
    top, bottom = 12.0, float(chart.bottom)
    assert ys == [bottom - (bottom - top) / 2, bottom, top]
    assert xs[0] == chart.left and xs[-1] == 300 - 12
    assert (line.total, chart.peak) == (6, 4)
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4"]


def test_each_series_gets_its_own_colour_and_no_series_is_empty() -> None:
    chart = line_chart(
        {"a": [(START, 1)], "b": [(START, 1)]}, start=START, end=START + DAY, step=DAY
    )
    assert len({line.color for line in chart.lines}) == 2
    assert line_chart({}, start=START, end=START + DAY, step=DAY).empty


def test_hourly_ticks_name_the_hour() -> None:
    hour = timedelta(hours=1)
    chart = line_chart({"a": []}, start=START, end=START + 48 * hour, step=hour)
    assert chart.x_ticks[0].label == "01 Nov 00:00"
    assert len(chart.x_ticks) <= 7
