"""A batch item's template error names the field the caller must change."""

from __future__ import annotations

from herald.messaging.intake import _field_of
from herald.messaging.templates import (
    ChannelNotSupported,
    MessageTooLong,
    MissingVariables,
    TemplateNotFound,
)


def test_the_template_or_the_variables() -> None:
    assert _field_of(TemplateNotFound("nope")) == "template"
    assert _field_of(ChannelNotSupported("promo_only", "push")) == "template"
    assert _field_of(MissingVariables(["symbol"])) == "vars"
    assert _field_of(MessageTooLong("telegram", 5000, 4096)) == "vars"
