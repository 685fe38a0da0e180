"""``POST /telegram/webhook``: Telegram's updates, when HERALD_TELEGRAM_UPDATES=webhook.

A request without the right ``X-Telegram-Bot-Api-Secret-Token`` is refused (401) and
nothing in it is read. A button press is answered in the response itself
(``{"method": "answerCallbackQuery", ...}``, which the Bot API executes), so a burst of
presses costs no outgoing request per press. Anything else is answered 200, even an update that is
malformed, oversized or fails: Telegram retries non-2xx answers for hours, and a bad
update would otherwise block every update behind it.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse

from herald.web.deps import RuntimeDep

MAX_UPDATE_BYTES = 1 << 20
HANDLED_HEADER = "X-Herald-Handled"
router = APIRouter(tags=["telegram"])
log = structlog.get_logger("herald.bot")


@router.post("/telegram/webhook", response_model=None, summary="Telegram Bot API updates")
async def telegram_webhook(
    request: Request,
    runtime: RuntimeDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> dict[str, Any] | JSONResponse:
    settings = runtime.settings
    expected = settings.telegram_webhook_secret
    if settings.updates_mode != "webhook" or runtime.updates is None or expected is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the Telegram webhook is not enabled")
    if secret is None or not hmac.compare_digest(
        secret.encode(), expected.get_secret_value().encode()
    ):
        log.warning("telegram_webhook_refused", reason="bad secret token")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "X-Telegram-Bot-Api-Secret-Token: missing or wrong"
        )
    body = await _read_at_most(request, MAX_UPDATE_BYTES)
    if body is None:
        runtime.metrics.updates_ignored.labels("oversized").inc()
        log.warning("telegram_update_ignored", reason="oversized")
        return {"ok": True, "handled": "ignored:oversized"}
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8 or JSON, too deep, a 5,000-digit number
        runtime.metrics.updates_ignored.labels("not_json").inc()
        log.warning("telegram_update_ignored", reason="not_json", size=len(body))
        return {"ok": True, "handled": "ignored:not_json"}
    answers: list[dict[str, Any]] = []
    handled = await runtime.updates.handle(update, answers)
    if answers:  # a button press: the answer rides on this response (no call of ours)
        [answer] = answers
        return JSONResponse(
            {"method": "answerCallbackQuery", **answer}, headers={HANDLED_HEADER: handled}
        )
    return {"ok": True, "handled": handled}


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` (read no further: memory stays bounded)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
