"""sendMessage's parameters from a payload: passed through once their types check, and a
malformed payload refused before any call (the sender makes it a bad_payload outcome)."""

from __future__ import annotations

from typing import Any

import pytest

from herald.channels.telegram.media_post import caption_params, media_ids
from herald.channels.telegram.sender import action_params, message_params


def test_sending_options_reach_the_parameters_as_given() -> None:
    preview = {"url": "https://e.com", "show_above_text": True}
    payload = {"text": "x", "parse_mode": None, "disable_notification": True,
               "protect_content": True, "message_thread_id": 5,
               "link_preview_options": preview}  # fmt: skip
    assert message_params(payload) == {k: v for k, v in payload.items() if k != "parse_mode"}


def test_false_flags_are_telegrams_defaults_and_the_old_preview_switch_still_works() -> None:
    payload = {"text": "x", "disable_notification": False, "protect_content": False,
               "disable_web_page_preview": True}  # fmt: skip
    assert message_params(payload) == {
        "text": "x",
        "parse_mode": "MarkdownV2",
        "link_preview_options": {"is_disabled": True},
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"parse_mode": 5},
        {"entities": ["bold"]},
        {"disable_web_page_preview": "yes"},
        {"disable_notification": "yes"},
        {"protect_content": 1},
        {"link_preview_options": "off"},
        {"message_thread_id": 0},
        {"message_thread_id": True},
        {"buttons": [[]]},
    ],
)
def test_a_malformed_payload_is_refused_naming_the_field(payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(payload))):
        message_params({"text": "x", **payload})


def test_an_action_is_a_pin_unpin_or_delete_of_an_earlier_message() -> None:
    pin = {"action": "pin", "message_id": 7, "disable_notification": True}
    assert action_params(pin) == ("pinChatMessage", {"message_id": 7, "disable_notification": True})
    assert action_params({"action": "unpin", "message_id": 7, "disable_notification": True}) == (
        "unpinChatMessage",
        {"message_id": 7},
    )
    assert action_params({"action": "delete", "message_id": 7}) == (
        "deleteMessage",
        {"message_id": 7},
    )
    for bad in ({"action": "forward", "message_id": 7}, {"action": "pin"}):
        with pytest.raises(ValueError):
            action_params(bad)


def test_a_media_payload_names_one_to_ten_ids() -> None:
    assert media_ids({"text": "x"}) == []
    assert media_ids({"media": [3, 4]}) == [3, 4]
    for bad in ([], [0], ["3"], [True], list(range(1, 12)), 3):
        with pytest.raises(ValueError, match="'media' must be a list of 1 to 10 media ids"):
            media_ids({"media": bad})


def test_a_caption_takes_the_texts_place() -> None:
    params = message_params(
        {"text": "Hi", "parse_mode": None, "entities": [{"type": "bold", "offset": 0,
         "length": 2}], "link_preview_options": {"is_disabled": True},
         "disable_notification": True, "buttons": [[{"text": "b", "url": "https://e.x"}]]}
    )  # fmt: skip
    assert caption_params(params) == {
        "caption": "Hi",
        "caption_entities": [{"type": "bold", "offset": 0, "length": 2}],
        "disable_notification": True,
        "reply_markup": {"inline_keyboard": [[{"text": "b", "url": "https://e.x"}]]},
    }
