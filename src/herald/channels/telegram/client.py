"""The Bot API calls other than sending: updates, chat members, callback answers, webhook.

Behind one small class so the update handling above it can be tested against the
fake Bot API server. The calls go over ``http.BotHttp`` like the sends, so every
failure comes out as a ``TelegramCallError`` whose text never holds the token (the
error map in ``errors.py`` decides what it means).
"""

from __future__ import annotations

import asyncio
from typing import Any

from herald.channels.telegram.http import DEFAULT_API_URL, BotHttp

CALLS_IN_FLIGHT = 16
ADMIN_STATUSES = frozenset({"creator", "administrator"})
# chat_member (someone joined or left) reaches only a bot that is an administrator of
# the chat and asks for it; herald counts joins through its own invite links with it.
ALLOWED_UPDATES = ("message", "channel_post", "callback_query", "my_chat_member", "chat_member")
# A long poll may take its wait plus this long before it counts as timed out.
POLL_MARGIN_SECONDS = 10.0


class BotApi:
    def __init__(
        self, token: str, api_url: str = DEFAULT_API_URL, *, poll_timeout: float = 30.0
    ) -> None:
        # A burst of button presses answers many queries at once (see bot/polling.py).
        self._http = BotHttp(token, api_url, timeout=10.0, pool_size=CALLS_IN_FLIGHT)
        self._in_flight = asyncio.Semaphore(CALLS_IN_FLIGHT)
        self._poll_timeout = poll_timeout
        self._username: str | None = None

    async def _call(
        self, method: str, params: dict[str, Any] | None = None, time_limit: float | None = None
    ) -> Any:
        async with self._in_flight:
            return await self._http.call(method, params, time_limit=time_limit)

    async def username(self) -> str:
        """The bot's @username without the @ (getMe once, then remembered)."""
        if self._username is None:
            user = await self._call("getMe")
            self._username = str(user.get("username") or "") if isinstance(user, dict) else ""
        return self._username

    async def get_updates(self, offset: int | None, wait: float | None = None) -> list[Any]:
        """The next updates as Telegram's JSON objects (dicts)."""
        timeout = int(self._poll_timeout if wait is None else wait)
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": list(ALLOWED_UPDATES)}
        if offset is not None:
            params["offset"] = offset
        updates = await self._call(
            "getUpdates", params, time_limit=self._http.timeout + timeout + POLL_MARGIN_SECONDS
        )
        return list(updates) if isinstance(updates, list) else []

    async def create_invite_link(self, chat_id: str, name: str) -> str:
        """A new invite link to ``chat_id`` named ``name`` (createChatInviteLink; the bot
        must be an administrator there with the right to invite users)."""
        link = await self._call("createChatInviteLink", {"chat_id": chat_id, "name": name})
        if not isinstance(link, dict) or not isinstance(link.get("invite_link"), str):
            raise ValueError("createChatInviteLink answered no invite_link")
        return str(link["invite_link"])

    async def is_chat_admin(self, chat_id: int | str, user_id: int) -> bool:
        member = await self._call("getChatMember", {"chat_id": chat_id, "user_id": user_id})
        return isinstance(member, dict) and member.get("status") in ADMIN_STATUSES

    async def answer_callback(
        self,
        callback_query_id: str,
        *,
        text: str | None = None,
        url: str | None = None,
        show_alert: bool = False,
    ) -> None:
        params: dict[str, Any] = {"callback_query_id": callback_query_id}
        if text is not None:
            params["text"] = text
        if url is not None:
            params["url"] = url
        if show_alert:
            params["show_alert"] = True
        await self._call("answerCallbackQuery", params)

    async def set_webhook(self, url: str, secret_token: str | None) -> None:
        params: dict[str, Any] = {"url": url, "allowed_updates": list(ALLOWED_UPDATES)}
        if secret_token is not None:
            params["secret_token"] = secret_token
        await self._call("setWebhook", params)

    async def delete_webhook(self) -> None:
        await self._call("deleteWebhook")

    async def close(self) -> None:
        await self._http.close()
