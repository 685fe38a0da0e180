"""Work for one channel makes only that channel worth claiming again."""

from __future__ import annotations

from herald.queue.wakeup import Wakeup


def test_work_for_a_channel_changes_its_generation_only() -> None:
    wakeup = Wakeup()
    telegram, email = wakeup.generation_of("telegram"), wakeup.generation_of("email")
    wakeup.work_arrived(["telegram"])
    assert wakeup.generation_of("telegram") != telegram
    assert wakeup.generation_of("email") == email


def test_work_anywhere_changes_every_generation() -> None:
    wakeup = Wakeup()
    before = {c: wakeup.generation_of(c) for c in ("telegram", "email", "push")}
    wakeup.work_arrived()  # a replay, a rescue, another process: channel unknown
    assert all(wakeup.generation_of(c) != g for c, g in before.items())
