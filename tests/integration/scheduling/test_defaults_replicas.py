"""Replicas started at the same moment install the defaults once, and none of them fails
(two `herald serve` processes used to crash one another with ScheduleExists)."""

from __future__ import annotations

import asyncio

from herald.clock import FakeClock
from herald.config import load_settings
from herald.db import migrate
from herald.runtime import Runtime
from herald.scheduling.defaults import GUIDES, PROMOS, install_defaults


async def test_replicas_starting_together_install_the_defaults_once(
    database_url: str, clock: FakeClock
) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    replicas = [Runtime.build(settings, clock=clock) for _ in range(3)]
    try:
        await migrate.upgrade(replicas[0].db)
        await asyncio.gather(
            *(install_defaults(settings, r.db, r.content, r.schedules) for r in replicas)
        )
        seeded = sorted(item.seed_key or "" for item in await replicas[0].content.all())
        assert seeded == sorted([*GUIDES, *PROMOS])
        names = sorted(s.name for s in await replicas[0].schedules.all())
        assert names == ["guides", "promos"]
    finally:
        for r in replicas:
            await r.close()
