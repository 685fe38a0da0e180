"""The fake Bot API server: chat state, the HTTP route and the methods it answers."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import random
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from tests.support.fake_telegram.limits import PAID, Limits, Violation
from tests.support.fake_telegram.markdown_v2 import MarkupError, parse_markdown_v2
from tests.support.fake_telegram.replies import (
    Body,
    Reply,
    bad_request,
    error_body,
    forbidden,
    migrated,
    ok,
    server_error,
    slow,
    too_many_requests,
)
from tests.support.fake_telegram.wire import RecordedRequest, current, flag, read_params

DEFAULT_TOKEN = "7012345678:AAFakeTokenForHeraldTestsOnly-abcdefgh"
MAX_TEXT_LENGTH = 4096
CHAT_ID = re.compile(r"-?[1-9]\d*|@[A-Za-z]\w{3,}")
BOT_FIRST_NAME = "Herald Test Bot"

Handler = Callable[[str, Body], Awaitable[tuple[int, Body]]]


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
            params, unreadable = await read_params(request), False
        except ValueError:
            params, unreadable = {}, True
        chat_id = str(params["chat_id"]) if params.get("chat_id") is not None else None
        record = RecordedRequest(method, request.method, token, chat_id, params, self.clock())
        self.requests.append(record)
        current.set(record)
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
            current.get().fault = fault[0]
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
        elif wait := self._flood_wait(token, chat, flag(params.get("allow_paid_broadcast"))):
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
        self._sent_at[token, PAID if flag(params.get("allow_paid_broadcast")) else ""].append(now)
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
        if flag(params.get("drop_pending_updates")):
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
