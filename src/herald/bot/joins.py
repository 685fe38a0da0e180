"""``chat_member``: someone's standing changed in a chat where the bot is an
administrator. A person who became a member through one of herald's invite links is a
join of that link's promo (``tracking.joins``); everything else is of no interest.

Telegram sends ``chat_member`` only to a bot that is an administrator of the chat and
lists it in ``allowed_updates`` (herald does, by polling and by webhook).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from herald.tracking.joins import JoinStore

log = structlog.get_logger("herald.bot")
IN = frozenset({"creator", "administrator", "member"})


@dataclass(frozen=True, slots=True)
class Joined:
    link: str
    user_id: int
    at: datetime


def is_member(member: Mapping[str, Any]) -> bool:
    status = member.get("status")
    return status in IN or (status == "restricted" and member.get("is_member") is True)


def joined(changed: Mapping[str, Any]) -> Joined | None:
    """The join this update reports (not a member before, one now, by an invite link),
    else None."""
    old, new, link = (
        changed.get("old_chat_member"),
        changed.get("new_chat_member"),
        changed.get("invite_link"),
    )
    if not (isinstance(old, dict) and isinstance(new, dict) and isinstance(link, dict)):
        return None
    if is_member(old) or not is_member(new):
        return None
    user, url, date = new.get("user"), link.get("invite_link"), changed.get("date")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not (isinstance(url, str) and isinstance(user_id, int) and isinstance(date, int)):
        return None
    return Joined(url, user_id, datetime.fromtimestamp(date, UTC))


class Joins:
    def __init__(self, store: JoinStore) -> None:
        self._store = store

    async def handle(self, changed: Mapping[str, Any]) -> str:
        """What the update was: stored, duplicate, foreign (another link), or not_a_join."""
        join = joined(changed)
        if join is None:
            return "not_a_join"
        outcome = await self._store.record(join.link, join.user_id, join.at)
        if outcome == "stored":
            log.info("promo_join", user_id=join.user_id)
        return outcome
