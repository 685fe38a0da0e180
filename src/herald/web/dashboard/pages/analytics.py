"""Analytics: clicks over time per promo as a chart, and the click-through table."""

from __future__ import annotations

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


def _floor(moment: datetime, bucket: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == "day" else moment


@router.get("", response_class=HTMLResponse)
async def analytics(
    request: Request,
    user: User,
    pages: PagesDep,
    runtime: RuntimeDep,
    span: Annotated[Literal["48h", "14d", "90d"], Query()] = "14d",
) -> HTMLResponse:
    bucket, length = SPANS[span]
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    end = _floor(runtime.clock.now(), bucket) + step
    start = end - length
    promos = await runtime.analytics.promos()
    series = {}
    for promo in promos:
        if promo.clicks:
            points = await runtime.analytics.series(promo.promo_id, bucket, since=start)
            series[f"#{promo.promo_id} {promo.title}"] = [(p.start, p.clicks) for p in points]
    chart = line_chart(series, start=start, end=end, step=step)
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
