"""Click analytics: per promo, over time, per user, CSV; and registering tracked links."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from herald.db.types import MAX_ID
from herald.runtime import Runtime
from herald.scheduling.content import Kind
from herald.tracking.clicks import ClickQuery, ClickRow
from herald.web.api.errors import unprocessable
from herald.web.deps import Admin, RuntimeDep
from herald.web.scheduling_schemas import Url
from herald.web.schemas import RequestModel, UtcTime

router = APIRouter(tags=["analytics"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Since = Annotated[UtcTime | None, Query(description="clicked at or after (ISO 8601)")]
Until = Annotated[UtcTime | None, Query(description="clicked before (ISO 8601)")]
CSV_COLUMNS = (
    "id", "clicked_at", "source", "promo_id", "cta", "cta_text", "link_id",
    "telegram_user_id", "username", "recipient", "chat_id", "message_id", "meta", "flag",
    "variant", "run_id",
)  # fmt: skip
POST_CSV_COLUMNS = (
    "run_id", "chat_id", "message_id", "sent_at", "members", "clicks", "unique_clickers",
    "flagged", "click_through_rate", "variant",
)  # fmt: skip
JOIN_CSV_COLUMNS = (
    "id", "joined_at", "content_id", "source_chat_id", "target_chat_id", "telegram_user_id",
    "variant",
)  # fmt: skip


class PromoStatsOut(BaseModel):
    promo_id: int
    title: str
    kind: str
    posts: int = Field(description="runs that posted it")
    deliveries: int = Field(description="posts sent (a chat posted to twice counts twice)")
    clicks: int = Field(description="people's clicks (flagged hits left out)")
    unique_clickers: int
    click_through_rate: float | None = Field(
        description="unique clickers / members reached (null: no member count known)"
    )
    first_click: datetime | None
    last_click: datetime | None
    flagged: int = Field(description="hits that were no person (preview, crawler...)")
    chats_reached: int = Field(description="distinct chats it was sent to")
    members_reached: int = Field(description="their members, each chat's latest count")
    chats_without_count: int = Field(description="chats reached whose count is unknown")
    clickers_per_chat: float | None = Field(description="unique clickers / chats reached")
    joins: int = Field(0, description="people who joined a chat by its join buttons' links")


class SourceJoinsOut(BaseModel):
    source_chat_id: str = Field(description="the chat the promo was posted in")
    target_chat_id: str = Field(description="the chat joined")
    joins: int


class JoinsOut(BaseModel):
    promo_id: int
    joins: int
    by_source: list[SourceJoinsOut] = Field(description="most joins first")


class IntervalOut(BaseModel):
    low: float
    high: float


class VariantStatsOut(BaseModel):
    name: str
    body: str
    labels: list[str]
    posts: int = Field(description="posts that showed it (queued, sent or failed)")
    sent: int = Field(description="of them, sent")
    chats_reached: int = Field(description="distinct chats it was sent to")
    members_reached: int = Field(description="those chats' latest member counts, added")
    chats_without_count: int = Field(description="chats reached whose count is not known")
    clicks: int = Field(description="people's clicks (flagged hits left out)")
    unique_clickers: int
    flagged: int = Field(description="hits that were no person")
    click_through_rate: float | None = Field(description="unique clickers / members reached")
    interval: IntervalOut | None = Field(
        description="the rate's 95% Wilson interval; null without members (or above 1)"
    )
    joins: int = Field(description="joins through the variant's own invite links")
    join_rate: float | None = Field(
        None, description="joins / members reached; null for a promo without a join button"
    )
    join_interval: IntervalOut | None = Field(
        None, description="the join rate's 95% Wilson interval, as for clicks"
    )


class VariantReportOut(BaseModel):
    promo_id: int
    running: bool
    started_at: datetime
    ended_at: datetime | None
    kept: str | None
    variants: list[VariantStatsOut]
    winner: str | None = Field(
        description="by clicks: named only when its rate beats every other's at 95% (z-test)"
    )
    winner_by_joins: str | None = Field(
        None, description="by joins / members reached, judged the same way (join buttons only)"
    )


class ClickOut(BaseModel):
    id: int
    source: str
    clicked_at: datetime
    promo_id: int | None
    cta: int | None
    cta_text: str | None
    link_id: int | None
    telegram_user_id: int | None
    username: str | None
    recipient: str | None
    chat_id: str | None
    message_id: int | None
    meta: dict[str, Any] | None
    flag: str | None = Field(
        description="why this hit was no person: head, prefetch, preview, crawler, "
        "scanner; null for a person's click"
    )
    variant: str | None = Field(description="the A/B variant the click's post showed")
    run_id: int | None = Field(
        None, description="a link click's post: the schedule run that posted it in chat_id"
    )


class ClickPage(BaseModel):
    total: int = Field(description="people's clicks matching the filters")
    unique_clickers: int
    flagged: int = Field(description="flagged hits matching the filters (in items too)")
    items: list[ClickOut] = Field(description="newest first")
    next_before_id: int | None = Field(description="pass as before_id for the next page")


class PointOut(BaseModel):
    start: datetime
    clicks: int
    unique_clickers: int
    flagged: int


class ChatReachOut(BaseModel):
    chat_id: str
    posts: int = Field(description="the promo's sent posts in this chat")
    members: int | None = Field(description="the chat's latest member count among them")
    clicks: int
    unique_clickers: int
    flagged: int
    click_through_rate: float | None = Field(description="unique clickers / members")


class PostReachOut(BaseModel):
    run_id: int
    chat_id: str
    message_id: str | None
    sent_at: datetime
    members: int | None = Field(description="the chat's member count when posted")
    clicks: int = Field(description="people's presses on its message and clicks on its links")
    unique_clickers: int
    flagged: int
    click_through_rate: float | None = Field(description="unique clickers / members")
    variant: str | None = Field(None, description="the A/B variant it showed")


class LinkIn(RequestModel):
    target_url: Url
    promo_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="the promo the clicks count for"
    )
    label: str | None = Field(None, max_length=256)
    recipient: str | None = Field(
        None, min_length=1, max_length=255, description="for a message to one recipient"
    )


class LinkOut(BaseModel):
    id: int
    url: str = Field(description="the tracked URL to put in the message")


def _out(row: ClickRow) -> ClickOut:
    return ClickOut.model_validate(row, from_attributes=True)


async def _page(runtime: Runtime, query: ClickQuery, limit: int) -> ClickPage:
    rows = await runtime.clicks.find(query, limit=limit)
    unpaged = ClickQuery(query.promo_id, query.telegram_user_id, query.since, query.until)
    total, unique, flagged = await runtime.clicks.counts(unpaged)
    return ClickPage(
        total=total,
        unique_clickers=unique,
        flagged=flagged,
        items=[_out(r) for r in rows],
        next_before_id=rows[-1].id if len(rows) == limit else None,
    )


@router.get("/analytics/promos", summary="Per promo: posts, deliveries, clicks, CTR")
async def promo_stats(
    runtime: RuntimeDep, kind: Literal["promo", "guide"] = "promo"
) -> list[PromoStatsOut]:
    stats = await runtime.analytics.promos(kind)
    joined = await runtime.joins.counts([s.promo_id for s in stats])
    return [
        PromoStatsOut.model_validate(s, from_attributes=True).model_copy(
            update={"joins": joined.get(s.promo_id, 0)}
        )
        for s in stats
    ]


@router.get("/analytics/promos/{promo_id}/joins", summary="Joins by its invite links")
async def promo_joins(promo_id: Id, runtime: RuntimeDep) -> JoinsOut:
    """Joins per chat the promo was posted in and chat joined (``chat_member`` updates,
    which Telegram sends only to a bot that administers the chat joined)."""
    if await runtime.content.get(promo_id, Kind.PROMO) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"promo {promo_id} not found")
    rows = await runtime.joins.by_source(promo_id)
    return JoinsOut(
        promo_id=promo_id,
        joins=sum(r.joins for r in rows),
        by_source=[SourceJoinsOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get("/analytics/promos/{promo_id}/series", summary="Clicks over time, for charts")
async def promo_series(
    promo_id: Id,
    runtime: RuntimeDep,
    bucket: Literal["hour", "day"] = "hour",
    since: Since = None,
    until: Until = None,
) -> list[PointOut]:
    points = await runtime.analytics.series(promo_id, bucket, since, until)
    return [PointOut.model_validate(p, from_attributes=True) for p in points]


@router.get("/analytics/promos/{promo_id}/chats", summary="Per chat: members, clicks, CTR")
async def promo_chats(promo_id: Id, runtime: RuntimeDep) -> list[ChatReachOut]:
    rows = await runtime.analytics.by_chat(promo_id)
    return [ChatReachOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/analytics/promos/{promo_id}/posts", summary="Per post: members, presses, CTR")
async def promo_posts(promo_id: Id, runtime: RuntimeDep) -> list[PostReachOut]:
    rows = await runtime.analytics.by_post(promo_id)
    return [PostReachOut.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/analytics/promos/{promo_id}/posts.csv",
    response_class=StreamingResponse,
    summary="Per post as CSV: members, presses, CTR",
    responses={200: {"content": {"text/csv": {}}}},
)
async def promo_posts_csv(promo_id: Id, runtime: RuntimeDep) -> StreamingResponse:
    async def rows() -> AsyncIterator[dict[str, Any]]:
        for post in await runtime.analytics.by_post(promo_id):
            yield asdict(post)

    return _csv(rows(), POST_CSV_COLUMNS, f"promo-{promo_id}-posts.csv")


@router.get(
    "/analytics/promos/{promo_id}/joins.csv",
    response_class=StreamingResponse,
    summary="Every join by the promo's invite links, as CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
async def promo_joins_csv(promo_id: Id, runtime: RuntimeDep) -> StreamingResponse:
    return _csv(runtime.joins.export(promo_id), JOIN_CSV_COLUMNS, f"promo-{promo_id}-joins.csv")


@router.get("/analytics/promos/{promo_id}/variants", summary="A promo's A/B test, per variant")
async def promo_variants(promo_id: Id, runtime: RuntimeDep) -> VariantReportOut:
    promo = await runtime.content.get(promo_id, Kind.PROMO)
    if promo is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"promo {promo_id} not found")
    report = await runtime.variant_analytics.report(promo)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"promo {promo_id} has had no A/B test")
    return VariantReportOut.model_validate(report, from_attributes=True)


@router.get(
    "/analytics/clicks.csv",
    response_class=StreamingResponse,
    summary="Every click as CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
async def clicks_csv(
    runtime: RuntimeDep,
    promo_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for click in runtime.analytics.export(promo_id, since, until):
            yield {**click, "meta": json.dumps(click["meta"]) if click["meta"] else ""}

    return _csv(rows(), CSV_COLUMNS, "clicks.csv")


def _csv(
    rows: AsyncIterator[dict[str, Any]], columns: tuple[str, ...], filename: str
) -> StreamingResponse:
    """``rows`` streamed as CSV, in chunks of about 64 kB."""

    async def chunks() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        async for values in rows:
            writer.writerow([_cell(values[c]) for c in columns])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks(), media_type="text/csv", headers=headers)


@router.get("/promos/{promo_id}/clicks", summary="A promo's clicks, newest first")
async def promo_clicks(
    promo_id: Id,
    runtime: RuntimeDep,
    since: Since = None,
    until: Until = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ClickPage:
    if await runtime.content.get(promo_id, Kind.PROMO) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"promo {promo_id} not found")
    return await _page(runtime, ClickQuery(promo_id, None, since, until, before_id), limit)


@router.get("/users/{telegram_user_id}/clicks", summary="One Telegram user's clicks")
async def user_clicks(
    telegram_user_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    runtime: RuntimeDep,
    since: Since = None,
    until: Until = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ClickPage:
    query = ClickQuery(None, telegram_user_id, since, until, before_id)
    return await _page(runtime, query, limit)


@router.post("/links", status_code=status.HTTP_201_CREATED, summary="A tracked link")
async def create_link(body: LinkIn, runtime: RuntimeDep, _: Admin) -> LinkOut:
    """Store a target and get the ``/r/`` URL to put in an email or any message."""
    public_url = runtime.settings.public_url
    if not public_url:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "HERALD_PUBLIC_URL is not set: tracked links need it"
        )
    if body.promo_id is not None and await runtime.content.get(body.promo_id) is None:
        raise unprocessable(["body", "promo_id"], f"no guide or promo with id {body.promo_id}")
    link_id = await runtime.targets.register(body.target_url, body.promo_id, body.label)
    token = runtime.signer.link_token(link_id=link_id, recipient=body.recipient)
    return LinkOut(id=link_id, url=f"{public_url}/r/{token}")


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value
