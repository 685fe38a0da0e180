"""A fake Telegram Bot API: a real HTTP server on loopback that answers like Telegram.

The sender's tests go through herald's aiohttp client to this server, so what is tested
is the real wire: Telegram's status codes and exact error bodies (with their
``parameters``), JSON or form-encoded requests, timeouts that really time out. Controls make a
chat blocked, missing or migrated, script a chat's next answers, inject faults at seeded
random rates (5xx, timeouts before or after the message was processed, 429 floods),
enforce Telegram's documented flood limits (30/s per bot, 1,000/s for paid broadcasts,
1/s per private chat, 20/min per group) and the ``retry_after`` of every 429 it
answered (a request that comes too early is a violation). Every request is recorded.

    async with FakeTelegram() as tg:
        sender = TelegramSender(tg.token, api_url=tg.url)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import math
import random
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from aiohttp import web

DEFAULT_TOKEN = "7012345678:AAFakeTokenForHeraldTestsOnly-abcdefgh"
RESERVED = "_*[]()~`>#+-=|{}.!"
MAX_TEXT_LENGTH = 4096
CHAT_ID = re.compile(r"-?[1-9]\d*|@[A-Za-z]\w{3,}")
PAID = "paid"  # the key of the bot's paid broadcasts in the flood counters
JSON_PARAMS = ("reply_markup", "link_preview_options", "entities", "allowed_updates")
BOT_FIRST_NAME = "Herald Test Bot"

Body = dict[str, Any]
Handler = Callable[[str, Body], Awaitable[tuple[int, Body]]]


def ok(result: Any, **extra: Any) -> Body:
    return {"ok": True, "result": result, **extra}


def error_body(code: int, description: str, **parameters: Any) -> Body:
    body: Body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


@dataclass(frozen=True)
class Reply:
    """A scripted answer. ``body=None`` answers normally, after ``delay`` seconds."""

    status: int = 200
    body: Body | None = None
    delay: float = 0.0

    def as_answer(self) -> tuple[int, Body]:
        return self.status, self.body or {}


def too_many_requests(retry_after: int = 5) -> Reply:
    description = f"Too Many Requests: retry after {retry_after}"
    return Reply(429, error_body(429, description, retry_after=retry_after))


def forbidden(description: str = "Forbidden: bot was blocked by the user") -> Reply:
    return Reply(403, error_body(403, description))


def bad_request(description: str) -> Reply:
    return Reply(400, error_body(400, description))


def migrated(new_chat_id: int) -> Reply:
    description = "Bad Request: group chat was upgraded to a supergroup chat"
    return Reply(400, error_body(400, description, migrate_to_chat_id=int(new_chat_id)))


def server_error(status: int = 502) -> Reply:
    """Telegram's 5xx bodies carry the status phrase: "Bad Gateway", "Gateway Timeout"..."""
    return Reply(status, error_body(status, HTTPStatus(status).phrase))


def slow(seconds: float) -> Reply:
    """Answers normally but late; past the client's timeout it is a timeout, and the
    message is not delivered (the server drops a request its client gave up on)."""
    return Reply(delay=seconds)


class MarkupError(ValueError):
    """MarkdownV2 Telegram would refuse; the text is Telegram's own description."""


def _closes(marker: str, text: str, i: int) -> bool:
    if marker == "_":
        return text[i] == "_" and text[i + 1 : i + 2] != "_"
    return text[i] == "]" if marker in ("[", "![") else text.startswith(marker, i)


_ENTITY_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
    "![": "CustomEmoji",
    "`": "Code",
    "```": "Pre",
}


