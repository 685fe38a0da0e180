"""Bot command parsing: which messages are commands for this bot, and who sent them.

``user_id`` None means the chat itself spoke (a channel post, an anonymous group admin),
which the command handler treats as an administrator, so it must never be None for an
ordinary member's message.
"""

from __future__ import annotations

from typing import Any

import pytest

from herald.bot.commands import Command

BOT = "herald_test_bot"
GROUP = {"id": -1001234567890, "type": "supergroup", "title": "Traders"}
CHANNEL = {"id": -1009876543210, "type": "channel", "title": "News", "username": "news"}
USER = {"id": 4242, "is_bot": False, "first_name": "Ann"}
ANONYMOUS_ADMIN_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


def message(text: Any = "/status", **fields: Any) -> dict[str, Any]:
    """A group message from an ordinary user, with ``fields`` replaced or added."""
    base: dict[str, Any] = {"message_id": 17, "date": 0, "chat": GROUP, "from": USER, "text": text}
    base.update(fields)
    return base


def test_command_in_a_group_from_a_user() -> None:
    assert Command.parse(message("/start_marketing"), BOT) == Command(
        name="start_marketing",
        args="",
        chat_id=GROUP["id"],
        chat_type="supergroup",
        user_id=USER["id"],
        message_id=17,
    )


@pytest.mark.parametrize("bot", [BOT, "Herald_Test_Bot"])
@pytest.mark.parametrize("text", ["/status@herald_test_bot", "/status@HERALD_test_BOT"])
def test_command_addressed_to_us(text: str, bot: str) -> None:
    """Usernames are case-insensitive in Telegram."""
    command = Command.parse(message(text), bot)
    assert command is not None
    assert command.name == "status"
    assert command.user_id == USER["id"]


@pytest.mark.parametrize(
    "text", ["/status@other_bot", "/start_marketing@other_bot now", "/status@herald_test_bot2"]
)
def test_command_addressed_to_another_bot_is_none(text: str) -> None:
    """In a group with several bots, another bot's command must not change our schedules."""
    assert Command.parse(message(text), BOT) is None


@pytest.mark.parametrize(
    "text", ["status", "hello /status", " /status", "", "/", "/@herald_test_bot", None, 42, []]
)
def test_non_command_text_is_none(text: Any) -> None:
    assert Command.parse(message(text), BOT) is None


def test_message_without_text_is_none() -> None:
    msg = message()
    del msg["text"]
    msg["photo"] = [{"file_id": "x"}]
    assert Command.parse(msg, BOT) is None


@pytest.mark.parametrize(
    "msg",
    [
        {},
        {"text": "/status"},
        {"text": "/status", "chat": None},
        {"text": "/status", "chat": "-1001"},
        {"text": "/status", "chat": [GROUP]},
        {"text": "/status", "chat": {}},
        {"text": "/status", "chat": {"id": "-1001", "type": "group"}},
        {"text": "/status", "chat": {"id": None, "type": "group"}},
        {"text": "/status", "chat": {"id": 1.5, "type": "group"}},
    ],
)
def test_missing_or_garbage_chat_is_none(msg: dict[str, Any]) -> None:
    assert Command.parse(msg, BOT) is None


def test_channel_post_is_sent_as_the_chat() -> None:
    """A channel post has no ``from``: the channel itself sent it."""
    post = {"message_id": 5, "date": 0, "chat": CHANNEL, "sender_chat": CHANNEL, "text": "/status"}
    command = Command.parse(post, BOT)
    assert command == Command(
        name="status",
        args="",
        chat_id=CHANNEL["id"],
        chat_type="channel",
        user_id=None,
        message_id=5,
    )


def test_anonymous_group_admin_is_sent_as_the_chat() -> None:
    """An anonymous admin writes as the group; ``from`` is GroupAnonymousBot, not a person."""
    msg = message("/stop_guides", **{"from": ANONYMOUS_ADMIN_BOT, "sender_chat": GROUP})
    command = Command.parse(msg, BOT)
    assert command is not None
    assert command.name == "stop_guides"
    assert command.user_id is None


def test_sending_as_another_chat_is_not_the_chat_itself() -> None:
    """A member posting as some other channel is not this group's admin by construction."""
    other = {"id": -1005555555555, "type": "channel", "title": "Elsewhere"}
    channel_bot = {"id": 136817688, "is_bot": True, "first_name": "Channel"}
    msg = message("/start_marketing", **{"from": channel_bot, "sender_chat": other})
    command = Command.parse(msg, BOT)
    assert command is not None
    assert command.user_id == 136817688


@pytest.mark.parametrize("sender", [None, "4242", {"id": "4242"}, {"id": None}, {}])
def test_a_sender_without_an_integer_id_has_no_user_id(sender: Any) -> None:
    command = Command.parse(message("/status", **{"from": sender}), BOT)
    assert command is not None
    assert command.user_id is None


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("/status now please", "status", "now please"),
        ("/status@herald_test_bot  extra  words ", "status", "extra  words"),
        ("/Start_Marketing", "start_marketing", ""),
        ("/status ", "status", ""),
    ],
)
def test_args_follow_the_command(text: str, name: str, args: str) -> None:
    command = Command.parse(message(text), BOT)
    assert command is not None
    assert (command.name, command.args) == (name, args)


def test_a_newline_also_ends_the_command() -> None:
    """Telegram ends a bot command at any whitespace, a line break included."""
    command = Command.parse(message("/start_guides\nthanks!"), BOT)
    assert command is not None
    assert (command.name, command.args) == ("start_guides", "thanks!")


def test_private_chat_command_keeps_its_chat_type() -> None:
    private = {"id": USER["id"], "type": "private", "first_name": "Ann"}
    command = Command.parse(message("/start_guides", chat=private), BOT)
    assert command is not None
    assert command.chat_type == "private"
    assert command.user_id == USER["id"]


def test_missing_message_id_is_zero() -> None:
    msg = message()
    del msg["message_id"]
    command = Command.parse(msg, BOT)
    assert command is not None
    assert command.message_id == 0
