"""Lane parsing and the default ordering key of a new delivery."""

from __future__ import annotations

import pytest

from herald.queue import Lane, NewDelivery


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("transactional", Lane.TRANSACTIONAL),
        ("campaign", Lane.CAMPAIGN),
        ("CAMPAIGN", Lane.CAMPAIGN),
        ("Transactional", Lane.TRANSACTIONAL),
        (0, Lane.TRANSACTIONAL),
        (1, Lane.CAMPAIGN),
        (Lane.CAMPAIGN, Lane.CAMPAIGN),
    ],
)
def test_parse(value: str | int | Lane, expected: Lane) -> None:
    assert Lane.parse(value) is expected


@pytest.mark.parametrize("value", ["bulk", "", "0", "transactional "])
def test_parse_unknown_name(value: str) -> None:
    with pytest.raises(ValueError, match="unknown lane"):
        Lane.parse(value)


@pytest.mark.parametrize("value", [2, -1])
def test_parse_unknown_int(value: int) -> None:
    with pytest.raises(ValueError):
        Lane.parse(value)


def test_transactional_sorts_first() -> None:
    assert Lane.TRANSACTIONAL < Lane.CAMPAIGN
    assert int(Lane.TRANSACTIONAL) == 0


def test_label() -> None:
    assert Lane.TRANSACTIONAL.label == "transactional"
    assert Lane.CAMPAIGN.label == "campaign"


def test_new_delivery_key_defaults_to_channel_and_recipient() -> None:
    new = NewDelivery(channel="telegram", recipient="42", payload={"text": "hi"})
    assert new.key() == "telegram:42"
    assert new.lane is Lane.TRANSACTIONAL


def test_new_delivery_key_uses_the_ordering_key() -> None:
    new = NewDelivery(channel="email", recipient="a@example.com", payload={}, ordering_key="k1")
    assert new.key() == "k1"
