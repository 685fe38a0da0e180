"""``/r/`` under a flood: per client address, the burst goes through, the rest gets 429
with Retry-After (before any token is looked at, and storing nothing), other addresses
are not held back, and waiting as told gets through again. On a fake clock.

The limiter itself (rates, bounded memory, cost) is tests/unit/web/test_throttle.py;
the dashboard's sign-in limit is tested with the dashboard.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from prometheus_client import generate_latest
from sqlalchemy import func, select

from herald.clock import FakeClock
from herald.config import load_settings
from herald.db.tables import clicks
from herald.runtime import Runtime
from herald.scheduling.content import Kind
from herald.web import create_app, redirect
from herald.web.throttle import Throttle

PUBLIC = "https://herald.example.com"


@pytest.fixture
async def app(database_url: str, clock: FakeClock) -> AsyncIterator[tuple[FastAPI, Runtime]]:
    settings = load_settings(env="dev", database_url=database_url, public_url=PUBLIC)
    runtime = Runtime.build(settings, clock=clock)
    application = create_app(
        settings, runtime=runtime, run_worker=False, run_scheduler=False, poll_updates=False
    )
    try:
        async with application.router.lifespan_context(application):
            yield application, runtime
    finally:
        await runtime.close()


@asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[AsyncClient]:
    """A client whose requests come from ``address`` (the ASGI scope's client)."""
    transport = ASGITransport(app=app, client=(address, 40000))
    async with AsyncClient(transport=transport, base_url="http://herald.test") as client:
        yield client


async def stored_clicks(runtime: Runtime) -> int:
    await runtime.clicks.flush()
    async with runtime.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(clicks)) or 0)


async def a_link(runtime: Runtime) -> str:
    [guide, *_] = await runtime.content.all(Kind.GUIDE)
    return f"/r/{runtime.signer.link_token(content_id=guide.id, cta=0)}"


async def test_a_flood_from_one_address_is_cut_to_its_burst(
    app: tuple[FastAPI, Runtime], clock: FakeClock
) -> None:
    application, runtime = app
    application.state.redirect_throttle = Throttle(per_second=2.0, burst=5)
    link = await a_link(runtime)
    async with (
        client_at(application, "203.0.113.7") as flood,
        client_at(application, "198.51.100.1") as other,
    ):
        codes = [(await flood.get(link)).status_code for _ in range(50)]
        assert codes == [302] * 5 + [429] * 45
        refused = await flood.get(link)
        assert refused.headers["retry-after"] == "1"  # a token is 0.5 s away: at least 1
        assert "location" not in refused.headers
        assert refused.json() == {"detail": "too many requests"}
        forged = await flood.get("/r/forged")
        assert forged.status_code == 429  # refused before the token is even read

        assert (await other.get(link)).status_code == 302  # another address goes on

        clock.advance(0.5)  # one token back
        assert [(await flood.get(link)).status_code for _ in range(2)] == [302, 429]
        clock.advance(60)  # idle: the whole burst again, no more
        assert [(await flood.get(link)).status_code for _ in range(6)] == [302] * 5 + [429]

    assert await stored_clicks(runtime) == 5 + 1 + 1 + 5  # a refused request stores nothing
    metrics = generate_latest(runtime.metrics.registry).decode()
    assert "tracked_links_rejected_total 0.0" in metrics  # 429s are not forgeries


async def test_the_default_limit_is_generous_and_none_turns_it_off(
    app: tuple[FastAPI, Runtime],
) -> None:
    """The app's throttle comes from the settings' defaults; a shared address (a
    carrier's NAT, an office) gets a burst of 500 before any 429."""
    application, runtime = app
    link = await a_link(runtime)
    burst = runtime.settings.redirect_burst
    assert burst == 500
    async with client_at(application, "192.0.2.1") as client:
        codes = [(await client.get(link)).status_code for _ in range(burst)]
        assert set(codes) == {302}
        assert (await client.get(link)).status_code == 429
        assert isinstance(application.state.redirect_throttle, Throttle)

        application.state.redirect_throttle = None
        assert {(await client.get(link)).status_code for _ in range(20)} == {302}
    off = runtime.settings.model_copy(update={"redirect_requests_per_second": 0})
    assert redirect.throttle_for(off) is None  # HERALD_REDIRECT_REQUESTS_PER_SECOND=0


async def test_an_ipv6_client_counts_by_its_64(app: tuple[FastAPI, Runtime]) -> None:
    """A subscriber holds a whole /64: its 2**64 addresses share one bucket."""
    application, runtime = app
    application.state.redirect_throttle = Throttle(per_second=1.0, burst=2)
    link = await a_link(runtime)
    async with (
        client_at(application, "2001:db8:1:2::1") as one,
        client_at(application, "2001:db8:1:2:ffff:ffff:ffff:ffff") as same_64,
        client_at(application, "2001:db8:1:3::1") as next_64,
        client_at(application, "::ffff:192.0.2.9") as mapped,
        client_at(application, "192.0.2.9") as v4,
    ):
        assert [(await c.get(link)).status_code for c in (one, same_64, same_64)] == [302, 302, 429]
        assert (await next_64.get(link)).status_code == 302
        assert [(await c.get(link)).status_code for c in (mapped, v4, v4)] == [302, 302, 429]
