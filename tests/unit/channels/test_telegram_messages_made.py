"""How many messages a payload puts in its chat, as Telegram's flood limits count them."""

from __future__ import annotations

from typing import Any

import pytest

from herald.channels.telegram import messages_made


@pytest.mark.parametrize(
    ("payload", "messages"),
    [
        ({"text": "hi"}, 1),
        ({"text": "hi", "media": [4]}, 1),  # one file: its caption and buttons ride on it
        ({"text": "hi", "media": [4, 5]}, 2),
        ({"text": "hi", "media": [4, 5, 6], "buttons": [[{"text": "Go"}]]}, 4),
        ({"text": "hi", "media": list(range(1, 11)), "buttons": [[{"text": "Go"}]]}, 11),
        ({"action": "delete", "message_id": 3, "media": [4, 5]}, 1),  # an action: one call
        ({"text": "hi", "media": "4,5"}, 1),  # malformed: the send fails, once
    ],
)
def test_messages_made(payload: dict[str, Any], messages: int) -> None:
    assert messages_made(payload) == messages
