"""A newcomer's first minute, as `make run` has it: `herald serve` in dev mode on
SQLite with no credentials prints a one-time sign-in link; with it the dashboard
opens, the first guide and promo are in the sandbox inbox within seconds, a press of
the promo's button reaches the analytics, and the link does not work twice. In prod
nothing is printed and the route refuses."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from herald.scheduling.defaults import GUIDES, PROMOS, SANDBOX_DEMO_CHAT
from tests.support.dashboard import press_forms, use_sign_in_link
from tests.support.ports import free_port
from tests.support.processes import herald_env, start_herald, stop_all, wait_ready

pytestmark = pytest.mark.slow
LINK = re.compile(
    r"Dashboard sign-in \(one use, 15 minutes\): (http://\S+/login/link\?token=(\S+))"
)
GUIDE = GUIDES["guide:trading-fundamentals"].title
PROMO = PROMOS["promo:premium-signals"]


def text(log: Path) -> str:
    return log.read_text()


async def printed_link(log: Path, seconds: float = 20) -> re.Match[str]:
    deadline = time.monotonic() + seconds
    while (found := LINK.search(text(log))) is None:
        assert time.monotonic() < deadline, f"no sign-in link printed:\n{text(log)}"
        await asyncio.sleep(0.1)
    return found


async def stopped(serve: subprocess.Popen[bytes]) -> None:
    """uvicorn ends a graceful shutdown by re-raising the SIGTERM it caught."""
    assert set(await stop_all([serve])) <= {0, -signal.SIGTERM}


async def page_until(client: httpx.AsyncClient, path: str, *needles: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while True:
        page = await client.get(path)
        if page.status_code == 200 and all(n in page.text for n in needles):
            return page.text
        assert time.monotonic() < deadline, f"{path} never showed {needles}:\n{page.text}"
        await asyncio.sleep(0.2)


async def test_serve_in_dev_mode_shows_the_whole_product(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = herald_env(f"sqlite+aiosqlite:///{tmp_path}/herald.db", HERALD_PORT=str(port))
    started = time.monotonic()
    serve = start_herald("serve", env, tmp_path, log)
    try:
        await wait_ready(port)
        link = await printed_link(log)
        assert link.group(1).startswith(f"http://127.0.0.1:{port}/")
        assert len(LINK.findall(text(log))) == 1
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            signed_in = await use_sign_in_link(client, link.group(2))
            assert signed_in.status_code == 303, signed_in.text

            inbox = await page_until(
                client, "/sandbox", GUIDE, PROMO.title, SANDBOX_DEMO_CHAT, seconds=15
            )
            assert time.monotonic() - started < 60  # a first start, migrations and all
            [(action, csrf, data)] = press_forms(inbox)
            pressed = await client.post(action, data={"csrf": csrf, "data": data})
            assert pressed.status_code == 200 and PROMO.alert_text in pressed.text

            analytics = await page_until(client, "/analytics", "clicks-chart", seconds=10)
            row = next(line for line in analytics.splitlines() if f"{PROMO.title}</a>" in line)
            # posts, chats reached, members reached, clicks, unique users, flagged
            numbers = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]
            assert numbers[3:6] == [1, 1, 0]

            client.cookies.clear()
            again = await use_sign_in_link(client, link.group(2))
            assert again.status_code == 410 and "already used" in again.text
    finally:
        await stopped(serve)
    # The token is on the terminal once, and in no log line.
    assert text(log).count(link.group(2)) == 1


async def test_serve_in_prod_prints_no_link(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = herald_env(
        f"sqlite+aiosqlite:///{tmp_path}/herald.db",
        HERALD_SECRET_KEY="a-prod-secret-key-of-enough-length-0123456789",
        HERALD_PORT=str(port),
    )
    env["HERALD_ENV"] = "prod"
    serve = start_herald("serve", env, tmp_path, log)
    try:
        await wait_ready(port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            refused = await client.get("/login/link", params={"token": "hl_anything"})
            assert refused.status_code == 404 and "dev mode only" in refused.text
    finally:
        await stopped(serve)
    assert "Application shutdown complete" in text(log)
    assert "sign-in" not in text(log).lower() and "hl_" not in text(log)
