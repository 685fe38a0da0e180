"""Text the API stores: what PostgreSQL would refuse is a 422 naming the field."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from herald.web.api.notifications import _per_recipient
from herald.web.schemas import StoredObject, StoredText


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "x\udfff"])
def test_nul_and_lone_surrogates_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(StoredText).validate_python(bad)
    with pytest.raises(ValidationError):
        TypeAdapter(StoredObject).validate_python({"deep": [{"k": bad}]})
    with pytest.raises(ValidationError):
        TypeAdapter(StoredObject).validate_python({bad: 1})


def test_everything_else_is_kept_as_given() -> None:
    value = {"emoji": "🚀 κόσμος", "n": [1, 2.5, None, True], "nested": {"e": ""}}
    assert TypeAdapter(StoredObject).validate_python(value) == value


def test_a_per_recipient_key_fits_the_column() -> None:
    assert _per_recipient(None, "u1") is None
    assert _per_recipient("order-7", "u1") == "order-7:u1"
    long_key = _per_recipient("k" * 200, "u" * 255)
    assert long_key is not None and len(long_key) <= 255
    assert long_key != _per_recipient("k" * 200, "u" * 254 + "v")
