"""Real `herald` processes for the tests: their environment, starting, waiting, stopping.

Each process gets this environment minus any ``HERALD_`` variable of the caller, so a
developer's own settings never leak into a test, and writes its output to a log file:
a pipe that nobody reads would block it once the pipe's buffer is full.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.support.fake_telegram import FakeTelegram

HERALD = str(Path(sys.executable).parent / "herald")


def herald_env(database_url: str, **settings: str) -> dict[str, str]:
    """Dev mode on ``database_url`` plus ``settings`` (``HERALD_...="value"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(HERALD_ENV="dev", HERALD_DATABASE_URL=database_url, **settings)
    return env


def fake_bot(telegram: FakeTelegram) -> dict[str, str]:
    """Settings that send Telegram to the fake Bot API, with no update polling."""
    return {
        "HERALD_TELEGRAM_BOT_TOKEN": telegram.token,
        "HERALD_TELEGRAM_API_URL": telegram.url,
        "HERALD_TELEGRAM_UPDATES": "off",
    }


def serve_env(
    database_url: str, telegram: FakeTelegram, port: int, **settings: str
) -> dict[str, str]:
    """`herald serve` on ``port``, sending to the fake Bot API, logging JSON at INFO."""
    return herald_env(
        database_url,
        **fake_bot(telegram),
        HERALD_LOG_FORMAT="json",
        HERALD_LOG_LEVEL="INFO",
        HERALD_PORT=str(port),
        **settings,
    )


def migrate(database_url: str, cwd: Path) -> None:
    """`herald migrate`, as an operator runs it before starting workers."""
    subprocess.run(
        [HERALD, "migrate"], env=herald_env(database_url), cwd=cwd, check=True, capture_output=True
    )


def start_herald(
    command: str, env: dict[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    """`herald <command>` (serve, worker) with stdout and stderr appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [HERALD, command], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )


async def stop_all(procs: Sequence[subprocess.Popen[bytes]], seconds: float = 30) -> list[int]:
    """SIGTERM every process that still runs; their exit codes, in order. Waits in a
    thread, so that peers served by this event loop (a FakeTelegram) go on answering
    the sends a stopping worker finishes; one still running after ``seconds`` is
    killed, and the wait fails."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    try:
        return [await asyncio.to_thread(proc.wait, seconds) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def wait_ready(port: int, seconds: float = 60) -> None:
    """Return once ``GET /readyz`` on the port answers 200; TimeoutError after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"nothing ready on port {port} after {seconds:.0f} s")
            await asyncio.sleep(0.2)
