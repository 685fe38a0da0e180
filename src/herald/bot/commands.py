"""Bot commands in groups and channels: subscribe a chat to guides or promos, or ask;
and in a private chat ``/stop``, ``/start`` and ``/settings`` (bot/opt_out.py).

``/start_marketing`` ``/stop_marketing`` ``/start_guides`` ``/stop_guides`` change the
two default schedules; ``/status`` says what the chat receives and when next. Only a
chat's administrators (asked of Telegram with getChatMember) or the ids listed in
``HERALD_TELEGRAM_ADMIN_IDS`` may change anything. A post in a channel comes from the
channel itself, and a group's anonymous administrator writes as the group: both are
administrators by construction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from herald.bot.offers import Offers
from herald.bot.opt_out import TelegramOptOut
from herald.bot.replies import Replies
from herald.channels.telegram.errors import TelegramCallError
from herald.scheduling.defaults import GUIDES_SCHEDULE, PROMOS_SCHEDULE
from herald.scheduling.schedules import Schedule, ScheduleStore

log = structlog.get_logger("herald.bot")


class AdminCheck(Protocol):
    async def is_chat_admin(self, chat_id: int | str, user_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Subscription:
    schedule: str
    subscribe: bool
    what: str


SUBSCRIPTIONS: Mapping[str, Subscription] = {
    "start_marketing": Subscription(PROMOS_SCHEDULE, True, "promos"),
    "stop_marketing": Subscription(PROMOS_SCHEDULE, False, "promos"),
    "start_guides": Subscription(GUIDES_SCHEDULE, True, "trading guides"),
    "stop_guides": Subscription(GUIDES_SCHEDULE, False, "trading guides"),
}
REFUSAL = "Sorry, only an administrator of this chat can change what it receives."
GROUPS_ONLY = "This command works in a group or channel: add me there and send it again."


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str
    chat_id: int
    chat_type: str
    user_id: int | None  # None: sent as the chat itself (a channel, an anonymous admin)
    message_id: int

    @classmethod
    def parse(cls, message: Mapping[str, Any], bot_username: str) -> Command | None:
        """The command in ``message``, or None if it is none (or is for another bot)."""
        text = message.get("text")
        chat = message.get("chat")
        if not isinstance(text, str) or not text.startswith("/") or not isinstance(chat, dict):
            return None
        head, *rest = text.split(maxsplit=1)  # a command ends at any whitespace
        args = rest[0] if rest else ""
        name, _, addressee = head[1:].partition("@")
        if addressee and addressee.lower() != bot_username.lower():
            return None
        sender = message.get("from") if isinstance(message.get("from"), dict) else None
        sender_chat = message.get("sender_chat")
        as_chat = isinstance(sender_chat, dict) and sender_chat.get("id") == chat.get("id")
        user_id = None if as_chat or sender is None else sender.get("id")
        if not isinstance(chat.get("id"), int) or not name:
            return None
        return cls(
            name=name.lower(),
            args=args.strip(),
            chat_id=chat["id"],
            chat_type=str(chat.get("type", "")),
            user_id=user_id if isinstance(user_id, int) else None,
            message_id=int(message.get("message_id") or 0),
        )


class Commands:
    def __init__(
        self,
        schedules: ScheduleStore,
        replies: Replies,
        admins: AdminCheck,
        offers: Offers,
        admin_ids: Collection[int] = (),
        opt_out: TelegramOptOut | None = None,
    ) -> None:
        """``opt_out``: the private chat's /stop, /start and /settings (None: not
        answered, /start only offers)."""
        self._opt_out = opt_out
        self._schedules = schedules
        self._offers = offers
        self._replies = replies
        self._admins = admins
        self._admin_ids = frozenset(admin_ids)

    async def handle(self, command: Command) -> str | dict[str, Any] | None:
        """Run the command; returns the reply sent (None for commands we do not know)."""
        reply: str | dict[str, Any]
        if command.name in SUBSCRIPTIONS:
            reply = await self._subscription(command, SUBSCRIPTIONS[command.name])
        elif command.name == "status":
            reply = await self._status(command)
        elif command.name == "start" and command.chat_type == "private":
            reply = await self._start(command)
        elif command.name in ("stop", "settings") and command.chat_type == "private":
            if self._opt_out is None:
                return None
            if command.name == "stop":
                reply = await self._opt_out.stop(command.chat_id, command.args)
            else:
                reply = await self._opt_out.settings(command.chat_id)
        else:
            return None
        await self._replies.send(
            command.chat_id, reply, key=f"reply:{command.chat_id}:{command.message_id}"
        )
        return reply

    async def _start(self, command: Command) -> str | dict[str, Any]:
        """``/start`` or ``/start <category>`` opts back in (bot/opt_out.py); any other
        payload is a deep link's offer, and a chat with nothing to take back is welcomed."""
        key = command.args.lower()
        if self._opt_out is not None and (not key or await self._opt_out.is_category(key)):
            started = await self._opt_out.start(command.chat_id, key or None)
            if started is not None:
                return started
            return await self._offers.reply("", command.user_id)
        return await self._offers.reply(command.args, command.user_id)

    async def _may_change(self, command: Command) -> bool:
        if command.user_id is None:
            return True  # the channel itself, or the group's anonymous administrator
        if command.user_id in self._admin_ids:
            return True
        try:
            return await self._admins.is_chat_admin(command.chat_id, command.user_id)
        except TelegramCallError as exc:
            log.warning("telegram_admin_check_failed", chat_id=command.chat_id, error=str(exc))
            return False

    async def _subscription(self, command: Command, sub: Subscription) -> str:
        if command.chat_type == "private":
            return GROUPS_ONLY
        if not await self._may_change(command):
            log.info("bot_command_refused", command=command.name, user_id=command.user_id)
            return REFUSAL
        schedule = await self._schedules.get_by_name(sub.schedule)
        if schedule is None:
            return f"The {sub.what} schedule is not set up on this server."
        chat = str(command.chat_id)
        if sub.subscribe:
            changed = await self._schedules.add_chat(schedule.id, chat)
            log.info("bot_chat_subscribed", schedule=schedule.name, chat_id=chat, changed=changed)
            when = _next(schedule)
            if not changed:
                return f"This chat already receives {sub.what}. {when}"
            return f"Done: this chat will receive {sub.what}. {when}"
        removed = await self._schedules.remove_chat(schedule.id, chat)
        log.info("bot_chat_unsubscribed", schedule=schedule.name, chat_id=chat, changed=removed)
        if not removed:
            return f"This chat was not receiving {sub.what}."
        return f"Done: this chat will no longer receive {sub.what}."

    async def _status(self, command: Command) -> str:
        chat = str(command.chat_id)
        lines = []
        for schedule in await self._schedules.all():
            entry = next((c for c in schedule.chats if c.chat_id == chat), None)
            if entry is None:
                continue
            if not entry.active:
                lines.append(f"- {schedule.name}: stopped ({entry.inactive_reason})")
            elif not schedule.enabled:
                lines.append(f"- {schedule.name}: paused")
            else:
                lines.append(f"- {schedule.name}: {_cadence(schedule)}; {_next(schedule)}")
        if not lines:
            return (
                "This chat receives no scheduled posts. An administrator can send "
                "/start_guides or /start_marketing."
            )
        return "This chat receives:\n" + "\n".join(lines)


def _cadence(schedule: Schedule) -> str:
    seconds = schedule.cadence.interval_seconds
    if seconds is None:
        return f"at '{schedule.cadence.cron}' ({schedule.cadence.timezone})"
    if seconds % 3600 == 0:
        return f"every {seconds // 3600} h"
    if seconds % 60 == 0:
        return f"every {seconds // 60} min"
    return f"every {seconds} s"


def _next(schedule: Schedule) -> str:
    if not schedule.enabled or schedule.next_slot_at is None:
        return "The schedule is paused."
    return f"Next post: {schedule.next_slot_at.strftime('%Y-%m-%d %H:%M')} UTC."
