"""The choice of edit for a changed post, and the edit payload the sender sends."""

from __future__ import annotations

from typing import Any

import pytest

from herald.channels.telegram.sender import action_params
from herald.scheduling.edits import EditKind, EditRefused, choose_edit, edit_payload

BOLD = [{"type": "bold", "offset": 0, "length": 1}]
LINK = [[{"text": "Open", "url": "https://example.com"}]]
TEXT: dict[str, Any] = {"text": "T\n\nB", "parse_mode": None, "entities": BOLD, "buttons": LINK}
PHOTO = {"type": "photo", "media": "AgAD-photo"}
MEDIA: dict[str, Any] = {"media": PHOTO, "caption": "T", "caption_entities": BOLD, "buttons": LINK}


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (TEXT, {**TEXT, "text": "T\n\nB2"}, EditKind.TEXT),
        (TEXT, {**TEXT, "entities": []}, EditKind.TEXT),
        (TEXT, {**TEXT, "link_preview_options": {"is_disabled": True}}, EditKind.TEXT),
        (TEXT, {**TEXT, "buttons": [[{"text": "New", "url": "https://e.com"}]]}, EditKind.MARKUP),
        (TEXT, {k: v for k, v in TEXT.items() if k != "buttons"}, EditKind.MARKUP),
        (TEXT, {**TEXT, "text": "x", "buttons": []}, EditKind.TEXT),  # the text edit sends both
        (TEXT, TEXT, EditKind.TEXT),  # nothing changed: Telegram says "not modified"
        (None, TEXT, EditKind.TEXT),  # what was posted is no longer known
        (MEDIA, {**MEDIA, "caption": "T2"}, EditKind.CAPTION),
        (MEDIA, {**MEDIA, "media": {"type": "photo", "media": "other"}}, EditKind.MEDIA),
        (MEDIA, {**MEDIA, "buttons": None}, EditKind.MARKUP),
        (MEDIA, MEDIA, EditKind.CAPTION),
        (None, MEDIA, EditKind.MEDIA),
    ],
)
def test_the_edit_is_the_least_that_turns_what_was_sent_into_the_post_now(
    before: dict[str, Any] | None, after: dict[str, Any], kind: EditKind
) -> None:
    assert choose_edit(before, after) is kind


@pytest.mark.parametrize(("before", "after"), [(TEXT, MEDIA), (MEDIA, TEXT)])
def test_a_text_message_cannot_become_a_media_one_nor_back(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    with pytest.raises(EditRefused, match="Telegram cannot make it"):
        choose_edit(before, after)


def test_a_text_edit_is_sent_as_editmessagetext_with_its_keyboard_and_no_parse_mode() -> None:
    post = {**TEXT, "disable_notification": True, "message_thread_id": 5, "herald_afterwards": {}}
    payload = edit_payload(EditKind.TEXT, 42, post)
    assert "disable_notification" not in payload and "message_thread_id" not in payload
    method, params = action_params(payload)
    assert method == "editMessageText"
    assert params == {
        "message_id": 42,
        "text": "T\n\nB",
        "entities": BOLD,
        "reply_markup": {"inline_keyboard": LINK},
    }


def test_a_markup_edit_sends_only_the_keyboard_and_none_removes_it() -> None:
    method, params = action_params(edit_payload(EditKind.MARKUP, 7, TEXT))
    assert method == "editMessageReplyMarkup"
    assert params == {"message_id": 7, "reply_markup": {"inline_keyboard": LINK}}
    bare = {k: v for k, v in TEXT.items() if k != "buttons"}
    assert action_params(edit_payload(EditKind.MARKUP, 7, bare))[1] == {"message_id": 7}


def test_caption_and_media_edits_carry_the_bot_apis_fields() -> None:
    method, params = action_params(edit_payload(EditKind.CAPTION, 3, MEDIA))
    assert method == "editMessageCaption"
    assert params["caption"] == "T" and params["caption_entities"] == BOLD
    method, params = action_params(edit_payload(EditKind.MEDIA, 3, MEDIA))
    caption = {"caption": "T", "caption_entities": BOLD}
    assert (method, params["media"]) == ("editMessageMedia", {**PHOTO, **caption})


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"action": "edit", "edit": "everything", "message_id": 1}, "'edit' must be one of"),
        ({"action": "edit", "edit": "text", "text": "x"}, "'message_id'"),
        ({"action": "edit", "edit": "media", "message_id": 1, "media": "x"}, "InputMedia"),
        ({"action": "edit", "edit": "text", "message_id": 1, "text": ""}, "'text'"),
    ],
)
def test_a_malformed_edit_is_refused_before_any_call(payload: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        action_params(payload)
