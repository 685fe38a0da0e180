"""One promo's analytics: people's clicks and flagged hits over time, reach, CTR by chat
and by post (docs/tracking.md says what each figure knows and does not)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse

from herald.db.types import MAX_ID
from herald.web.dashboard.auth import User
from herald.web.dashboard.charts import line_chart
from herald.web.dashboard.deps import PagesDep
from herald.web.dashboard.pages.analytics import SPANS, Span, window
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/analytics/promos")


@router.get("/{promo_id}", response_class=HTMLResponse)
async def promo_analytics(
    promo_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    user: User,
    pages: PagesDep,
    runtime: RuntimeDep,
    span: Span = "14d",
) -> HTMLResponse:
    item = await runtime.content.get(promo_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no guide or promo {promo_id}")
    [stats] = [s for s in await runtime.analytics.promos(item.kind) if s.promo_id == promo_id]
    w = window(span, runtime.clock.now())
    points = await runtime.analytics.series(promo_id, w.bucket, since=w.start)
    series = {
        "people's clicks": [(p.start, p.clicks) for p in points],
        "flagged hits": [(p.start, p.flagged) for p in points],
    }
    chart = line_chart(
        series if any(p.clicks or p.flagged for p in points) else {},
        start=w.start,
        end=w.end,
        step=w.step,
    )
    return pages.render(
        request,
        "promo_analytics.html",
        user,
        active="analytics",
        item=item,
        stats=stats,
        chart=chart,
        chats=await runtime.analytics.by_chat(promo_id),
        posts=await runtime.analytics.by_post(promo_id),
        joins=await runtime.joins.by_source(promo_id),
        test=await runtime.variant_analytics.report(item),
        span=span,
        spans=list(SPANS),
    )
