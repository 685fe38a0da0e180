"""Analytics: clicks over time per promo as a chart, and the click-through table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from herald.tracking.analytics import Bucket
from herald.web.dashboard.auth import User
from herald.web.dashboard.charts import line_chart
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/analytics")
SPANS: dict[str, tuple[Bucket, timedelta]] = {
    "48h": ("hour", timedelta(hours=48)),
    "14d": ("day", timedelta(days=14)),
    "90d": ("day", timedelta(days=90)),
}


Span = Annotated[Literal["48h", "14d", "90d"], Query()]


@dataclass(frozen=True, slots=True)
class Window:
    bucket: Bucket
    start: datetime
    end: datetime
    step: timedelta


def window(span: str, now: datetime) -> Window:
    """The span's buckets, ending with the one ``now`` is in."""
    bucket, length = SPANS[span]
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    moment = now.replace(minute=0, second=0, microsecond=0)
    end = (moment.replace(hour=0) if bucket == "day" else moment) + step
    return Window(bucket, end - length, end, step)


@router.get("", response_class=HTMLResponse)
async def analytics(
    request: Request,
    user: User,
    pages: PagesDep,
    runtime: RuntimeDep,
    span: Span = "14d",
) -> HTMLResponse:
    w = window(span, runtime.clock.now())
    promos = await runtime.analytics.promos()
    series = {}
    for promo in promos:
        if promo.clicks:
            points = await runtime.analytics.series(promo.promo_id, w.bucket, since=w.start)
            series[f"#{promo.promo_id} {promo.title}"] = [(p.start, p.clicks) for p in points]
    chart = line_chart(series, start=w.start, end=w.end, step=w.step)
    return pages.render(
        request,
        "analytics.html",
        user,
        active="analytics",
        promos=promos,
        chart=chart,
        span=span,
        spans=list(SPANS),
    )
