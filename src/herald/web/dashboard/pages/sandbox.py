"""The sandbox inbox: what channels without credentials would have sent, as it would
look; a post's callback buttons can be pressed, as in a chat."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from herald.channel import Channel
from herald.channels.sandbox import read_inbox
from herald.runtime import Runtime
from herald.web.dashboard import media_form
from herald.web.dashboard.auth import DashboardUser, Operator, User
from herald.web.dashboard.deps import PagesDep
from herald.web.dashboard.paging import one_page
from herald.web.dashboard.render import Pages
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/sandbox")
PAGE = 50


@router.get("", response_class=HTMLResponse)
async def sandbox(
    request: Request,
    user: User,
    pages: PagesDep,
    runtime: RuntimeDep,
    channel: Annotated[str, Query(pattern="^(|telegram|email|push)$")] = "",
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    return await _inbox(request, user, pages, runtime, channel, before_id)


async def _inbox(
    request: Request,
    user: DashboardUser,
    pages: Pages,
    runtime: Runtime,
    channel: str = "",
    before_id: int | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    messages, last = one_page(
        await read_inbox(runtime.db, channel=channel or None, limit=PAGE + 1, before_id=before_id),
        PAGE,
    )
    return pages.render(
        request,
        "sandbox.html",
        user,
        status_code=status_code,
        active="sandbox",
        messages=messages,
        channel=channel,
        next_before=last["id"] if last else None,
        can_press=user.can_change and runtime.sandbox_callbacks is not None,
        media=await media_form.of_payloads(runtime, [m["payload"] for m in messages]),
        **context,
    )


@router.post("/{message_id}/press", response_class=HTMLResponse)
async def press(
    request: Request,
    message_id: int,
    user: Operator,
    pages: PagesDep,
    runtime: RuntimeDep,
    data: Annotated[str, Form(max_length=256)] = "",
) -> HTMLResponse:
    """A press of a callback button, handed to the bot's own callback handling (the
    signature checked, the click stored, the answer made) as Telegram would hand it
    over: the data is whatever the client sent, so a forged one is refused the same way."""
    callbacks = runtime.sandbox_callbacks
    if callbacks is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "Telegram has a bot token: press buttons in Telegram"
        )
    found = await read_inbox(
        runtime.db, channel=Channel.TELEGRAM, limit=1, before_id=message_id + 1
    )
    if not found or found[0]["id"] != message_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no sandbox Telegram message {message_id}")
    chat = str(found[0]["recipient"])
    query = {
        "id": f"sandbox-{secrets.token_hex(8)}",
        # Each dashboard key presses as its own sandbox user, so unique clickers count.
        "from": {"id": user.principal.key_id, "is_bot": False, "first_name": user.principal.name},
        "message": {
            "message_id": message_id,
            "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else chat},
        },
        "chat_instance": "sandbox",
        "data": data,
    }
    answers: list[dict[str, Any]] = []
    outcome = await callbacks.handle(query, answers)
    return await _inbox(
        request,
        user,
        pages,
        runtime,
        status_code=status.HTTP_200_OK if outcome == "clicked" else status.HTTP_400_BAD_REQUEST,
        pressed=message_id,
        answer=answers[0] if answers else None,
    )
