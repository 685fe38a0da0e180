"""Which chat_member updates are joins: not a member before, one now, by a link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from herald.bot.joins import Joined, joined

LINK = {"invite_link": "https://t.me/+abc", "creates_join_request": False}


def change(old: dict[str, Any], new: dict[str, Any], link: object = LINK) -> dict[str, Any]:
    user = {"id": 42, "is_bot": False, "first_name": "T"}
    update: dict[str, Any] = {
        "chat": {"id": -1001, "type": "supergroup"},
        "date": 1_800_000_000,
        "old_chat_member": {**old, "user": user},
        "new_chat_member": {**new, "user": user},
    }
    if link is not None:
        update["invite_link"] = link
    return update


@pytest.mark.parametrize(
    "old",
    [{"status": "left"}, {"status": "kicked"}, {"status": "restricted", "is_member": False}],
)
@pytest.mark.parametrize(
    "new",
    [{"status": "member"}, {"status": "restricted", "is_member": True}],
)
def test_a_join_by_link(old: dict[str, Any], new: dict[str, Any]) -> None:
    at = datetime.fromtimestamp(1_800_000_000, UTC)
    assert joined(change(old, new)) == Joined("https://t.me/+abc", 42, at)


@pytest.mark.parametrize(
    ("old", "new", "link"),
    [
        ({"status": "member"}, {"status": "administrator"}, LINK),  # promoted
        ({"status": "member"}, {"status": "left"}, LINK),  # left
        ({"status": "left"}, {"status": "member"}, None),  # joined without a link
        ({"status": "left"}, {"status": "member"}, {"invite_link": 5}),  # malformed
        ({"status": "left"}, {"status": "restricted", "is_member": False}, LINK),
    ],
)
def test_not_a_join(old: dict[str, Any], new: dict[str, Any], link: object) -> None:
    assert joined(change(old, new, link)) is None
