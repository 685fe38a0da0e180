"""A post with media: one file with its caption, or an album and its buttons after it.

One file goes by ``sendPhoto`` / ``sendVideo`` / ``sendAnimation`` / ``sendDocument``,
the post's text as the caption (its entities as ``caption_entities``) and the buttons
under it. Two to ten go by ``sendMediaGroup`` with the caption on the first item; an
album carries no keyboard, so the buttons follow in a short message of their own. The
files' bytes are uploaded as multipart from the media library the first time this bot
sends them; after that the ``file_id`` Telegram answered with is sent instead (kept per
bot in ``media.file_ids``), so a post to forty chats uploads each file once: sends of a
file nobody uploaded yet wait for the one that does. A file_id Telegram no longer knows
("wrong file identifier/HTTP URL specified") is forgotten and the file uploaded again.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog

from herald.channels.telegram.errors import TelegramCallError, TelegramReason
from herald.channels.telegram.http import BotHttp, encode
from herald.media import Media, MediaKind, MediaLibrary
from herald.media.file_ids import FileIds
from herald.media.kinds import MAX_ALBUM

# The payload's keys: the media ids a post carries (in order), and the text of the
# message that carries an album's buttons.
MEDIA = "media"
BUTTONS_TEXT = "buttons_text"
DEFAULT_BUTTONS_TEXT = "⬇️"
UPLOAD_SECONDS = 300.0  # an upload's own time limit: 50 MB on a slow link
# What a caption takes of a message's parameters; the rest is the whole post's.
_CAPTION_KEYS = ("caption", "caption_entities", "parse_mode")
_NOT_FOR_MEDIA = ("text", "entities", "link_preview_options")
# What an album's buttons message repeats of the post's sending options.
_FOLLOW_UP_KEYS = ("message_thread_id", "disable_notification", "protect_content")

log = structlog.get_logger("herald.channels.telegram")


class MissingMedia(ValueError):
    """A payload names media the library no longer has."""


@dataclass(frozen=True, slots=True)
class Posted:
    message_ids: list[str]  # the files' messages in order, then the buttons' if any
    buttons_error: str | None = None  # an album sent whose buttons message failed
    issued: dict[int, str] = field(default_factory=dict)  # uploads' new file_ids


def media_ids(payload: dict[str, Any]) -> list[int]:
    """The media ids a payload carries (empty for a text post), or ValueError."""
    ids = payload.get(MEDIA)
    if ids is None:
        return []
    if not (
        isinstance(ids, list)
        and 1 <= len(ids) <= MAX_ALBUM
        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 1 for i in ids)
    ):
        raise ValueError(f"'{MEDIA}' must be a list of 1 to {MAX_ALBUM} media ids")
    return ids


def messages_made(payload: dict[str, Any]) -> int:
    """How many messages a payload puts in its chat: an album one per file, and one more
    for its buttons; anything else one. Telegram's flood limits count these messages
    (20 a minute in a group), not requests. A malformed payload counts one (it fails)."""
    ids = payload.get(MEDIA)
    if not isinstance(ids, list) or len(ids) < 2 or payload.get("action") is not None:
        return 1
    return min(len(ids), MAX_ALBUM) + (1 if payload.get("buttons") else 0)


def caption_params(params: dict[str, Any]) -> dict[str, Any]:
    """sendMessage's parameters as a media message's: the text becomes the caption."""
    out = {k: v for k, v in params.items() if k not in _NOT_FOR_MEDIA}
    out["caption"] = params["text"]
    if params.get("entities"):
        out["caption_entities"] = params["entities"]
    return out


def form(fields: dict[str, Any]) -> aiohttp.FormData:
    """A multipart form of Bot API parameters (objects as JSON, as Telegram reads them)."""
    data = aiohttp.FormData(quote_fields=False)
    for key, value in fields.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        data.add_field(key, str(value))
    return data


class MediaPoster:
    def __init__(
        self, http: BotHttp, library: MediaLibrary, file_ids: FileIds | None = None, bot: str = ""
    ) -> None:
        self._http = http
        self._library = library
        self._file_ids = file_ids  # None: every post uploads its files
        self._bot = bot  # the token's hash: file_ids are the bot's own
        self._known: dict[int, str] = {}  # file_ids read or issued, this process
        self._uploading: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def post(
        self, params: dict[str, Any], ids: Sequence[int], buttons_text: str | None = None
    ) -> Posted:
        """Send ``params`` (sendMessage's, with ``chat_id``) as a post of these media."""
        found = await self._library.many(ids)
        if missing := [i for i in ids if i not in found]:
            raise MissingMedia(f"no media {', '.join(map(str, missing))} in the library")
        media = [found[i] for i in ids]
        text = buttons_text or DEFAULT_BUTTONS_TEXT
        known = await self._file_ids_of(media)
        if len(known) == len(set(ids)):  # nothing to upload: no need to wait for anyone
            try:
                return await self._send(params, media, known, text)
            except TelegramCallError as exc:
                if not _stale(exc):
                    raise
                await self._forget(known)
        async with AsyncExitStack() as stack:
            for media_id in sorted(set(ids)):  # one order: no two sends wait on each other
                await stack.enter_async_context(self._uploading[media_id])
            known = await self._file_ids_of(media)  # uploaded meanwhile by another send?
            try:
                return await self._send(params, media, known, text)
            except TelegramCallError as exc:
                if not (_stale(exc) and known):
                    raise
                await self._forget(known)
                return await self._send(params, media, {}, text)

    async def edit(self, params: dict[str, Any], media_id: int) -> None:
        """Replace an earlier message's file with this one (editMessageMedia); ``params``
        has ``chat_id``, ``message_id``, the caption's fields and the keyboard. Sent by
        its file_id when known (a stale one forgotten), else uploaded once."""
        found = await self._library.many([media_id])
        if media_id not in found:
            raise MissingMedia(f"no media {media_id} in the library")
        item = found[media_id]
        known = await self._file_ids_of([item])
        if known:
            try:
                await self._edit(params, item, known[media_id])
                return
            except TelegramCallError as exc:
                if not _stale(exc):
                    raise
                await self._forget(known)
        async with self._uploading[media_id]:
            await self._edit(params, item, None)

    async def _edit(self, params: dict[str, Any], item: Media, file_id: str | None) -> None:
        caption = {k: params[k] for k in _CAPTION_KEYS if k in params}
        shown = {"type": item.kind.value, "media": file_id or "attach://file0", **caption}
        body = form({**{k: v for k, v in params.items() if k not in caption}, "media": shown})
        if file_id is None:
            body.add_field("file0", await self._content(item), filename=item.name,
                           content_type=item.mime)  # fmt: skip
        result = await self._http.post("editMessageMedia", body, time_limit=UPLOAD_SECONDS)
        if file_id is None and (issued := issued_file_id(result, item.kind)):
            self._known[item.id] = issued
            if self._file_ids is not None:
                await self._file_ids.remember({item.id: issued}, self._bot)

    async def _file_ids_of(self, media: list[Media]) -> dict[int, str]:
        wanted = {m.id for m in media}
        missing = [i for i in wanted if i not in self._known]
        if missing and self._file_ids is not None:
            self._known.update(await self._file_ids.get(missing, self._bot))
        return {i: self._known[i] for i in wanted if i in self._known}

    async def _forget(self, known: dict[int, str]) -> None:
        log.info("telegram_file_ids_stale", media=sorted(known))
        for media_id in known:
            self._known.pop(media_id, None)
        if self._file_ids is not None:
            await self._file_ids.forget(list(known), self._bot)

    async def _send(
        self, params: dict[str, Any], media: list[Media], known: dict[int, str], text: str
    ) -> Posted:
        if len(media) == 1:
            posted = await self._one(params, media[0], known.get(media[0].id))
        else:
            posted = await self._album(params, media, known, text)
        if posted.issued:
            self._known.update(posted.issued)
            if self._file_ids is not None:
                await self._file_ids.remember(posted.issued, self._bot)
        return posted

    async def _content(self, item: Media) -> bytes:
        data = await self._library.content(item.id)
        if data is None:
            raise MissingMedia(f"no media {item.id} in the library")
        return data

    async def _one(self, params: dict[str, Any], item: Media, file_id: str | None) -> Posted:
        body = form(caption_params(params))
        if file_id is not None:
            body.add_field(item.kind.value, file_id)
        else:
            body.add_field(
                item.kind.value, await self._content(item), filename=item.name,
                content_type=item.mime,
            )  # fmt: skip
        result = await self._http.post(item.kind.method, body, time_limit=UPLOAD_SECONDS)
        issued = issued_file_id(result, item.kind) if file_id is None else None
        return Posted([_message_id(result)], issued={item.id: issued} if issued else {})

    async def _album(
        self, params: dict[str, Any], media: list[Media], known: dict[int, str], buttons_text: str
    ) -> Posted:
        captioned = caption_params(params)
        captioned.pop("reply_markup", None)  # an album takes none: they follow it
        caption = {k: captioned.pop(k) for k in _CAPTION_KEYS if k in captioned}
        items: list[dict[str, Any]] = []
        body_files: list[tuple[str, bytes, Media]] = []
        for index, item in enumerate(media):
            if item.id in known:
                items.append({"type": item.kind.value, "media": known[item.id]})
                continue
            name = f"file{index}"
            items.append({"type": item.kind.value, "media": f"attach://{name}"})
            body_files.append((name, await self._content(item), item))
        items[0].update(caption)
        body = form({**captioned, "media": items})
        for name, data, item in body_files:
            body.add_field(name, data, filename=item.name, content_type=item.mime)
        result = await self._http.post("sendMediaGroup", body, time_limit=UPLOAD_SECONDS)
        messages = result if isinstance(result, list) else []
        ids = [_message_id(m) for m in messages]
        issued = {
            item.id: file_id
            for item, message in zip(media, messages, strict=False)
            if item.id not in known and (file_id := issued_file_id(message, item.kind))
        }
        markup = params.get("reply_markup")
        if not markup:
            return Posted(ids, issued=issued)
        follow_up = {k: params[k] for k in _FOLLOW_UP_KEYS if k in params}
        follow_up.update(chat_id=params["chat_id"], text=buttons_text, reply_markup=markup)
        try:
            sent = await self._http.post("sendMessage", encode(follow_up))
        except TelegramCallError as exc:
            # The album is in the chat: sending it again would post it twice.
            log.warning("telegram_album_buttons_failed", error=exc.outcome.error)
            return Posted(ids, buttons_error=exc.outcome.error, issued=issued)
        return Posted([*ids, _message_id(sent)], issued=issued)


def issued_file_id(message: Any, kind: MediaKind) -> str | None:
    """The file_id a sent message carries for its file: a photo's largest size's."""
    shown = message.get(kind.value) if isinstance(message, dict) else None
    if kind is MediaKind.PHOTO and isinstance(shown, list) and shown:
        shown = shown[-1]
    file_id = shown.get("file_id") if isinstance(shown, dict) else None
    return file_id if isinstance(file_id, str) and file_id else None


def _stale(exc: TelegramCallError) -> bool:
    """Telegram did not know a file_id we sent: "wrong file identifier/HTTP URL specified"."""
    return getattr(exc.outcome, "reason", None) == TelegramReason.WRONG_FILE


def _message_id(result: Any) -> str:
    message_id = result.get("message_id") if isinstance(result, dict) else None
    return "" if message_id is None else str(message_id)
