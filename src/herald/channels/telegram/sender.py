"""TelegramSender: one delivery, one ``sendMessage``, one outcome.

The request is the Bot API's JSON, written here from the payload (validated first:
refusing a malformed payload costs no API call); the answer goes through
``http.BotHttp`` to the error map. No getMe at start: a worker restarting in a crash
loop would spend its rate limit proving the token it is about to use anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import structlog

from herald.channel import Channel
from herald.channels.telegram.errors import (
    ALBUM_BUTTONS_ERROR,
    MEMBER_COUNT,
    MIGRATED_TO_CHAT_ID,
    NOT_MODIFIED,
    Failure,
    TelegramCallError,
    TelegramReason,
)
from herald.channels.telegram.http import DEFAULT_API_URL, BotHttp, encode
from herald.channels.telegram.media_post import (
    BUTTONS_TEXT,
    MEDIA,
    MediaPoster,
    MissingMedia,
    media_ids,
)
from herald.media import MediaLibrary
from herald.media.file_ids import FileIds
from herald.queue import Delivery, Outcome, Permanent, Sent

DEFAULT_PARSE_MODE = "MarkdownV2"
_NO_PREVIEW = {"is_disabled": True}
_NOT_MODIFIED = "message is not modified"

log = structlog.get_logger("herald.channels.telegram")


def message_params(payload: dict[str, Any]) -> dict[str, Any]:
    """sendMessage's parameters (without ``chat_id``) for a payload, or ValueError."""
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        raise ValueError("'text' must be a non-empty string")
    params: dict[str, Any] = {"text": text}
    parse_mode = _checked(payload, "parse_mode", _is(str), "a string or null", DEFAULT_PARSE_MODE)
    if parse_mode is not None:
        params["parse_mode"] = parse_mode
    entities = _checked(payload, "entities", _entities, "a list of MessageEntity objects")
    if entities:
        params["entities"] = entities
    if _checked(payload, "disable_web_page_preview", _is(bool), "a boolean"):
        params["link_preview_options"] = _NO_PREVIEW
    for flag in ("disable_notification", "protect_content"):
        if _checked(payload, flag, _is(bool), "a boolean"):
            params[flag] = True
    preview = _checked(payload, "link_preview_options", _is(dict), "a LinkPreviewOptions object")
    if preview is not None:
        params["link_preview_options"] = preview
    thread = _checked(payload, "message_thread_id", _thread, "a positive integer")
    if thread is not None:
        params["message_thread_id"] = thread
    rows = _checked(payload, "buttons", _rows, "a list of non-empty rows (lists of buttons)")
    if rows:
        params["reply_markup"] = {"inline_keyboard": [[_button(b) for b in r] for r in rows]}
    return params


# What a payload with an ``action`` asks of an earlier message (its ``message_id``),
# or of the chat (``member_count``: its Sent outcome carries the count in ``meta``).
ACTIONS = {
    "pin": "pinChatMessage",
    "unpin": "unpinChatMessage",
    "delete": "deleteMessage",
    MEMBER_COUNT: "getChatMemberCount",
}


def action_params(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The method and parameters (without ``chat_id``) of an action payload, or ValueError."""
    if payload.get("action") == "edit":
        return edit_params(payload)
    method = ACTIONS.get(payload.get("action"))  # type: ignore[arg-type]
    if method is None:
        raise ValueError(f"'action' must be one of {', '.join(ACTIONS)}, edit")
    if method == "getChatMemberCount":
        return method, {}
    message_id = _checked(payload, "message_id", _thread, "a positive integer")
    if message_id is None:
        raise ValueError("'message_id' must be a positive integer")
    params: dict[str, Any] = {"message_id": message_id}
    if method == "pinChatMessage" and _checked(
        payload, "disable_notification", _is(bool), "a boolean"
    ):
        params["disable_notification"] = True
    return method, params


# An ``edit`` payload's kind of edit, and the parameters of its method besides the message
# and the keyboard (which every edit sends: an edit without it removes the buttons).
EDITS = {
    "text": ("editMessageText", ("text", "parse_mode", "entities", "link_preview_options")),
    "caption": ("editMessageCaption", ("caption", "caption_entities", "show_caption_above_media")),
    "media": ("editMessageMedia", ("media",)),
    "markup": ("editMessageReplyMarkup", ()),
}


def edit_params(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An ``{"action": "edit", "edit": ..., "message_id"}`` payload's method and parameters.

    A text edit is checked as sendMessage's payload is; a caption or media edit carries
    the Bot API's fields as they are (``caption_entities``, an InputMedia ``media``).
    """
    kind = payload.get("edit")
    if kind not in EDITS:
        raise ValueError(f"'edit' must be one of {', '.join(EDITS)}")
    method, fields = EDITS[kind]
    message_id = _checked(payload, "message_id", _thread, "a positive integer")
    if message_id is None:
        raise ValueError("'message_id' must be a positive integer")
    if kind == "text":
        sent = message_params(payload)
        params = {k: sent[k] for k in fields if k in sent}
    else:
        params = {k: payload[k] for k in fields if payload.get(k) is not None}
        if kind == "caption" and not isinstance(payload.get("caption", ""), str):
            raise ValueError("'caption' must be a string")
        if kind == "media":
            if not (isinstance(params.get("media"), dict) and params["media"].get("type")):
                raise ValueError("'media' must be an InputMedia object")
            # editMessageMedia takes the caption inside the InputMedia.
            caption = {k: payload[k] for k in EDITS["caption"][1] if payload.get(k) is not None}
            params["media"] = {**params["media"], **caption}
    params["message_id"] = message_id
    rows = _checked(payload, "buttons", _rows, "a list of non-empty rows (lists of buttons)")
    if rows:
        params["reply_markup"] = {"inline_keyboard": [[_button(b) for b in r] for r in rows]}
    return method, params


def _checked(
    payload: dict[str, Any], key: str, fits: Callable[[Any], bool], what: str, default: Any = None
) -> Any:
    """``payload[key]`` (or ``default``), if it is null or ``fits``; else ValueError."""
    value = payload.get(key, default)
    if value is not None and not fits(value):
        raise ValueError(f"'{key}' must be {what}")
    return value


def _is(kind: type) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, kind)


