"""Guides and promos: the list, an edit form, and a preview drawn like the Telegram post.

The form goes through the API's own input model (``ContentIn``) and scheduling's
rules (``content_rules.checked``), so the dashboard accepts exactly what the API
accepts and names the same fields when it refuses.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from herald.media import MediaKind
from herald.scheduling.content import ContentDraft, ContentItem, Format, Kind
from herald.scheduling.content_rules import (
    MAX_BUTTONS,
    ContentRuleError,
    check_media,
    checked,
)
from herald.scheduling.options import NO_OPTIONS
from herald.scheduling.post import render_post
from herald.scheduling.variants import VariantTest
from herald.tracking.variants import Metric
from herald.web.dashboard import media_form, post_options, variants_form
from herald.web.dashboard.auth import DashboardUser, Operator, User
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep
from herald.web.scheduling_schemas import ContentIn

router = APIRouter(prefix="/content")
BUTTON_ROWS = MAX_BUTTONS
# "End test" choices that keep the report's winner by a measure rather than a variant
WINNERS: dict[str, Metric] = {"winner:clicks": "clicks", "winner:joins": "joins"}


@router.get("", response_class=HTMLResponse)
async def content_list(
    request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    return pages.render(
        request,
        "content.html",
        user,
        active="content",
        guides=await runtime.content.all(Kind.GUIDE),
        promos=await runtime.content.all(Kind.PROMO),
    )


async def _found(runtime: RuntimeDep, item_id: int) -> ContentItem:
    item = await runtime.content.get(item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no guide or promo with id {item_id}")
    return item


def _form_of(item: ContentItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "body": item.body,
        "format": item.format.value,
        "footer": item.footer or "",
        "alert_text": item.alert_text or "",
        "enabled": item.enabled,
        "buttons": [
            {"text": b.text, "url": b.url or "", "click": b.callback, "join": b.join_chat_id or ""}
            for b in item.buttons
        ],
        **post_options.form_of(item.options),
        "variants": variants_form.form_of(item),
        "media": list(item.media),
    }


async def _read_form(request: Request) -> dict[str, Any]:
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    buttons = []
    for i in range(BUTTON_ROWS):
        label, url = text(f"button-{i}-text"), text(f"button-{i}-url")
        join = text(f"button-{i}-join")
        if label or url or join:
            click = bool(form.get(f"button-{i}-click"))
            buttons.append({"text": label, "url": url, "click": click, "join": join})
    return {
        "title": text("title"),
        "body": text("body"),
        "format": text("format") or Format.PLAIN.value,
        "footer": text("footer"),
        "alert_text": text("alert_text"),
        "enabled": bool(form.get("enabled")),
        "buttons": buttons,
        **post_options.read(form),
        "variants": variants_form.read(form),
        "media": media_form.read(form),
    }


async def _validate(
    runtime: RuntimeDep, kind: Kind, data: dict[str, Any]
) -> tuple[ContentDraft | None, list[str]]:
    """The draft, or the errors as "field: reason" lines (the API's wording)."""
    body = {
        **{k: v for k, v in data.items() if not k.startswith("opt_")},
        "options": post_options.body(data),
        "variants": variants_form.body(data["variants"]),
        "footer": data["footer"] or None,
        "alert_text": data["alert_text"] or None,
        "buttons": [
            {
                "text": b["text"],
                "url": b["url"] or None,
                "click": b["click"] and bool(b["url"]),
                "join_chat_id": b.get("join") or None,
            }
            for b in data["buttons"]
        ],
    }
    try:
        draft = ContentIn.model_validate(body).draft()
        await check_media(runtime.media, draft.media, draft.variants)
        return checked(kind, draft), []
    except ValidationError as exc:
        return None, [f"{_field(e['loc'])}: {e['msg']}" for e in exc.errors()]
    except ContentRuleError as exc:
        return None, [f"{_field(exc.loc)}: {exc.msg}"]


async def _submitted(
    request: Request, runtime: RuntimeDep, kind: Kind, may_upload: bool
) -> tuple[dict[str, Any], ContentDraft | None, list[str]]:
    """The form as sent, with its uploaded file added to the library (operators only),
    and the draft it makes or why not."""
    form = await _read_form(request)
    refused = await media_form.upload(request, runtime, form["media"]) if may_upload else []
    draft, errors = await _validate(runtime, kind, form)
    return form, None if refused else draft, refused + errors


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "form"


async def _page(
    request: Request,
    pages: PagesDep,
    runtime: RuntimeDep,
    user: DashboardUser,
    kind: Kind,
    item_id: int | None,
    form: dict[str, Any],
    draft: ContentDraft | None,
    errors: list[str],
    test: VariantTest | None = None,
) -> HTMLResponse:
    offered, media = await media_form.shown(runtime, form["media"])
    payload = None
    if draft is not None:
        shown = draft.unsaved(kind, runtime.clock.now(), item_id or 0)
        payload = render_post(shown, runtime.signer, runtime.settings.public_url)
    return pages.render(
        request,
        "content_edit.html",
        user,
        formats=[f.value for f in Format],
        status_code=422 if errors else 200,
        active="content",
        kind=kind.value,
        item_id=item_id,
        form=form,
        rows=[*form["buttons"], *[{}] * min(2, BUTTON_ROWS - len(form["buttons"]))],
        variant_rows=variants_form.shown(form["variants"]),
        test=test,
        payload=payload,
        errors=errors,
        offered=offered,
        media=media,
        kinds=[k.value for k in MediaKind],
    )


@router.get("/new/{kind}", response_class=HTMLResponse)
async def new_item(
    kind: Kind, request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    form = {"title": "", "body": "", "format": Format.PLAIN.value, "footer": "", "alert_text": "",
            "enabled": True, "buttons": [], **post_options.form_of(NO_OPTIONS),
            "variants": [],
            "media": []}  # fmt: skip
    return await _page(request, pages, runtime, user, kind, None, form, None, [])


@router.post("/new/{kind}")
async def create_item(
    kind: Kind, request: Request, user: Operator, pages: PagesDep, runtime: RuntimeDep
) -> Response:
    form, draft, errors = await _submitted(request, runtime, kind, may_upload=True)
    if draft is None:
        return await _page(request, pages, runtime, user, kind, None, form, None, errors)
    new_id = await runtime.content.create(kind, draft)
    return RedirectResponse(f"/content/{new_id}?notice=saved", status.HTTP_303_SEE_OTHER)


@router.get("/{item_id}", response_class=HTMLResponse)
async def edit_item(
    item_id: int, request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    item = await _found(runtime, item_id)
    form = _form_of(item)
    draft, _ = await _validate(runtime, item.kind, form)
    return await _page(
        request, pages, runtime, user, item.kind, item_id, form, draft, [], item.variants
    )


@router.post("/{item_id}/preview", response_class=HTMLResponse)
async def preview_item(
    item_id: int, request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    """The form's text as it would be posted, without saving (viewers may preview too)."""
    item = await _found(runtime, item_id)
    form, draft, errors = await _submitted(request, runtime, item.kind, user.can_change)
    return await _page(request, pages, runtime, user, item.kind, item_id, form, draft, errors)


@router.post("/{item_id}")
async def save_item(
    item_id: int, request: Request, user: Operator, pages: PagesDep, runtime: RuntimeDep
) -> Response:
    item = await _found(runtime, item_id)
    form, draft, errors = await _submitted(request, runtime, item.kind, may_upload=True)
    if draft is None:
        return await _page(request, pages, runtime, user, item.kind, item_id, form, None, errors)
    await runtime.content.replace(item_id, item.kind, draft)
    return RedirectResponse(f"/content/{item_id}?notice=saved", status.HTTP_303_SEE_OTHER)


@router.post("/{item_id}/variants/end")
async def end_variants(
    item_id: int, request: Request, user: Operator, pages: PagesDep, runtime: RuntimeDep
) -> Response:
    """End the A/B test keeping the chosen variant, or the analytics' winner by clicks or
    by joins (VariantError, as when there is none: the error page)."""
    item = await _found(runtime, item_id)
    chosen = (await request.form()).get("keep")
    keep = chosen if isinstance(chosen, str) else ""
    if keep in WINNERS:
        keep = await runtime.variant_analytics.winner(item, WINNERS[keep])
    await runtime.content.end_test(item_id, item.kind, keep)
    return RedirectResponse(f"/content/{item_id}?notice=test+ended", status.HTTP_303_SEE_OTHER)
