"""Updates and callbacks: getUpdates (long polls, offsets), the webhook
methods and answerCallbackQuery."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from tests.support.fake_telegram.replies import Body, error_body, ok
from tests.support.fake_telegram.wire import flag

if TYPE_CHECKING:
    from tests.support.fake_telegram.server import FakeTelegram


async def answer_callback_query(tg: FakeTelegram, _token: str, params: Body) -> tuple[int, Body]:
    if str(params.get("callback_query_id")) not in tg.callback_ids:
        description = (
            "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
        return 400, error_body(400, description)
    tg.answered_callbacks.append(params)
    return 200, ok(True)


async def get_updates(tg: FakeTelegram, _token: str, params: Body) -> tuple[int, Body]:
    if tg.webhook is not None:
        description = (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        return 409, error_body(409, description)
    offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
    if offset > 0:  # confirms every update before it
        tg.updates = [u for u in tg.updates if u["update_id"] >= offset]
    if not tg.updates and float(params.get("timeout") or 0) > 0:
        tg.update_pushed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tg.update_pushed.wait(), float(params["timeout"]))
    return 200, ok(tg.updates[:limit])


async def set_webhook(tg: FakeTelegram, token: str, params: Body) -> tuple[int, Body]:
    if not params.get("url"):
        return await delete_webhook(tg, token, params)
    tg.webhook = params
    return 200, ok(True, description="Webhook was set")


async def delete_webhook(tg: FakeTelegram, _token: str, params: Body) -> tuple[int, Body]:
    if flag(params.get("drop_pending_updates")):
        tg.updates.clear()
    was_set, tg.webhook = tg.webhook is not None, None
    return 200, ok(True, description=f"Webhook {'was' if was_set else 'is already'} deleted")


async def get_webhook_info(tg: FakeTelegram, _token: str, _params: Body) -> tuple[int, Body]:
    url = (tg.webhook or {}).get("url", "")
    info = {"url": url, "has_custom_certificate": False}
    return 200, ok({**info, "pending_update_count": len(tg.updates)})


METHODS = {
    "answerCallbackQuery": answer_callback_query,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
