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
from functools import partial
from typing import Any, Literal

from aiohttp import web

from tests.support.fake_telegram import editing, invites, members, sending, updates
from tests.support.fake_telegram.limits import PAID, Limits, Violation
from tests.support.fake_telegram.media import MediaStore
from tests.support.fake_telegram.replies import (
    Body,
    Refused,
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
MAX_REQUEST_BYTES = 60 * 1024 * 1024  # Bot API uploads go up to 50 MB
CHAT_ID = re.compile(r"-?[1-9]\d*|@[A-Za-z]\w{3,}")
BOT_FIRST_NAME = "Herald Test Bot"

Handler = Callable[[str, Body], Awaitable[tuple[int, Body]]]
Deliver = Callable[[str, str, Body], Body]  # (token, chat, params) -> the answer's body


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
    # What a chat shows now, by (chat, message_id): the bot's messages as edited, less
    # the deleted ones; a message's ``date`` is on ``wall_clock``, which tests may move.
    chat_messages: dict[tuple[str, int], Body] = field(default_factory=dict)
    edits: list[Body] = field(default_factory=list)  # every edited Message, as it became
    deleted: list[tuple[str, int]] = field(default_factory=list)
    pinned: dict[str, list[int]] = field(default_factory=dict)  # chat -> ids, latest last
    pin_notifications: list[tuple[str, int, bool]] = field(default_factory=list)  # notified?
    pin_forbidden_chats: set[str] = field(default_factory=set)  # the bot may not pin here
    # Forum supergroups: chat -> {topic id: open}; a thread id elsewhere is ignored.
    forum_topics: dict[str, dict[int, bool]] = field(default_factory=dict)
    member_counts: dict[str, int] = field(default_factory=dict)  # getChatMemberCount
    # createChatInviteLink: chats that refuse it (chat -> Telegram's reason), and the
    # links made (each with its chat_id).
    invite_refusals: dict[str, str] = field(default_factory=dict)
    invite_links: list[Body] = field(default_factory=list)
    media: MediaStore = field(default_factory=MediaStore)  # uploads and issued file_ids
    wall_clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.tokens = {self.token}
        self.random = random.Random(self.seed)
        self.scripts: defaultdict[str, deque[Reply]] = defaultdict(deque)
        self.updates: list[Body] = []
        self.allowed_updates: list[str] | None = None  # the last a getUpdates or webhook named
        self._update_ids = iter(range(1, 1 << 62))
        self.invite_seq = 0
        self.callback_ids: set[str] = set()
        self._callback_seq = itertools.count(4_100_000_000_000_000_001)
        self._message_ids: Counter[str] = Counter()
        self._usernames: dict[str, int] = {}
        self._sent_at: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._banned_until: dict[tuple[str, str], float] = {}  # (token, chat or "") -> t
        self._stopping = asyncio.Event()
        self.update_pushed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._methods: dict[str, Handler] = {
            "sendmessage": self._sender(partial(sending.send_text, self)),
            "sendphoto": self._sender(partial(sending.send_media, self, "photo")),
            "sendvideo": self._sender(partial(sending.send_media, self, "video")),
            "sendanimation": self._sender(partial(sending.send_media, self, "animation")),
            "senddocument": self._sender(partial(sending.send_media, self, "document")),
            "sendmediagroup": self._sender(partial(sending.send_media_group, self)),
            "getme": self._get_me,
            **{
                name.lower(): partial(method, self)
                for module in (editing, invites, members, updates)
                for name, method in module.METHODS.items()
            },
        }

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
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
        self.update_pushed.set()
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
            self.callback_ids.add(str(update["callback_query"]["id"]))
        self.updates.append(update)
        self.update_pushed.set()
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

    def make_forum(self, chat_id: str | int, *, open_topics: Any = (), closed: Any = ()) -> None:
        """Make a supergroup a forum with these topics (message_thread_ids)."""
        topics = self.forum_topics.setdefault(str(chat_id), {})
        topics.update(dict.fromkeys(open_topics, True))
        topics.update(dict.fromkeys(closed, False))

    def age_message(self, chat_id: str | int, message_id: int, hours: float) -> Body:
        """Move a message's send time ``hours`` into the past (for the 48-hour rules)."""
        message = self.chat_messages[str(chat_id), message_id]
        message["date"] -= int(hours * 3600)
        return message

    def message(self, chat_id: str | int, message_id: int) -> Body | None:
        """What the chat shows as this message now (None once deleted)."""
        return self.chat_messages.get((str(chat_id), message_id))

    def push_my_chat_member(
        self, chat_id: int, old: str, new: str, *, from_user_id: int | None = None
    ) -> Body:
        """The bot's own status in a chat changed (e.g. "member" -> "kicked", "left" ->
        "administrator"), by ``from_user_id`` (the chat itself for a private chat)."""
        bot = self._bot_user(self.token)
        return self._push_member("my_chat_member", chat_id, bot, old, new, from_user_id)

    def push_chat_member(
        self,
        chat_id: int,
        user_id: int,
        old: str,
        new: str,
        *,
        from_user_id: int | None = None,
        invite_link: str | None = None,
    ) -> Body:
        """Someone's status changed in a chat where the bot is an administrator; served
        only to a bot whose allowed_updates lists "chat_member". ``invite_link``: they
        joined by this link (the update carries the link made for the bot in full)."""
        user = {"id": user_id, "is_bot": False, "first_name": "Test"}
        link = next((dict(x) for x in self.invite_links if x["invite_link"] == invite_link), None)
        if invite_link is not None and link is None:  # another admin's link, not the bot's
            creator = {"id": 1, "is_bot": False, "first_name": "Admin"}
            link = {"invite_link": invite_link, "creator": creator, "is_primary": False,
                    "creates_join_request": False, "is_revoked": False}  # fmt: skip
        if link is not None:
            link.pop("chat_id", None)
        return self._push_member("chat_member", chat_id, user, old, new, from_user_id, link)

    def _push_member(
        self,
        kind: str,
        chat_id: int,
        user: Body,
        old: str,
        new: str,
        by: int | None,
        invite_link: Body | None = None,
    ) -> Body:
        actor = {
            "id": by if by is not None else abs(chat_id),
            "is_bot": False,
            "first_name": "Test",
        }
        date = int(self.wall_clock())
        changed = members.member_updated(self._chat(str(chat_id)), actor, user, old, new, date)
        if invite_link is not None:
            changed["invite_link"] = invite_link
        return self.push_update({kind: changed})

    def chat_type(self, chat: str) -> str:
        return str(self._chat(chat)["type"])

    def bot_user(self, token: str) -> Body:
        return self._bot_user(token)

    def existing_chat(self, params: Body) -> str:
        """``chat_id`` of a request about a chat that must exist, or Refused."""
        chat = str(params.get("chat_id") or "")
        if not chat:
            raise Refused("chat_id is empty")
        if chat in self.missing_chats or not CHAT_ID.fullmatch(chat):
            raise Refused("chat not found")
        return chat

    def requests_for(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method.lower() == method.lower()]

    # -- the wire ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        try:
            (params, files), unreadable = await read_params(request), False
        except ValueError:
            params, files, unreadable = {}, {}, True
        chat_id = str(params["chat_id"]) if params.get("chat_id") is not None else None
        record = RecordedRequest(
            method, request.method, token, chat_id, params, self.clock(), files=files
        )
        self.requests.append(record)
        current.set(record)
        if unreadable:
            status, body = 400, error_body(400, "Bad Request: can't parse request body")
        elif token not in self.tokens:
            status, body = 401, error_body(401, "Unauthorized")
        elif (handler := self._methods.get(method.lower())) is None:
            status, body = 404, error_body(404, "Not Found")
        else:
            try:
                status, body = await handler(token, params)
            except Refused as refused:
                status, body = refused.answer()
        record.status, record.answer = status, body
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

    def _sender(self, deliver: Deliver) -> Handler:
        async def send(token: str, params: Body) -> tuple[int, Body]:
            return await self._send(token, params, deliver)

        return send

    async def _send(self, token: str, params: Body, deliver: Deliver) -> tuple[int, Body]:
        """Every send: scripted answers, injected faults, the chat's state, the flood
        limits and a 429's retry_after, then ``deliver``."""
        chat = str(params.get("chat_id") or "")
        if self.enforce_retry_after and (until := self._ban(token, chat)) is not None:
            now = self.clock()
            self.retry_after_violations.append(Violation(chat, now, until))
            return too_many_requests(max(1, math.ceil(until - now))).as_answer()
        status, body = await self._answer_send(token, chat, params, deliver)
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

    async def _answer_send(
        self, token: str, chat: str, params: Body, deliver: Deliver
    ) -> tuple[int, Body]:
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
            try:
                answer = 200, deliver(token, chat, params)
            except Refused as refused:
                answer = refused.answer()
            if lost_reply:  # processed; the answer never reaches a client that gave up
                await self._sleep(self.timeout_delay)
            return answer
        if lost_reply:
            await self._sleep(self.timeout_delay)
        return reply.as_answer()

    def post(self, token: str, chat: str, params: Body, content: Body) -> Body:
        """A message the bot sent: numbered, counted against the flood limits, kept."""
        thread = self.check_thread(chat, params)
        now = self.clock()
        self._sent_at[token, PAID if flag(params.get("allow_paid_broadcast")) else ""].append(now)
        self._sent_at[token, chat].append(now)
        self._message_ids[chat] += 1
        message = self._message(chat, self._message_ids[chat], None)
        if thread is not None:
            message.update(message_thread_id=thread, is_topic_message=True)
        message.update(content)
        if flag(params.get("protect_content")):
            message["has_protected_content"] = True
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        self.messages.append(message)
        self.chat_messages[chat, message["message_id"]] = message
        return message

    def check_thread(self, chat: str, params: Body) -> int | None:
        """The forum topic a send goes to; a thread id outside a forum is ignored."""
        thread = params.get("message_thread_id")
        if chat not in self.forum_topics or thread in (None, ""):
            return None
        topic = int(str(thread))
        if topic not in self.forum_topics[chat]:
            raise Refused("message thread not found")
        if not self.forum_topics[chat][topic]:
            raise Refused("TOPIC_CLOSED")
        return topic

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
        found: Body = {"id": chat_id, "title": f"Test {kind}", "type": kind}
        if chat in self.forum_topics:
            found["is_forum"] = True
        return found

    def _message(self, chat: str, message_id: int, text: str | None) -> Body:
        chat_obj = self._chat(chat)
        date = int(self.wall_clock())
        message: Body = {"message_id": message_id, "date": date, "chat": chat_obj}
        if chat_obj["type"] == "channel":
            message["sender_chat"] = chat_obj
        else:
            message["from"] = self._bot_user(self.token)
        if text is not None:
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
