"""TelegramSender: one delivery, one ``sendMessage``, one outcome.

Built on python-telegram-bot's ``Bot`` for its request encoding and error parsing, but
never ``initialize()``d: that would call getMe on every start, and a worker restarting in
a crash loop would spend its rate limit proving the token it is about to use anyway.
The HTTP client is ours, so ``close()`` shuts it down whether or not the Bot was started.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import structlog
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.error import ChatMigrated
from telegram.request import BaseRequest, HTTPXRequest

from herald.channels.telegram.errors import (
    BAD_PAYLOAD,
    INVALID_TOKEN,
    UNEXPECTED,
    Failure,
    TelegramCallError,
    outcome_for,
    scrub,
)
from herald.queue import Delivery, Outcome, Permanent, Sent

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_PARSE_MODE = "MarkdownV2"
# Loggers of our dependencies that write request URLs, which hold the token: httpx logs
# every request at INFO, python-telegram-bot its base URL at DEBUG.
URL_LOGGERS = ("httpx", "telegram.Bot")
_CHAT_ID = re.compile(r"-?\d+")

log = structlog.get_logger("herald.channels.telegram")


@dataclass(frozen=True, slots=True)
class _Message:
    """A validated payload: refusing a malformed one here costs no API call."""

    text: str
    parse_mode: str | None
    keyboard: InlineKeyboardMarkup | None
    link_preview: LinkPreviewOptions | None

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> _Message:
        text = payload.get("text")
        if not isinstance(text, str) or not text:
            raise ValueError("'text' must be a non-empty string")
        parse_mode = payload.get("parse_mode", DEFAULT_PARSE_MODE)
        if parse_mode is not None and not isinstance(parse_mode, str):
            raise ValueError("'parse_mode' must be a string or null")
        preview = payload.get("disable_web_page_preview")
        if preview is not None and not isinstance(preview, bool):
            raise ValueError("'disable_web_page_preview' must be a boolean")
        return cls(
            text=text,
            parse_mode=parse_mode,
            keyboard=_keyboard(payload.get("buttons")),
            link_preview=LinkPreviewOptions(is_disabled=True) if preview else None,
        )


def _keyboard(rows: Any) -> InlineKeyboardMarkup | None:
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) and row for row in rows):
        raise ValueError("'buttons' must be a list of non-empty rows (lists of buttons)")
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in rows]) if rows else None


def _button(spec: Any) -> InlineKeyboardButton:
    if not isinstance(spec, dict) or not isinstance(spec.get("text"), str) or not spec["text"]:
        raise ValueError("each button needs a non-empty 'text'")
    url, data = spec.get("url"), spec.get("callback_data")
    if isinstance(url, str) and url and data is None:
        return InlineKeyboardButton(spec["text"], url=url)
    if isinstance(data, str) and url is None and 1 <= len(data.encode()) <= 64:
        return InlineKeyboardButton(spec["text"], callback_data=data)
    raise ValueError("each button needs either a 'url' or a 'callback_data' of 1-64 bytes")


def _chat_id(recipient: str) -> int | str:
    """A numeric chat id as an int; an @channelusername as it is."""
    return int(recipient) if _CHAT_ID.fullmatch(recipient) else recipient


def make_bot(
    token: str, api_url: str, request: BaseRequest, updates_request: BaseRequest | None = None
) -> Bot:
    """A python-telegram-bot ``Bot`` at ``api_url`` on our own HTTP client(s)."""
    api_url = api_url.rstrip("/")
    return Bot(
        token,
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        request=request,
        get_updates_request=updates_request or request,
    )


class ScrubToken(logging.Filter):
    """Rewrites a record that quotes the token; a filter on the logger, so it runs
    before any handler (ours, pytest's, an operator's) sees the record."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's to report, not ours
            return True
        if self._token in message:
            record.msg, record.args = scrub(message, self._token), None
        return True


class TelegramSender:
    """Sends deliveries as Telegram messages from one bot."""

    channel = "telegram"
    sandbox = False

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        request_timeout: float = 10.0,
        *,
        connection_pool_size: int = 64,
    ) -> None:
        if not token:
            raise ValueError("a Telegram bot token is required")
        self._token = token
        self._log_filter = ScrubToken(token)
        for name in URL_LOGGERS:  # before Bot(), which logs its URL as it is built
            logging.getLogger(name).addFilter(self._log_filter)
        api_url = api_url.rstrip("/")
        # One pool sized above the worker's default concurrency (32), so a send waits for
        # a connection only when the worker was configured to run more at once.
        self._request = HTTPXRequest(
            connection_pool_size=connection_pool_size,
            read_timeout=request_timeout,
            write_timeout=request_timeout,
            connect_timeout=request_timeout,
            pool_timeout=request_timeout,
        )
        self._bot = make_bot(token, api_url, self._request)

    async def send(self, delivery: Delivery) -> Outcome:
        try:
            message = _Message.parse(delivery.payload)
        except ValueError as exc:
            return Permanent(error=f"bad payload: {exc}", reason=BAD_PAYLOAD)
        try:
            sent = await self._send(_chat_id(delivery.recipient), message)
        except ChatMigrated as exc:
            return await self._resend_migrated(delivery, exc.new_chat_id, message)
        except Exception as exc:
            return self._failed(exc, delivery)
        return Sent(provider_message_id=str(sent.message_id))

    async def get_me(self) -> str:
        """The bot's username; proves the token and the API URL (for ``herald doctor``).

        Raises TelegramCallError, whose text and outcome are free of the token.
        """
        try:
            user = await self._bot.get_me()
        except Exception as exc:
            raise TelegramCallError(self._failed(exc, None)) from None
        return user.username or ""

    async def close(self) -> None:
        await self._request.shutdown()
        for name in URL_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)

    async def _send(self, chat_id: int | str, message: _Message) -> Message:
        return await self._bot.send_message(
            chat_id=chat_id,
            text=message.text,
            parse_mode=message.parse_mode,
            reply_markup=message.keyboard,
            link_preview_options=message.link_preview,
        )

    async def _resend_migrated(
        self, delivery: Delivery, new_chat_id: int, message: _Message
    ) -> Outcome:
        """A group became a supergroup: send once to its new id and say so.

        The new id travels in ``meta`` (or in the error text when the resend fails) so
        the messaging layer can re-address the subscriber; the queue keeps the old one.
        """
        log.info(
            "telegram_chat_migrated",
            delivery_id=delivery.id,
            chat_id=delivery.recipient,
            new_chat_id=str(new_chat_id),
        )
        try:
            sent = await self._send(new_chat_id, message)
        except Exception as exc:
            outcome = self._failed(exc, delivery)
            return replace(outcome, error=f"{outcome.error} (chat migrated to {new_chat_id})")
        return Sent(
            provider_message_id=str(sent.message_id),
            meta={"migrated_to_chat_id": str(new_chat_id)},
        )

    def _failed(self, exc: Exception, delivery: Delivery | None) -> Failure:
        outcome = outcome_for(exc, token=self._token)
        reason = getattr(outcome, "reason", None)
        delivery_id = delivery.id if delivery else None
        if reason == INVALID_TOKEN:
            # Every send fails until an operator replaces the token: say so loudly.
            log.error(
                "telegram_invalid_token",
                delivery_id=delivery_id,
                error=outcome.error,
                hint="the Bot API rejected the bot token: replace it, then replay dead letters",
            )
        elif reason == UNEXPECTED:
            log.warning(
                "telegram_unexpected_error",
                delivery_id=delivery_id,
                error=outcome.error,
                exc_type=type(exc).__name__,
            )
        return outcome
