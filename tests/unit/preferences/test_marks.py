"""Which messages the dispatch gate judges, and what templates say about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herald.messaging.templates import InvalidTemplate, TemplateRegistry
from herald.messaging.templates.models import TemplateAudience
from herald.preferences import marks
from tests.unit.messaging.test_templates import own


def test_campaign_messages_are_judged_and_transactional_ones_only_when_checked() -> None:
    assert marks.mark(1, "promos", campaign=True).gated
    assert not marks.mark(1, None, campaign=False).gated
    assert marks.mark(1, None, campaign=False, checked=True).gated
    assert not marks.mark(1, "alerts", campaign=True, required=True).gated


def test_a_mark_survives_the_payload_and_a_malformed_one_is_none() -> None:
    mark = marks.mark(7, "promos", campaign=True)
    assert marks.read({"text": "hi", marks.KEY: mark.as_json()}) == mark
    assert marks.read({"text": "hi"}) is None
    assert marks.read({marks.KEY: {"recipient_id": "7"}}) is None
    assert marks.read({marks.KEY: {"recipient_id": 7, "category": 3}}) is None
    # No recipient has an id past BIGINT's (and the gate's read of one would fail).
    assert marks.read({marks.KEY: {"recipient_id": 2**63, "gated": True}}) is None


def test_the_gate_reads_only_the_marks_it_judges() -> None:
    judged = marks.mark(7, "promos", campaign=True).as_json()
    assert marks.gated({marks.KEY: judged}) == (7, "promos")
    assert marks.gated({marks.KEY: marks.mark(7, None, campaign=False).as_json()}) is None
    assert marks.gated({marks.KEY: {"recipient_id": "7", "gated": True}}) is None
    assert marks.gated({"text": "hi"}) is None


def test_the_position_alerts_are_required() -> None:
    registry = TemplateRegistry()
    for name in ("position_entry_failed", "position_sl_failed", "position_tp_failed"):
        assert registry.audience(name) == TemplateAudience(required=True)
        assert registry.get(name).audience.required


def test_a_template_names_its_category_and_flags(tmp_path: Path) -> None:
    meta = {"description": "weekly", "category": "promos", "checked": True}
    registry = own(
        tmp_path, {"weekly/telegram.md.j2": "hi", "weekly/template.json": json.dumps(meta)}
    )
    assert registry.audience("weekly") == TemplateAudience("promos", required=False, checked=True)


@pytest.mark.parametrize(
    "meta",
    [
        {"category": 3},
        {"required": "yes"},
        {"required": True, "checked": True},
    ],
)
def test_bad_audience_fields_stop_the_registry(tmp_path: Path, meta: dict[str, object]) -> None:
    with pytest.raises(InvalidTemplate):
        own(tmp_path, {"x/telegram.md.j2": "hi", "x/template.json": json.dumps(meta)})
