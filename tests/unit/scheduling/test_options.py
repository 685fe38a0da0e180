"""Post options: stored as only the fields set, merged field by field, and written as
the Bot API's sendMessage parameters (which the sender checks before any call)."""

from __future__ import annotations

import pytest

from herald.channels.telegram.sender import message_params
from herald.scheduling.options import LinkPreview, PostOptions, PreviewSize

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
