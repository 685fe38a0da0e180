"""Updates and callbacks: getUpdates (long polls, offsets, allowed_updates), the webhook
methods and answerCallbackQuery."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from tests.support.fake_telegram.replies import Body, error_body, ok
from tests.support.fake_telegram.wire import flag

if TYPE_CHECKING:
    from tests.support.fake_telegram.server import FakeTelegram

# Updates Telegram sends only to a bot that lists them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


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
    if isinstance(params.get("allowed_updates"), list):
        tg.allowed_updates = params["allowed_updates"]
    offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
    if offset > 0:  # confirms every update before it (they are in update_id order)
        confirmed = next(
            (i for i, u in enumerate(tg.updates) if u["update_id"] >= offset), len(tg.updates)
        )
        del tg.updates[:confirmed]
    if not _wanted(tg, 1) and float(params.get("timeout") or 0) > 0:
        tg.update_pushed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tg.update_pushed.wait(), float(params["timeout"]))
    return 200, ok(_wanted(tg, limit))


def _wanted(tg: FakeTelegram, limit: int) -> list[Body]:
    """The first ``limit`` pending updates the bot's ``allowed_updates`` let through
    (Telegram's default leaves out the opt-in kinds). Stops at ``limit``: a benchmark
    queues tens of thousands, and each getUpdates must not walk them all."""
    allowed = tg.allowed_updates
    found: list[Body] = []
    for update in tg.updates:
        kind = next(k for k in update if k != "update_id")
        if kind in allowed if allowed else kind not in OPT_IN_UPDATES:
            found.append(update)
            if len(found) >= limit:
                break
    return found


async def set_webhook(tg: FakeTelegram, token: str, params: Body) -> tuple[int, Body]:
    if not params.get("url"):
        return await delete_webhook(tg, token, params)
    tg.webhook = params
    if isinstance(params.get("allowed_updates"), list):
        tg.allowed_updates = params["allowed_updates"]
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
