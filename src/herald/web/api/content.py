"""Guides and promos: list, create, update, delete, preview.

Both kinds share one router factory: same fields, except that only a promo's
buttons may be tracked clicks (a button without a url) and only a promo has an
alert text (the answer shown when its tracked button is pressed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, Field, model_validator

from herald.db.types import MAX_ID
from herald.runtime import Runtime
from herald.scheduling.content import Button, ContentDraft, ContentItem, Kind
from herald.scheduling.post import preview
from herald.web.api.errors import unprocessable
from herald.web.deps import Admin, RuntimeDep
from herald.web.schemas import RequestModel

MAX_TEXT = 4000  # Telegram allows 4096 characters once the markup is parsed
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
Url = Annotated[str, Field(max_length=2048, pattern=r"^(https?|tg)://\S+$")]


class ButtonIn(RequestModel):
    text: str = Field(min_length=1, max_length=64)
    url: Url | None = Field(None, description="a link; omit for a tracked click (promos only)")
    click: bool = Field(
        False,
        description="promos: a callback button even with a url; the click is answered "
        "with a deep link to the bot, which sends the offer and the url privately",
    )


class ContentIn(RequestModel):
    title: str = Field(min_length=1, max_length=256)
    body: str = Field(min_length=1, max_length=MAX_TEXT)
    footer: str | None = Field(None, max_length=512)
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=8)
    alert_text: str | None = Field(
        None, max_length=200, description="promos: the answer to a tracked click"
    )
    enabled: bool = True

    @model_validator(mode="after")
    def _fits(self) -> ContentIn:
        total = len(self.title) + len(self.body) + len(self.footer or "")
        if total > MAX_TEXT:
            raise ValueError(f"title, body and footer together exceed {MAX_TEXT} characters")
        return self


class ContentPatch(RequestModel):
    title: str | None = Field(None, min_length=1, max_length=256)
    body: str | None = Field(None, min_length=1, max_length=MAX_TEXT)
    footer: str | None = Field(None, max_length=512)
    buttons: list[ButtonIn] | None = Field(None, max_length=8)
    alert_text: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class ButtonOut(BaseModel):
    text: str
    url: str | None
    click: bool = Field(description="a callback button (its clicks are stored)")


class ContentOut(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    footer: str | None
    buttons: list[ButtonOut]
    alert_text: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class PreviewOut(BaseModel):
    text: str = Field(description="the MarkdownV2 text sent to Telegram")
    parse_mode: str
    buttons: list[list[dict[str, str]]] = Field(default_factory=list)
    plain_text: str = Field(description="the text as the chat shows it")


def _out(item: ContentItem) -> ContentOut:
    return ContentOut(
        id=item.id,
        kind=item.kind.value,
        title=item.title,
        body=item.body,
        footer=item.footer,
        buttons=[ButtonOut(text=b.text, url=b.url, click=b.callback) for b in item.buttons],
        alert_text=item.alert_text,
        enabled=item.enabled,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


class ContentRuleError(ValueError):
    """A rule that depends on the kind (guide or promo), naming the field it concerns;
    the API answers it as a 422, the dashboard shows it beside the form."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


@contextlib.contextmanager
def _as_422() -> Iterator[None]:
    try:
        yield
    except ContentRuleError as exc:
        raise unprocessable(["body", *exc.loc], exc.msg) from None


def _guide_fields(kind: Kind, alert_text: str | None) -> None:
    if kind is Kind.GUIDE and alert_text is not None:
        raise ContentRuleError(
            ("alert_text",), "only a promo has an alert text (the answer to a tracked click)"
        )


def _buttons(kind: Kind, buttons: list[ButtonIn]) -> tuple[Button, ...]:
    if kind is Kind.GUIDE:
        for index, button in enumerate(buttons):
            if button.url is None:
                raise ContentRuleError(
                    ("buttons", index, "url"), "a guide's buttons are links: url is required"
                )
            if button.click:
                raise ContentRuleError(
                    ("buttons", index, "click"), "a guide's buttons are links, never tracked"
                )
    return tuple(Button(b.text, b.url, b.click) for b in buttons)


def to_draft(kind: Kind, body: ContentIn) -> ContentDraft:
    """A validated draft; raises ContentRuleError naming the field (API and dashboard)."""
    _guide_fields(kind, body.alert_text)
    return ContentDraft(
        title=body.title,
        body=body.body,
        footer=body.footer,
        buttons=_buttons(kind, body.buttons),
        alert_text=body.alert_text,
        enabled=body.enabled,
    )


def unsaved(kind: Kind, draft: ContentDraft, now: datetime, item_id: int = 0) -> ContentItem:
    """A draft as an item, to preview it before (or without) saving."""
    return ContentItem(
        item_id, kind, draft.title, draft.body, draft.footer, tuple(draft.buttons),
        draft.alert_text, draft.enabled, None, now, now,
    )  # fmt: skip


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
        with _as_422():
            draft = to_draft(kind, body)
        new_id = await runtime.content.create(kind, draft)
        return _out(await found(runtime, new_id))

    @router.post("/preview", summary=f"Preview an unsaved {kind.value}")
    async def preview_draft(body: ContentIn, runtime: RuntimeDep) -> PreviewOut:
        with _as_422():
            item = unsaved(kind, to_draft(kind, body), runtime.clock.now())
        return PreviewOut(**preview(item, runtime.signer, runtime.settings.public_url))

    @router.get("/{item_id}", summary=f"One {kind.value}")
    async def get_item(item_id: ItemId, runtime: RuntimeDep) -> ContentOut:
        return _out(await found(runtime, item_id))

    @router.get("/{item_id}/preview", summary=f"Preview a {kind.value} as it would be posted")
    async def preview_item(item_id: ItemId, runtime: RuntimeDep) -> PreviewOut:
        return PreviewOut(
            **preview(await found(runtime, item_id), runtime.signer, runtime.settings.public_url)
        )

    @router.patch("/{item_id}", summary=f"Change a {kind.value}")
    async def update_item(
        item_id: ItemId, body: ContentPatch, runtime: RuntimeDep, _: Admin
    ) -> ContentOut:
        current = await found(runtime, item_id)
        changes = body.model_dump(exclude_unset=True)
        for required in ("title", "body", "buttons", "enabled"):
            if required in changes and changes[required] is None:
                raise unprocessable(["body", required], "may not be null")
        with _as_422():
            _guide_fields(kind, changes.get("alert_text"))
            if body.buttons is not None:
                changes["buttons"] = _buttons(kind, body.buttons)
        merged = (
            len(changes.get("title", current.title))
            + len(changes.get("body", current.body))
            + len(changes.get("footer", current.footer) or "")
        )
        if merged > MAX_TEXT:
            raise unprocessable(
                ["body"], f"title, body and footer together exceed {MAX_TEXT} characters"
            )
        await runtime.content.update(item_id, kind, changes)
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
