"""Event ids: unique, the same shape as before (``evt_`` and 32 hex digits), and in the
order they were drawn across milliseconds, so their unique index grows at its end."""

from __future__ import annotations

import string
import time

from herald.events import new_event_ids
from herald.events.outbox import new_event_id


def test_ids_are_unique_hex_and_grow_with_time() -> None:
    first = new_event_ids(1000)
    time.sleep(0.002)
    second = [*new_event_ids(3), new_event_id()]
    assert len(set(first + second)) == len(first) + len(second)
    for event_id in first + second:
        assert event_id.startswith("evt_") and len(event_id) == 36
        assert set(event_id[4:]) <= set(string.hexdigits.lower())
    assert max(first) < min(second)
    assert new_event_ids(0) == []
