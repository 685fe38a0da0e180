"""``my_chat_member``: the bot's own standing in a chat changed.

A chat that removed, banned or demoted the bot gets no more posts from that moment,
with the reason, rather than at the next post that fails; a chat that adds the bot back
is not posted to silently (it removed the bot once): its schedule targets are offered
for reactivation in the dashboard, where an operator decides.

What counts as losing the chat:

- ``left``: the bot was removed (``removed``), ``kicked``: banned (``banned``);
- in a channel, any status but administrator or creator: only administrators post in a
  channel (``demoted``);
- in a group, ``restricted`` without ``can_send_messages`` (``restricted``); a group's
  administrator made a plain member still posts, so that is not a loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from herald.metrics import Metrics
from herald.scheduling.schedules import ScheduleStore

log = structlog.get_logger("herald.bot")
POSTING = frozenset({"creator", "administrator", "member", "restricted"})
ADMIN = frozenset({"creator", "administrator"})


def lost(chat_type: str, member: Mapping[str, Any]) -> str | None:
    """Why the bot can no longer post in the chat with this standing, or None if it can."""
    status = member.get("status")
    if status == "left":
        return "removed"
    if status == "kicked":
        return "banned"
    if chat_type == "channel" and status not in ADMIN:
        return "demoted"
    if status == "restricted" and member.get("can_send_messages") is False:
        return "restricted"
    return None


class Membership:
    def __init__(self, store: ScheduleStore, metrics: Metrics) -> None:
        self._store = store
        self._metrics = metrics

    async def handle(self, changed: Mapping[str, Any]) -> str:
        """What the change meant: inactive:<reason>, readded, or unchanged."""
        chat, old, new = (
            changed.get("chat"),
            changed.get("old_chat_member"),
            changed.get("new_chat_member"),
        )
        if not (isinstance(chat, dict) and isinstance(old, dict) and isinstance(new, dict)):
            return "malformed"
        chat_id, chat_type = str(chat.get("id")), str(chat.get("type") or "")
        if (reason := lost(chat_type, new)) is not None:
            n = await self._store.deactivate_chat(chat_id, reason)
            log.warning("schedule_chat_inactive", chat_id=chat_id, reason=reason, n=n)
            return f"inactive:{reason}"
        if lost(chat_type, old) is not None and new.get("status") in POSTING:
            n = await self._store.offer_reactivation(chat_id)
            log.info("schedule_chat_readded", chat_id=chat_id, offered=n)
            return "readded"
        return "unchanged"
