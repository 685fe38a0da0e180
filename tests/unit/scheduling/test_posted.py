"""A sent post's messages, read back from its delivery's message ids."""

from __future__ import annotations

from herald.scheduling.posted import first_message_id, message_ids, posted_messages


def test_a_text_post_is_one_message() -> None:
    assert message_ids("42") == [42]
    assert first_message_id("42") == "42"
    assert posted_messages("42", ()) is None


def test_a_sandbox_post_has_no_telegram_messages() -> None:
    assert message_ids("sandbox-7") == []
    assert message_ids(None) == [] and first_message_id(None) is None
    assert posted_messages("sandbox-7", (1, 2)) is None


def test_an_albums_files_come_first_then_its_buttons() -> None:
    assert first_message_id("11,12,13") == "11"
    assert posted_messages("11,12,13", (5, 6)) == [
        {"message_id": 11, "media_id": 5},
        {"message_id": 12, "media_id": 6},
        {"message_id": 13, "buttons": True},
    ]
    assert posted_messages("11", (5,)) == [{"message_id": 11, "media_id": 5}]
