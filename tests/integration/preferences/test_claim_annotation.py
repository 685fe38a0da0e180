"""The claim tells the dispatch gate whether each recipient stored any preference, so a
batch of recipients who chose nothing is judged without a read (issue 18's cost bound),
and one who did is still read and judged (opted out -> skipped)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import event

from herald.clock import FakeClock
from herald.config import AudienceSettings
from herald.db import Database
from herald.preferences import CategoryStore, PreferenceStore
from herald.preferences.gate import PreferenceGate
from herald.preferences.model import Preferences
from herald.queue import DeliveryQueue, Lane, NewDelivery
from herald.worker.gate import Skip


def _mark(recipient_id: Any) -> dict[str, Any]:
    return {"audience": {"recipient_id": recipient_id, "category": None, "gated": True}}


PAYLOADS = {
    "opted out": _mark(1),
    "a time zone": _mark(2),
    "nothing": _mark(3),
    "an id as a string": _mark("3"),
    "an id too long": _mark(10**20),
    "an audience not an object": {"audience": [3]},
    "no audience": {"text": "hi"},
}


async def _enqueue(queue: DeliveryQueue, payloads: dict[str, dict[str, Any]]) -> None:
    await queue.enqueue_many(
        NewDelivery("email", f"r{i}@example.org", p, lane=Lane.CAMPAIGN, idempotency_key=name)
        for i, (name, p) in enumerate(payloads.items())
    )


async def test_the_claim_says_whose_recipient_chose_something(
    db: Database, queue: DeliveryQueue, clock: FakeClock
) -> None:
    store = PreferenceStore(db, clock)
    gate = PreferenceGate(store, CategoryStore(db, clock), AudienceSettings(), clock)
    await store.unsubscribe(1, category=None, channel=None, source="test")
    await store.put(2, Preferences(timezone="Europe/Berlin"))
    await _enqueue(queue, PAYLOADS)

    claimed = await queue.claim("email", 10, "w", annotate=gate.annotation(db.dialect))

    said = {d.idempotency_key: d.annotation for d in claimed}
    assert said.keys() == PAYLOADS.keys()  # a malformed mark never fails the claim
    # False only where it is certain (the gate reads the rest); the gate does not judge
    # the malformed marks, whatever the claim said of them.
    assert [said[k] for k in ("opted out", "a time zone", "nothing")] == [True, True, False]
    assert said["an audience not an object"] is None and said["no audience"] is None
    held = await gate.judge(claimed)
    (skipped,) = (d for d in claimed if d.idempotency_key == "opted out")
    assert set(held) == {skipped.id} and isinstance(held[skipped.id], Skip)


async def test_a_batch_whose_recipients_chose_nothing_is_judged_without_a_read(
    db: Database, queue: DeliveryQueue, clock: FakeClock
) -> None:
    gate = PreferenceGate(
        PreferenceStore(db, clock), CategoryStore(db, clock), AudienceSettings(), clock
    )
    await _enqueue(queue, {f"n{i}": _mark(100 + i) for i in range(5)})
    claimed = await queue.claim("email", 10, "w", annotate=gate.annotation(db.dialect))
    await gate.judge([])  # nothing marked: reads nothing, not even the categories
    await gate.judge(claimed[:1])  # the categories' caps, read once per CATEGORY_TTL
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await gate.judge(claimed) == {}
        assert statements == []  # not even SQLite's BEGIN
        # Claimed without the annotation, the same batch is read.
        assert await gate.judge([*claimed[:1], replace(claimed[1], annotation=None)]) == {}
        assert len([s for s in statements if "recipient_opt_outs" in s]) == 1
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