def parse_markdown_v2(text: str) -> str:
    """The plain text of a MarkdownV2 message, as tdlib's parse_markdown_v2 reads it.

    A reserved character must be escaped with a backslash unless it opens or closes an
    entity; entities must be closed; inside code only the backtick is reserved; a link's
    URL runs to the first unescaped ``)``. Nesting rules beyond that are not checked.
    """
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # (marker, byte offset where it opened)
    i, n = 0, len(text)

    def escaped(k: int) -> bool:
        return text[k] == "\\" and k + 1 < n and 0 < ord(text[k + 1]) <= 126

    while i < n:
        c = text[i]
        if escaped(i):
            out.append(text[i + 1])
            i += 2
            continue
        top = stack[-1][0] if stack else None
        if c not in ("`" if top in ("`", "```") else RESERVED):
            out.append(c)
            i += 1
            continue
        if top is None and (i == 0 or text[i - 1] == "\n"):  # blockquote line
            skip = 3 if text.startswith("**>", i) else 1 if c == ">" else 0
            if skip:
                i += skip
                continue
        if top is not None and _closes(top, text, i):
            stack.pop()
            i += 1 if top in ("[", "![") else len(top)
            if top in ("[", "![") and text[i : i + 1] == "(":
                start = i
                i += 1
                while i < n and text[i] != ")":
                    i += 2 if escaped(i) else 1
                if i >= n:
                    offset = len(text[:start].encode())
                    raise MarkupError(f"Can't find end of a URL at byte offset {offset}")
                i += 1
            elif top == "![":
                raise MarkupError("Custom emoji entity must contain a tg://emoji URL")
            continue
        if c == "_":
            marker = "__" if text.startswith("__", i) else "_"
        elif c == "`":
            marker = "```" if text.startswith("```", i) else "`"
        elif c in "*~[" or text.startswith("||", i) or text.startswith("![", i):
            marker = text[i : i + 2] if c in "|!" else c
        else:
            raise MarkupError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        stack.append((marker, len(text[:i].encode())))
        i += len(marker)
        if marker == "```":  # an optional language, then the first line break is dropped
            end = i
            while end < n and not text[end].isspace() and text[end] != "`":
                end += 1
            if end < n and text[end] != "`":
                i = end
            if text[i : i + 1] == "\n":
                i += 1
    if stack:
        marker, offset = stack[-1]
        raise MarkupError(
            f"Can't find end of {_ENTITY_NAMES[marker]} entity at byte offset {offset}"
        )
    return "".join(out)


@dataclass
class RecordedRequest:
    method: str  # the Bot API method as requested, e.g. "sendMessage"
    http_method: str
    token: str
    chat_id: str | None
    params: Body  # query, JSON or form fields; JSON-valued fields (reply_markup) decoded
    at: float  # the server's clock (monotonic) when the request arrived
    status: int = 0  # the HTTP status it was answered with (0: no answer yet)
    fault: str | None = None  # the injected fault it met ("timeout", "lost_reply", ...)


@dataclass(frozen=True)
class Violation:
    """A request that arrived while a 429's ``retry_after`` still forbade it."""

    chat_id: str
    at: float
    until: float


# The request being answered, for handlers (whose signature tests replace) to annotate.
_current: contextvars.ContextVar[RecordedRequest] = contextvars.ContextVar("fake_tg_request")


@dataclass(frozen=True)
class Limits:
    """Telegram's documented broadcast limits (core.telegram.org/bots/faq)."""

    per_bot_per_second: int = 30
    per_private_chat_per_second: int = 1
    per_group_per_minute: int = 20
    # Messages sent with allow_paid_broadcast: up to 1,000/s, counted apart from the
    # free ones (core.telegram.org/bots/api#sendmessage); per-chat limits still hold.
    paid_per_bot_per_second: int = 1000


