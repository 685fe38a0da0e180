"""The Bot API calls other than sending: updates, chat members, callback answers, webhook.

Behind one small class so the update handling above it can be tested against the
fake Bot API server, and so every failure comes out as a ``TelegramCallError`` whose
text never holds the token (the error map in ``errors.py`` decides what it means).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from herald.channels.telegram.aiohttp_request import AiohttpRequest
from herald.channels.telegram.errors import TelegramCallError, outcome_for
from herald.channels.telegram.sender import DEFAULT_API_URL, URL_LOGGERS, ScrubToken, make_bot

CALLS_IN_FLIGHT = 16
ADMIN_STATUSES = frozenset({"creator", "administrator"})
ALLOWED_UPDATES = ("message", "channel_post", "callback_query")


class BotApi:
    def __init__(
        self, token: str, api_url: str = DEFAULT_API_URL, *, poll_timeout: float = 30.0
    ) -> None:
        if not token:
            raise ValueError("a Telegram bot token is required")
        self._token = token
        self._filter = ScrubToken(token)
        for name in URL_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)
        # A burst of button presses answers many queries at once (see bot/polling.py):
        # those calls go over aiohttp, five times cheaper per call than httpx here.
        self._request = AiohttpRequest(pool_size=CALLS_IN_FLIGHT, timeout=10.0)
        self._in_flight = asyncio.Semaphore(CALLS_IN_FLIGHT)
        self._poll_timeout = poll_timeout
        # One transport for every call, long polls included (each passes its own
        # read_timeout, which the transport honours).
        self._bot = make_bot(token, api_url, self._request)
        self._username: str | None = None

    async def _call(self, coro: Any) -> Any:
        try:
            async with self._in_flight:
                return await coro
        except Exception as exc:
            raise TelegramCallError(outcome_for(exc, token=self._token)) from None

    async def username(self) -> str:
        """The bot's @username without the @ (getMe once, then remembered)."""
        if self._username is None:
            user = await self._call(self._bot.get_me())
            self._username = user.username or ""
        return self._username

    async def get_updates(self, offset: int | None, wait: float | None = None) -> list[Any]:
        """The next updates as Telegram's JSON objects (dicts).

        Asked for raw: ``Bot.get_updates`` builds an object per update that would be
        turned straight back into a dict, 40% of the CPU of a burst of presses.
        """
        timeout = int(self._poll_timeout if wait is None else wait)
        kwargs: dict[str, Any] = {"timeout": timeout, "allowed_updates": list(ALLOWED_UPDATES)}
        if offset is not None:
            kwargs["offset"] = offset
        updates = await self._call(
            # Bot API method names are case-insensitive; spelt so, python-telegram-bot
            # does not take it for its own get_updates (and warn about it).
            self._bot.do_api_request("getupdates", api_kwargs=kwargs, read_timeout=timeout + 10)
        )
        return list(updates) if isinstance(updates, list) else []

    async def is_chat_admin(self, chat_id: int | str, user_id: int) -> bool:
        member = await self._call(self._bot.get_chat_member(chat_id, user_id))
        return member.status in ADMIN_STATUSES

    async def answer_callback(
        self,
        callback_query_id: str,
        *,
        text: str | None = None,
        url: str | None = None,
        show_alert: bool = False,
    ) -> None:
        await self._call(
            self._bot.answer_callback_query(
                callback_query_id, text=text, url=url, show_alert=show_alert
            )
        )

    async def set_webhook(self, url: str, secret_token: str | None) -> None:
        await self._call(
            self._bot.set_webhook(
                url, secret_token=secret_token, allowed_updates=list(ALLOWED_UPDATES)
            )
        )

    async def delete_webhook(self) -> None:
        await self._call(self._bot.delete_webhook())

    async def close(self) -> None:
        await self._request.shutdown()
        for name in URL_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)
