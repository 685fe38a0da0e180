"""Post options: stored as only the fields set, merged field by field, and written as
the Bot API's sendMessage parameters (which the sender checks before any call)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from herald.channels.telegram.sender import message_params
from herald.scheduling.effects import PostEnd, followups
from herald.scheduling.options import LinkPreview, Pin, PostOptions, PreviewSize

ITEM = PostOptions(silent=True, link_preview=LinkPreview("https://e.com", PreviewSize.LARGE))


def test_unset_fields_take_the_defaults_and_set_ones_win() -> None:
    schedule = PostOptions(silent=False, protect_content=True)
    merged = schedule.over(ITEM)
    assert merged == PostOptions(False, True, ITEM.link_preview)
    assert PostOptions().over(ITEM) == ITEM
    assert PostOptions(link_preview=False).over(ITEM).link_preview is False


def test_options_round_trip_through_json_with_only_what_is_set() -> None:
    assert PostOptions().to_json() == {}
    data = PostOptions(False, None, LinkPreview(above_text=True)).to_json()
    assert data == {"silent": False, "link_preview": {"above_text": True}}
    assert PostOptions.from_json(data) == PostOptions(False, None, LinkPreview(above_text=True))
    assert PostOptions.from_json({"link_preview": True}).link_preview == LinkPreview()
    assert PostOptions.from_json(None) == PostOptions()


@pytest.mark.parametrize(
    ("options", "params"),
    [
        (PostOptions(), {}),
        (PostOptions(silent=False, protect_content=False), {}),
        (PostOptions(link_preview=LinkPreview()), {"link_preview_options": {}}),
        (
            ITEM,
            {
                "disable_notification": True,
                "link_preview_options": {"url": "https://e.com", "prefer_large_media": True},
            },
        ),
        (
            PostOptions(protect_content=True, link_preview=False),
            {"protect_content": True, "link_preview_options": {"is_disabled": True}},
        ),
    ],
)
def test_options_are_the_bot_apis_parameters(
    options: PostOptions, params: dict[str, object]
) -> None:
    assert options.telegram() == params
    sent = message_params({"text": "x", "parse_mode": None, **options.telegram()})
    assert sent == {"text": "x", **params}


def test_pin_and_deletion_are_one_field_each_and_false_turns_them_off() -> None:
    item = PostOptions(pin=Pin(notify=True), delete_after_hours=3)
    assert item.afterwards() == {
        "pin": {"notify": True, "unpin_after_hours": None},
        "delete_after_hours": 3.0,
    }
    assert PostOptions(pin=Pin(False, 1)).over(item).afterwards() == {
        "pin": {"notify": False, "unpin_after_hours": 1.0},
        "delete_after_hours": 3.0,
    }
    off = PostOptions(pin=False, delete_after_hours=False)
    assert off.over(item).afterwards() == {}
    assert PostOptions.from_json(off.to_json()) == off
    assert PostOptions.from_json(item.to_json()) == item
    assert item.telegram() == {}  # nothing of it is a sendMessage parameter


def test_a_sent_posts_followups_are_due_from_its_own_time_and_keyed_by_it() -> None:
    sent_at = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    plan = PostOptions(pin=Pin(False, 1.5), delete_after_hours=47).afterwards()
    end = PostEnd(41, True, "7", None, "sent", "-1001", "schedule:3", sent_at, plan)
    steps = followups(end)
    assert [(d.payload, d.run_at, d.idempotency_key) for d in steps] == [
        ({"action": "pin", "message_id": 7, "disable_notification": True}, sent_at, "pin:41"),
        ({"action": "unpin", "message_id": 7}, sent_at + timedelta(hours=1.5), "unpin:41"),
        ({"action": "delete", "message_id": 7}, sent_at + timedelta(hours=47), "delete:41"),
    ]
    assert {(d.recipient, d.campaign) for d in steps} == {("-1001", "schedule:3")}
    # A failed post, or a sandbox one (no Telegram message id), has nothing to follow.
    assert followups(PostEnd(41, False, None, "x", "dead", "-1001", None, sent_at, plan)) == []
    sandbox = PostEnd(41, True, "sandbox-2", None, "sent", "-1001", None, sent_at, plan)
    assert followups(sandbox) == []