@dataclass
class FakeTelegram:
    """The fake server. ``start()``/``stop()`` or ``async with``; ``url`` is the api_url."""

    token: str = DEFAULT_TOKEN
    bot_username: str = "herald_test_bot"
    seed: int = 0
    enforce_limits: bool = False
    limits: Limits = field(default_factory=Limits)
    # Fault injection on sendMessage, one seeded draw per request.
    timeout_rate: float = 0.0  # hangs before processing: the message is not delivered
    lost_reply_rate: float = 0.0  # delivered, then the answer hangs: a resend duplicates
    server_error_rate: float = 0.0
    server_error_statuses: tuple[int, ...] = (502,)  # drawn from when more than one
    flood_rate: float = 0.0
    flood_retry_after: int | tuple[int, int] = 5  # a (low, high) range is drawn from
    timeout_delay: float = 5.0  # how long a hanging answer sleeps (cut short by stop())
    # Every 429 answered forbids further sendMessage calls until its retry_after has
    # passed, to the chat ("chat") or to the whole bot ("bot"); earlier ones are answered
    # 429 again and kept in ``retry_after_violations``.
    enforce_retry_after: bool = False
    flood_scope: Literal["chat", "bot"] = "chat"
    clock: Callable[[], float] = time.monotonic
    # Chat state, keyed by chat id as a string ("42", "-100123", "@news").
    blocked_chats: set[str] = field(default_factory=set)
    missing_chats: set[str] = field(default_factory=set)
    migrated_chats: dict[str, int] = field(default_factory=dict)
    channel_chats: set[str] = field(default_factory=set)  # negative ids that are channels
    # Who administers which chat (getChatMember answers "administrator" for them).
    chat_admins: dict[str, set[int]] = field(default_factory=dict)
    # What the server saw and did.
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: list[Body] = field(default_factory=list)  # every Message sent, in order
    answered_callbacks: list[Body] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    rate_limit_violations: int = 0
    retry_after_violations: list[Violation] = field(default_factory=list)
    webhook: Body | None = None

    def __post_init__(self) -> None:
        self.tokens = {self.token}
        self.random = random.Random(self.seed)
        self.scripts: defaultdict[str, deque[Reply]] = defaultdict(deque)
        self.updates: list[Body] = []
        self._update_ids = iter(range(1, 1 << 62))
        self._callback_ids: set[str] = set()
        self._callback_seq = itertools.count(4_100_000_000_000_000_001)
        self._message_ids: Counter[str] = Counter()
        self._usernames: dict[str, int] = {}
        self._sent_at: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._banned_until: dict[tuple[str, str], float] = {}  # (token, chat or "") -> t
        self._stopping = asyncio.Event()
        self._update_pushed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._methods: dict[str, Handler] = {
            "sendmessage": self._send_message,
            "getme": self._get_me,
            "getchatmember": self._get_chat_member,
            "answercallbackquery": self._answer_callback_query,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self._stopping.set()
        self._update_pushed.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # -- controls ---------------------------------------------------------------------

    def script(self, chat_id: str | int, *replies: Reply) -> None:
        """Answer this chat's next sendMessage calls with ``replies``, in order."""
        self.scripts[str(chat_id)].extend(replies)

    def push_update(self, update: Body) -> Body:
        """Queue an update for getUpdates; gives it the next update_id."""
        update = {"update_id": next(self._update_ids), **update}
        if "callback_query" in update:
            self._callback_ids.add(str(update["callback_query"]["id"]))
        self.updates.append(update)
        self._update_pushed.set()
        return update

    def push_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int = 1,
        *,
        user_id: int | None = None,
        username: str | None = None,
    ) -> Body:
        """A user pressing an inline button with ``callback_data=data`` (in a private chat
        with the bot unless ``user_id`` says who pressed it in ``chat_id``)."""
        user: Body = {"id": user_id or chat_id, "is_bot": False, "first_name": "Test"}
        if username:
            user["username"] = username
        query = {
            "id": str(next(self._callback_seq)),
            "from": user,
            "chat_instance": str(chat_id),
            "data": data,
            "message": self._message(str(chat_id), message_id, "..."),
        }
        return self.push_update({"callback_query": query})

    def push_message(
        self, chat_id: int, text: str, *, user_id: int | None = None, as_chat: bool = False
    ) -> Body:
        """A message in a chat: from user ``user_id``, or (``as_chat``) from the chat itself,
        as a channel post or a group's anonymous administrator writes."""
        chat = str(chat_id)
        self._message_ids[chat] += 1
        message = self._message(chat, self._message_ids[chat], text)
        message.pop("from", None)
        message.pop("sender_chat", None)
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if message["chat"]["type"] == "channel":
            message["sender_chat"] = message["chat"]
            return self.push_update({"channel_post": message})
        if as_chat:
            message["from"] = {
                "id": 1087968824,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
            message["sender_chat"] = message["chat"]
        else:
            uid = user_id if user_id is not None else chat_id
            message["from"] = {"id": uid, "is_bot": False, "first_name": "Test"}
        return self.push_update({"message": message})

    def requests_for(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method.lower() == method.lower()]

    # -- the wire ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        try:
            params, unreadable = await _read_params(request), False
        except ValueError:
            params, unreadable = {}, True
        chat_id = str(params["chat_id"]) if params.get("chat_id") is not None else None
        record = RecordedRequest(method, request.method, token, chat_id, params, self.clock())
        self.requests.append(record)
        _current.set(record)
        if unreadable:
            status, body = 400, error_body(400, "Bad Request: can't parse request body")
        elif token not in self.tokens:
            status, body = 401, error_body(401, "Unauthorized")
        elif (handler := self._methods.get(method.lower())) is None:
            status, body = 404, error_body(404, "Not Found")
        else:
            status, body = await handler(token, params)
        record.status = status
        return web.json_response(body, status=status)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _fault(self) -> tuple[str, Reply] | None:
        draw = self.random.random()
        for name, rate in (
            ("timeout", self.timeout_rate),
            ("server_error", self.server_error_rate),
            ("flood", self.flood_rate),
            ("lost_reply", self.lost_reply_rate),
        ):
            if draw < rate:
                self.faults[name] += 1
                return name, self._fault_reply(name)
            draw -= rate
        return None

    def _fault_reply(self, name: str) -> Reply:
        if name == "server_error":
            statuses = self.server_error_statuses
            return server_error(statuses[0] if len(statuses) == 1 else self.random.choice(statuses))
        if name == "flood":
            wait = self.flood_retry_after
            return too_many_requests(wait if isinstance(wait, int) else self.random.randint(*wait))
        return slow(self.timeout_delay)  # "lost_reply" sleeps after processing instead

    async def _send_message(self, token: str, params: Body) -> tuple[int, Body]:
        chat = str(params.get("chat_id") or "")
        if self.enforce_retry_after and (until := self._ban(token, chat)) is not None:
            now = self.clock()
            self.retry_after_violations.append(Violation(chat, now, until))
            return too_many_requests(max(1, math.ceil(until - now))).as_answer()
        status, body = await self._answer_send(token, chat, params)
        if status == 429 and self.enforce_retry_after:
            wait = float(body.get("parameters", {}).get("retry_after", 0))
            key = (token, "" if self.flood_scope == "bot" else chat)
            self._banned_until[key] = max(self._banned_until.get(key, 0.0), self.clock() + wait)
        return status, body

    def _ban(self, token: str, chat: str) -> float | None:
        """Until when a 429 forbids calling this chat now, or None if nothing does."""
        now = self.clock()
        until = max(self._banned_until.get((token, k), 0.0) for k in ("", chat))
        return until if until > now else None

    async def _answer_send(self, token: str, chat: str, params: Body) -> tuple[int, Body]:
        fault: tuple[str, Reply] | None = None
        if self.scripts[chat]:
            reply: Reply | None = self.scripts[chat].popleft()
        elif (fault := self._fault()) is not None:
            _current.get().fault = fault[0]
            reply = fault[1]
        else:
            reply = None
        lost_reply = fault is not None and fault[0] == "lost_reply"
        if reply is not None and not lost_reply:
            await self._sleep(reply.delay)
            if reply.body is not None:
                return reply.status, reply.body
        if not chat:
            reply = bad_request("Bad Request: chat_id is empty")
        elif chat in self.migrated_chats:
            reply = migrated(self.migrated_chats[chat])
        elif chat in self.blocked_chats:
            reply = forbidden()
        elif chat in self.missing_chats or not CHAT_ID.fullmatch(chat):
            reply = bad_request("Bad Request: chat not found")
        elif wait := self._flood_wait(token, chat, _flag(params.get("allow_paid_broadcast"))):
            self.rate_limit_violations += 1
            reply = too_many_requests(wait)
        else:
            answer = self._deliver(token, chat, params)
            if lost_reply:  # processed; the answer never reaches a client that gave up
                await self._sleep(self.timeout_delay)
            return answer
        if lost_reply:
            await self._sleep(self.timeout_delay)
        return reply.as_answer()

    def _deliver(self, token: str, chat: str, params: Body) -> tuple[int, Body]:
        text = str(params.get("text") or "")
        if params.get("parse_mode") == "MarkdownV2":
            try:
                text = parse_markdown_v2(text)
            except MarkupError as exc:
                return 400, error_body(400, f"Bad Request: can't parse entities: {exc}")
        if not text.strip():
            return 400, error_body(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            return 400, error_body(400, "Bad Request: message is too long")
        now = self.clock()
        self._sent_at[token, PAID if _flag(params.get("allow_paid_broadcast")) else ""].append(now)
        self._sent_at[token, chat].append(now)
        self._message_ids[chat] += 1
        message = self._message(chat, self._message_ids[chat], text)
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        self.messages.append(message)
        return 200, ok(message)

    def _flood_wait(self, token: str, chat: str, paid: bool = False) -> int | None:
        """Seconds until this send would be within Telegram's limits, or None if it is.
        A paid broadcast counts against the paid limit, any other against the free one."""
        if not self.enforce_limits:
            return None
        private = self._chat(chat)["type"] == "private"
        per_chat = (
            (self.limits.per_private_chat_per_second, 1.0)
            if private
            else (self.limits.per_group_per_minute, 60.0)
        )
        now, wait = self.clock(), 0.0
        for key, (limit, span) in (
            (
                (token, PAID if paid else ""),
                (
                    self.limits.paid_per_bot_per_second if paid else self.limits.per_bot_per_second,
                    1.0,
                ),
            ),
            ((token, chat), per_chat),
        ):
            times = self._sent_at[key]
            while times and times[0] <= now - span:
                times.popleft()
            if len(times) >= limit:
                wait = max(wait, times[-limit] + span - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def _chat(self, chat: str) -> Body:
        if chat.startswith("@"):
            chat_id = self._usernames.setdefault(chat, -1_001_000_000_000 - len(self._usernames))
            return {"id": chat_id, "title": chat[1:], "username": chat[1:], "type": "channel"}
        chat_id = int(chat)
        if chat_id > 0:
            return {"id": chat_id, "first_name": "Test", "type": "private"}
        kind = "supergroup" if chat.startswith("-100") else "group"
        kind = "channel" if chat in self.channel_chats else kind
        return {"id": chat_id, "title": f"Test {kind}", "type": kind}

    def _message(self, chat: str, message_id: int, text: str) -> Body:
        chat_obj = self._chat(chat)
        message: Body = {"message_id": message_id, "date": int(time.time()), "chat": chat_obj}
        if chat_obj["type"] == "channel":
            message["sender_chat"] = chat_obj
        else:
            message["from"] = self._bot_user(self.token)
        message["text"] = text
        return message

    def _bot_user(self, token: str) -> Body:
        return {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": self.bot_username,
        }

    async def _get_me(self, token: str, _params: Body) -> tuple[int, Body]:
        user = self._bot_user(token)
        user.update(can_join_groups=True, can_read_all_group_messages=False)
        return 200, ok({**user, "supports_inline_queries": False})

    async def _get_chat_member(self, _token: str, params: Body) -> tuple[int, Body]:
        chat, user = str(params.get("chat_id") or ""), params.get("user_id")
        if chat in self.missing_chats or not CHAT_ID.fullmatch(chat):
            return 400, error_body(400, "Bad Request: chat not found")
        if not str(user or "").isdigit():
            return 400, error_body(400, "Bad Request: invalid user_id specified")
        user_obj = {"id": int(str(user)), "is_bot": False, "first_name": "Test"}
        if int(str(user)) in self.chat_admins.get(chat, set()):
            rights = dict.fromkeys(_ADMIN_RIGHTS, True)
            member = {"status": "administrator", "user": user_obj, "can_be_edited": False}
            member.update(rights, is_anonymous=False)
            return 200, ok(member)
        return 200, ok({"status": "member", "user": user_obj})

    async def _answer_callback_query(self, _token: str, params: Body) -> tuple[int, Body]:
        if str(params.get("callback_query_id")) not in self._callback_ids:
            description = (
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
            return 400, error_body(400, description)
        self.answered_callbacks.append(params)
        return 200, ok(True)

    async def _get_updates(self, _token: str, params: Body) -> tuple[int, Body]:
        if self.webhook is not None:
            description = (
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
            return 409, error_body(409, description)
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        if offset > 0:  # confirms every update before it
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and float(params.get("timeout") or 0) > 0:
            self._update_pushed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_pushed.wait(), float(params["timeout"]))
        return 200, ok(self.updates[:limit])

    async def _set_webhook(self, token: str, params: Body) -> tuple[int, Body]:
        if not params.get("url"):
            return await self._delete_webhook(token, params)
        self.webhook = params
        return 200, ok(True, description="Webhook was set")

    async def _delete_webhook(self, _token: str, params: Body) -> tuple[int, Body]:
        if _flag(params.get("drop_pending_updates")):
            self.updates.clear()
        was_set, self.webhook = self.webhook is not None, None
        return 200, ok(True, description=f"Webhook {'was' if was_set else 'is already'} deleted")

    async def _get_webhook_info(self, _token: str, _params: Body) -> tuple[int, Body]:
        url = (self.webhook or {}).get("url", "")
        info = {"url": url, "has_custom_certificate": False}
        return 200, ok({**info, "pending_update_count": len(self.updates)})


_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


async def _read_params(request: web.Request) -> Body:
    """Query string, then a JSON or form body, as the Bot API accepts all three."""
    params: Body = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_PARAMS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params
