"""Guides and promos: list, create, update, delete, preview.

Both kinds share one router factory; what each kind may hold is scheduling's rule
(``scheduling.content_rules``), and a ContentRuleError it raises is answered as a
422 naming the field (web/api/errors.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, Field

from herald.db.types import MAX_ID
from herald.runtime import Runtime
from herald.scheduling.content import ContentItem, Kind
from herald.scheduling.content_rules import check_media, checked, checked_changes
from herald.scheduling.post import preview
from herald.web.api.errors import unprocessable
from herald.web.dashboard.telegram_html import telegram_html
from herald.web.deps import Admin, RuntimeDep
from herald.web.scheduling_schemas import ContentIn, ContentPatch, VariantsEndIn

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ButtonOut(BaseModel):
    text: str
    url: str | None
    click: bool = Field(description="a callback button (its clicks are stored)")
    join_chat_id: str | None = Field(None, description="the chat a join button invites to")


class VariantOut(BaseModel):
    name: str = Field(description="A to D, by position")
    body: str
    labels: list[str]
    media: list[int] | None = Field(
        None, description="the media it shows instead of the promo's; null: the promo's"
    )


class VariantTestOut(BaseModel):
    running: bool
    started_at: datetime
    ended_at: datetime | None
    kept: str | None = Field(description="the variant kept when the test ended")
    variants: list[VariantOut]


class ContentOut(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    format: str = Field(description="plain or markdown (the body's)")
    footer: str | None
    buttons: list[ButtonOut]
    alert_text: str | None
    enabled: bool
    options: dict[str, Any] = Field(
        description="how it is sent, only the fields set (docs/scheduling.md)"
    )
    variants: VariantTestOut | None = Field(
        None, description="promos: the A/B test running, or the last one ended"
    )
    media: list[int] = Field(description="media library ids: a media post, or an album")
    created_at: datetime
    updated_at: datetime


class PreviewOut(BaseModel):
    text: str = Field(description="the text sent to Telegram (no parse mode: as shown)")
    entities: list[dict[str, Any]] = Field(
        default_factory=list, description="its formatting: Telegram MessageEntity objects"
    )
    buttons: list[list[dict[str, str]]] = Field(default_factory=list)
    media: list[int] = Field(
        default_factory=list, description="the media it carries: the text is their caption"
    )
    plain_text: str = Field(description="the text as the chat shows it (the same as text)")
    html: str = Field(description="the post as the Telegram app shows it, drawn in HTML")

    @classmethod
    def of(cls, item: ContentItem, runtime: Runtime) -> PreviewOut:
        shown = preview(item, runtime.signer, runtime.settings.public_url)
        return cls(**shown, html=str(telegram_html(shown["text"], None, shown.get("entities"))))


def _out(item: ContentItem) -> ContentOut:
    return ContentOut(
        id=item.id,
        kind=item.kind.value,
        title=item.title,
        body=item.body,
        format=item.format.value,
        footer=item.footer,
        buttons=[
            ButtonOut(text=b.text, url=b.url, click=b.callback, join_chat_id=b.join_chat_id)
            for b in item.buttons
        ],
        alert_text=item.alert_text,
        enabled=item.enabled,
        options=item.options.to_json(),
        variants=_test(item),
        media=list(item.media),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _test(item: ContentItem) -> VariantTestOut | None:
    test = item.variants
    if test is None:
        return None
    return VariantTestOut(
        running=test.running,
        started_at=test.started_at,
        ended_at=test.ended_at,
        kept=test.kept,
        variants=[
            VariantOut(
                name=name,
                body=v.body,
                labels=list(v.labels),
                media=list(v.media) if v.media is not None else None,
            )
            for name, v in zip(test.names, test.variants, strict=True)
        ],
    )


def content_router(kind: Kind) -> APIRouter:
    plural = f"{kind.value}s"
    router = APIRouter(prefix=f"/{plural}", tags=[plural])

    async def found(runtime: Runtime, item_id: int) -> ContentItem:
        item = await runtime.content.get(item_id, kind)
        if item is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{kind.value} {item_id} not found")
        return item

    @router.get("", summary=f"List {plural}")
    async def list_items(runtime: RuntimeDep) -> list[ContentOut]:
        return [_out(i) for i in await runtime.content.all(kind)]

    @router.post("", status_code=status.HTTP_201_CREATED, summary=f"Create a {kind.value}")
    async def create_item(body: ContentIn, runtime: RuntimeDep, _: Admin) -> ContentOut:
        draft = body.draft()
        await check_media(runtime.media, draft.media, draft.variants)
        new_id = await runtime.content.create(kind, checked(kind, draft))
        return _out(await found(runtime, new_id))

    @router.post("/preview", summary=f"Preview an unsaved {kind.value}")
    async def preview_draft(body: ContentIn, runtime: RuntimeDep) -> PreviewOut:
        draft = body.draft()
        await check_media(runtime.media, draft.media, draft.variants)
        item = checked(kind, draft).unsaved(kind, runtime.clock.now())
        return PreviewOut.of(item, runtime)

    @router.get("/{item_id}", summary=f"One {kind.value}")
    async def get_item(item_id: ItemId, runtime: RuntimeDep) -> ContentOut:
        return _out(await found(runtime, item_id))

    @router.get("/{item_id}/preview", summary=f"Preview a {kind.value} as it would be posted")
    async def preview_item(item_id: ItemId, runtime: RuntimeDep) -> PreviewOut:
        return PreviewOut.of(await found(runtime, item_id), runtime)

    @router.patch("/{item_id}", summary=f"Change a {kind.value}")
    async def update_item(
        item_id: ItemId, body: ContentPatch, runtime: RuntimeDep, _: Admin
    ) -> ContentOut:
        current = await found(runtime, item_id)
        changes = body.model_dump(exclude_unset=True)
        for required in ("title", "body", "buttons", "enabled", "format", "options", "media"):
            if required in changes and changes[required] is None:
                raise unprocessable(["body", required], "may not be null")
        if body.buttons is not None:
            changes["buttons"] = tuple(b.button() for b in body.buttons)
        if body.options is not None:
            changes["options"] = body.options.options()
        if body.variants is not None:
            changes["variants"] = tuple(v.variant() for v in body.variants)
        if body.media is not None:
            changes["media"] = tuple(body.media)
        await check_media(runtime.media, changes.get("media", ()), changes.get("variants"))
        checked_changes(kind, current, changes)
        await runtime.content.update(item_id, kind, changes)
        return _out(await found(runtime, item_id))

    if kind is Kind.PROMO:

        @router.post("/{item_id}/variants/end", summary="End the A/B test, keeping a variant")
        async def end_variants(
            item_id: ItemId, body: VariantsEndIn, runtime: RuntimeDep, _: Admin
        ) -> ContentOut:
            """The kept variant's body and labels become the promo's; the test's record
            stays (analytics keep its figures). ``metric`` keeps the report's winner by
            clicks or by joins, and is refused (409) while that measure names none."""
            keep = body.keep
            if keep is None:
                assert body.metric is not None
                keep = await runtime.variant_analytics.winner(
                    await found(runtime, item_id), body.metric
                )
            if not await runtime.content.end_test(item_id, kind, keep):
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"promo {item_id} not found")
            return _out(await found(runtime, item_id))

    @router.delete(
        "/{item_id}", status_code=status.HTTP_204_NO_CONTENT, summary=f"Delete a {kind.value}"
    )
    async def delete_item(item_id: ItemId, runtime: RuntimeDep, _: Admin) -> Response:
        if not await runtime.content.delete(item_id, kind):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{kind.value} {item_id} not found")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


guides_router = content_router(Kind.GUIDE)
promos_router = content_router(Kind.PROMO)