def _entities(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(e, dict) for e in value)


def _thread(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _rows(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(row, list) and row for row in value)


def _button(spec: Any) -> dict[str, str]:
    if not isinstance(spec, dict) or not isinstance(spec.get("text"), str) or not spec["text"]:
        raise ValueError("each button needs a non-empty 'text'")
    url, data = spec.get("url"), spec.get("callback_data")
    if isinstance(url, str) and url and data is None:
        return {"text": spec["text"], "url": url}
    if isinstance(data, str) and url is None and 1 <= len(data.encode()) <= 64:
        return {"text": spec["text"], "callback_data": data}
    raise ValueError("each button needs either a 'url' or a 'callback_data' of 1-64 bytes")


class TelegramSender:
    """Sends deliveries as Telegram messages from one bot.

    ``paid()`` is the same sender for paid broadcasts: its messages carry
    ``allow_paid_broadcast`` (the worker decides which deliveries go that way).
    """

    channel = Channel.TELEGRAM
    sandbox = False

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        request_timeout: float = 10.0,
        *,
        connection_pool_size: int = 100,
        http: BotHttp | None = None,
        paid_broadcast: bool = False,
        media: MediaLibrary | None = None,
        file_ids: FileIds | None = None,
    ) -> None:
        # A pool above the worker's default concurrency (32): a send waits for a
        # connection only when the worker was configured to run more at once.
        self._http = http or BotHttp(
            token, api_url, timeout=request_timeout, pool_size=connection_pool_size
        )
        self._owns_http = http is None
        self._paid = paid_broadcast
        self._library, self._file_ids = media, file_ids
        bot = hashlib.sha256(token.encode()).hexdigest()[:16]
        self._media = MediaPoster(self._http, media, file_ids, bot) if media is not None else None

    def paid(self) -> TelegramSender:
        """This sender on the same connections, sending with ``allow_paid_broadcast``."""
        return TelegramSender(
            self._http.token, http=self._http, paid_broadcast=True, media=self._library,
            file_ids=self._file_ids,
        )  # fmt: skip

    async def send(self, delivery: Delivery) -> Outcome:
        """A message sent, or (a payload with ``action``) one pinned, unpinned or deleted."""
        if delivery.payload.get(MEDIA) is not None and "action" not in delivery.payload:
            return await self._send_media(delivery)
        if delivery.payload.get("action") == "edit" and "media_id" in delivery.payload:
            return await self._edit_media(delivery)
        try:
            if "action" in delivery.payload:
                method, params = action_params(delivery.payload)
            else:
                method, params = "sendMessage", message_params(delivery.payload)
        except ValueError as exc:
            return Permanent(error=f"bad payload: {exc}", reason=TelegramReason.BAD_PAYLOAD)
        if self._paid and method == "sendMessage":
            params["allow_paid_broadcast"] = True
        # As stored: the Bot API takes a chat id as a number or a string (a form-encoded
        # request only has strings), and an @channelusername only as a string.
        params["chat_id"] = delivery.recipient
        try:
            result = await self._http.post(method, encode(params))
        except TelegramCallError as exc:
            if exc.migrate_to_chat_id is not None and method == "sendMessage":
                return await self._resend_migrated(delivery, exc.migrate_to_chat_id, params)
            if method.startswith("edit") and (done := _unchanged(exc, params)) is not None:
                return done
            return self._failed(exc, delivery)
        if method == "getChatMemberCount":
            count = result if isinstance(result, int) and not isinstance(result, bool) else None
            return Sent(meta={MEMBER_COUNT: count})
        if method != "sendMessage":
            return Sent(provider_message_id=str(params["message_id"]))
        return Sent(provider_message_id=_message_id(result))

    async def _edit_media(self, delivery: Delivery) -> Outcome:
        """An edit that replaces a message's file (``media_id``, from the library), with
        its caption and keyboard: editMessageMedia, the file sent by its file_id."""
        payload = delivery.payload
        try:
            _, params = edit_params({**payload, "edit": "caption"})
            media_id = payload["media_id"]
            if not (isinstance(media_id, int) and not isinstance(media_id, bool)):
                raise ValueError("'media_id' must be a media id")
            if self._media is None:
                raise ValueError("media edits need the media library")
        except ValueError as exc:
            return Permanent(error=f"bad payload: {exc}", reason=TelegramReason.BAD_PAYLOAD)
        params["chat_id"] = delivery.recipient
        try:
            await self._media.edit(params, media_id)
        except MissingMedia as exc:
            return Permanent(error=f"bad payload: {exc}", reason=TelegramReason.BAD_PAYLOAD)
        except TelegramCallError as exc:
            done = _unchanged(exc, params)
            return done if done is not None else self._failed(exc, delivery)
        return Sent(provider_message_id=str(params["message_id"]))

    async def _send_media(self, delivery: Delivery) -> Outcome:
        """A post with media (``media_post``): its provider message id is every message
        it made, comma-separated, the buttons' message of an album last."""
        try:
            ids = media_ids(delivery.payload)
            params = message_params(delivery.payload)
            if self._media is None:
                raise ValueError("media posts need the media library")
        except ValueError as exc:
            return Permanent(error=f"bad payload: {exc}", reason=TelegramReason.BAD_PAYLOAD)
        if self._paid:
            params["allow_paid_broadcast"] = True
        params["chat_id"] = delivery.recipient
        buttons_text = delivery.payload.get(BUTTONS_TEXT)
        meta: dict[str, Any] = {}
        try:
            try:
                posted = await self._media.post(params, ids, buttons_text)
            except TelegramCallError as exc:
                if exc.migrate_to_chat_id is None:
                    raise
                params["chat_id"] = meta[MIGRATED_TO_CHAT_ID] = str(exc.migrate_to_chat_id)
                posted = await self._media.post(params, ids, buttons_text)
        except MissingMedia as exc:
            return Permanent(error=f"bad payload: {exc}", reason=TelegramReason.BAD_PAYLOAD)
        except TelegramCallError as exc:
            return self._failed(exc, delivery)
        if posted.buttons_error:
            meta[ALBUM_BUTTONS_ERROR] = posted.buttons_error
        return Sent(provider_message_id=",".join(posted.message_ids), meta=meta)

    async def get_me(self) -> str:
        """The bot's username; proves the token and the API URL (for ``herald doctor``).

        Raises TelegramCallError, whose text and outcome are free of the token.
        """
        try:
            user = await self._http.call("getMe")
        except TelegramCallError as exc:
            self._failed(exc, None)
            raise
        return str(user.get("username") or "") if isinstance(user, dict) else ""

    async def close(self) -> None:
        if self._owns_http:
            await self._http.close()

    async def _resend_migrated(
        self, delivery: Delivery, new_chat_id: int, params: dict[str, Any]
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
        params["chat_id"] = str(new_chat_id)
        try:
            result = await self._http.post("sendMessage", encode(params))
        except TelegramCallError as exc:
            outcome = self._failed(exc, delivery)
            return replace(outcome, error=f"{outcome.error} (chat migrated to {new_chat_id})")
        return Sent(
            provider_message_id=_message_id(result),
            meta={MIGRATED_TO_CHAT_ID: str(new_chat_id)},
        )

    def _failed(self, exc: TelegramCallError, delivery: Delivery | None) -> Failure:
        outcome = exc.outcome
        reason = getattr(outcome, "reason", None)
        delivery_id = delivery.id if delivery else None
        if reason == TelegramReason.INVALID_TOKEN:
            # Every send fails until an operator replaces the token: say so loudly.
            log.error(
                "telegram_invalid_token",
                delivery_id=delivery_id,
                error=outcome.error,
                hint="the Bot API rejected the bot token: replace it, then replay dead letters",
            )
        elif reason == TelegramReason.UNEXPECTED:
            log.warning("telegram_unexpected_error", delivery_id=delivery_id, error=outcome.error)
        return outcome


def _unchanged(exc: TelegramCallError, params: dict[str, Any]) -> Sent | None:
    """An edit refused as "message is not modified" is done: the message says it."""
    if _NOT_MODIFIED not in exc.outcome.error.lower():
        return None
    meta = {NOT_MODIFIED: exc.outcome.error}
    return Sent(provider_message_id=str(params["message_id"]), meta=meta)


def _message_id(result: Any) -> str | None:
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return None if message_id is None else str(message_id)
