"""The choice of edits for a changed post, message by message, and the edit payloads
the sender sends."""

from __future__ import annotations

from typing import Any

import pytest

from herald.channels.telegram.sender import action_params
from herald.scheduling.edits import (
    EditKind,
    EditRefused,
    choose_edit,
    edit_payload,
    plan_edits,
    shown_by,
)

BOLD = [{"type": "bold", "offset": 0, "length": 1}]
LINK = [[{"text": "Open", "url": "https://example.com"}]]
TEXT: dict[str, Any] = {"text": "T\n\nB", "parse_mode": None, "entities": BOLD, "buttons": LINK}
# A media post's payload (render_post): the text is the caption, ``media`` library ids.
PHOTO: dict[str, Any] = {"text": "T", "parse_mode": None, "entities": BOLD, "buttons": LINK,
                         "media": [4]}  # fmt: skip
ALBUM: dict[str, Any] = {**PHOTO, "media": [4, 5], "buttons_text": "T"}
ALBUM_MESSAGES = [
    {"message_id": 10, "media_id": 4},
    {"message_id": 11, "media_id": 5},
    {"message_id": 12, "buttons": True},
]


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
        (PHOTO, {**PHOTO, "text": "T2"}, EditKind.CAPTION),
        (PHOTO, {**PHOTO, "media": [7]}, EditKind.MEDIA),
        (PHOTO, {**PHOTO, "buttons": None}, EditKind.MARKUP),
        (PHOTO, PHOTO, EditKind.CAPTION),
        (None, PHOTO, EditKind.MEDIA),
    ],
)
def test_the_edit_is_the_least_that_turns_what_was_sent_into_the_post_now(
    before: dict[str, Any] | None, after: dict[str, Any], kind: EditKind
) -> None:
    assert choose_edit(before, after) is kind


@pytest.mark.parametrize(("before", "after"), [(TEXT, PHOTO), (PHOTO, TEXT)])
def test_a_text_message_cannot_become_a_media_one_nor_back(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    with pytest.raises(EditRefused, match="Telegram cannot make it"):
        choose_edit(before, after)


def test_a_text_edit_is_sent_as_editmessagetext_with_its_keyboard_and_no_parse_mode() -> None:
    post = {**TEXT, "disable_notification": True, "message_thread_id": 5, "herald_afterwards": {}}
    payload = edit_payload(EditKind.TEXT, 42, post)
    method, params = action_params(payload)
    assert method == "editMessageText"
    assert params == {
        "message_id": 42,
        "text": "T\n\nB",
        "entities": BOLD,
        "reply_markup": {"inline_keyboard": LINK},
    }
    assert shown_by(payload) == TEXT  # what the next edit compares with


def test_a_markup_edit_sends_only_the_keyboard_and_none_removes_it() -> None:
    method, params = action_params(edit_payload(EditKind.MARKUP, 7, TEXT))
    assert method == "editMessageReplyMarkup"
    assert params == {"message_id": 7, "reply_markup": {"inline_keyboard": LINK}}
    bare = {k: v for k, v in TEXT.items() if k != "buttons"}
    assert action_params(edit_payload(EditKind.MARKUP, 7, bare))[1] == {"message_id": 7}


def test_a_media_posts_text_is_edited_as_its_caption() -> None:
    [edit] = plan_edits(PHOTO, {**PHOTO, "text": "T2"}, 3, [{"message_id": 3, "media_id": 4}])
    method, params = action_params(edit.payload)
    assert (method, params["caption"], params["caption_entities"]) == (
        "editMessageCaption", "T2", BOLD,
    )  # fmt: skip
    assert params["reply_markup"] == {"inline_keyboard": LINK}
    [edit] = plan_edits(PHOTO, {**PHOTO, "media": [9]}, 3, [{"message_id": 3, "media_id": 4}])
    assert edit.kind is EditKind.MEDIA
    assert (edit.payload["media_id"], edit.payload["caption"]) == (9, "T")  # the file's id


def test_an_albums_caption_is_its_first_files_and_its_buttons_are_their_own_message() -> None:
    caption = plan_edits(ALBUM, {**ALBUM, "text": "T2"}, 10, ALBUM_MESSAGES)
    assert [(e.message_id, e.kind) for e in caption] == [(10, EditKind.CAPTION)]
    assert "buttons" not in caption[0].payload  # an album's file takes no keyboard
    new_buttons = [[{"text": "Go", "url": "https://e.com/go"}]]
    buttons = plan_edits(ALBUM, {**ALBUM, "buttons": new_buttons}, 10, ALBUM_MESSAGES)
    assert [(e.message_id, e.kind) for e in buttons] == [(12, EditKind.TEXT)]
    method, params = action_params(buttons[0].payload)
    assert (method, params["text"], params["reply_markup"]) == (
        "editMessageText", "T", {"inline_keyboard": new_buttons},
    )  # fmt: skip
    both = plan_edits(ALBUM, {**ALBUM, "text": "x", "buttons_text": "x"}, 10, ALBUM_MESSAGES)
    assert [e.message_id for e in both] == [10, 12]
    unchanged = plan_edits(ALBUM, ALBUM, 10, ALBUM_MESSAGES)
    assert [(e.message_id, e.kind) for e in unchanged] == [(10, EditKind.CAPTION)]


def test_an_albums_changed_files_are_edited_each_the_first_with_the_caption() -> None:
    swapped = plan_edits(ALBUM, {**ALBUM, "media": [5, 4]}, 10, ALBUM_MESSAGES)
    assert [(e.message_id, e.kind, e.payload["media_id"]) for e in swapped] == [
        (10, EditKind.MEDIA, 5), (11, EditKind.MEDIA, 4),
    ]  # fmt: skip
    assert [e.payload["caption"] for e in swapped] == ["T", ""]
    assert all("buttons" not in e.payload for e in swapped)
    second = plan_edits(ALBUM, {**ALBUM, "media": [4, 6], "text": "x"}, 10, ALBUM_MESSAGES)
    assert [(e.message_id, e.kind) for e in second] == [
        (10, EditKind.CAPTION), (11, EditKind.MEDIA),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("after", "why"),
    [
        ({**ALBUM, "media": [4, 5, 6]}, "had 2 files and would have 3"),
        ({**ALBUM, "buttons": None}, "buttons came or went"),
    ],
)
def test_what_an_album_cannot_become_is_refused(after: dict[str, Any], why: str) -> None:
    with pytest.raises(EditRefused, match=why):
        plan_edits(ALBUM, after, 10, ALBUM_MESSAGES)


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
