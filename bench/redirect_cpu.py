"""CPU per ``/r/`` request in-process: herald's app against a bare FastAPI endpoint.

Run from the repository root::

    .venv/bin/python bench/redirect_cpu.py [--requests 20000] [--rounds 3] [--profile]

No sockets and no wrk: both ASGI apps are called directly by the same driver (32
requests in flight, a phone's ``User-Agent`` and ``Accept-Language``), alternating
rounds in one process, and each round's process CPU time (``time.process_time``,
every thread: SQLite's included) is divided by its requests. herald runs as ``herald
serve`` runs it (worker, fan-out and scheduler tasks beside the API) on a fresh,
migrated SQLite file, and a round counts until its clicks are written, so the click
writer's batches are in herald's figure. Tokens are drawn as bench/clicks.py draws
them: 80% to 10 hot links, the rest to links no earlier request named (a target-cache
miss each). What this leaves out is uvicorn's HTTP parsing, the same for both apps,
which is why the ratio here is lower than bench/clicks.py's.

``--profile`` runs one more herald round under cProfile and prints where its time
went. A benchmark, not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fastapi import FastAPI  # noqa: E402
from fastapi.responses import RedirectResponse  # noqa: E402

from clicks import PHONE, add_links  # noqa: E402
from herald.config import Settings  # noqa: E402
from herald.logging import configure_logging  # noqa: E402
from herald.web import create_app  # noqa: E402
from queue_throughput import herald_revision, note  # noqa: E402

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
HOT, HOT_SHARE, IN_FLIGHT = 10, 0.8, 32
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
App = Callable[[Message, Receive, Callable[[Message], Awaitable[None]]], Awaitable[None]]


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/r/{token}")
    async def follow(token: str) -> RedirectResponse:
        return RedirectResponse("https://example.com/offer", status_code=302)

    return app


HEADERS = [
    (b"host", b"herald.example.com"),
    (b"user-agent", PHONE.encode()),
    (b"accept-language", b"en-GB,en;q=0.9"),
    (b"accept", b"*/*"),
]


async def drive(app: App, paths: list[str]) -> None:
    """Every path requested once, ``IN_FLIGHT`` at a time; each must be a 302."""
    queue = iter(paths)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def one() -> None:
        status: list[int] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        for path in queue:
            status.clear()

            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "root_path": "",
                "headers": HEADERS,
                "client": ("127.0.0.1", 50000),
                "server": ("127.0.0.1", 8000),
            }
            await app(scope, receive, send)
            if status != [302]:
                raise SystemExit(f"error: {path} answered {status}")

    await asyncio.gather(*(one() for _ in range(IN_FLIGHT)))


def clicks_stored(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM clicks").fetchone()[0])


class Tokens:
    """``/r/`` paths as bench/clicks.py draws them; cold links are never named twice."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._next_cold = HOT
        self._random = random.Random(1)

    def paths(self, n: int) -> list[str]:
        out = []
        for _ in range(n):
            if self._random.random() < HOT_SHARE:
                index = self._random.randrange(HOT)
            else:
                index, self._next_cold = self._next_cold, self._next_cold + 1
            out.append("/r/" + self._tokens[index])
        return out


async def bench(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="herald-bench-redirect-"))
    db = tmp / "herald.db"
    # Both apps draw paths from the same pool (warm-ups, rounds, the profiled round).
    cold = int(args.requests * (1 - HOT_SHARE) * 1.3 * (2 * args.rounds + 2)) + 1000
    settings = Settings(
        env="dev",
        database_url=f"sqlite:///{db}",
        secret_key=SECRET,
        public_url="https://herald.example.com",
        log_level="WARNING",
        redirect_requests_per_second=1e9,
        redirect_burst=1_000_000_000,
        telegram_updates="off",
    )
    configure_logging(settings)
    herald = create_app(settings)
    bare = bare_app()
    runtime = herald.state.runtime
    async with herald.router.lifespan_context(herald), bare.router.lifespan_context(bare):
        await add_links(db, HOT + cold)
        tokens = Tokens([runtime.signer.link_token(link_id=i) for i in range(1, HOT + cold + 1)])
        stored = 0

        async def herald_round(n: int) -> float:
            nonlocal stored
            paths = tokens.paths(n)
            start = time.process_time()
            await drive(herald, paths)
            await runtime.clicks.flush()
            used = time.process_time() - start
            stored += n
            if (have := await asyncio.to_thread(clicks_stored, db)) != stored:
                raise SystemExit(f"error: {have} clicks stored, {stored} expected")
            return used * 1e6 / n

        async def bare_round(n: int) -> float:
            paths = tokens.paths(n)
            start = time.process_time()
            await drive(bare, paths)
            return (time.process_time() - start) * 1e6 / n

        note("warm-up")
        await bare_round(2000)
        await herald_round(2000)
        results: dict[str, list[float]] = {"bare FastAPI": [], "herald /r/": []}
        for round_ in range(1, args.rounds + 1):
            note(f"round {round_}")
            if args.apps != "herald":
                results["bare FastAPI"].append(await bare_round(args.requests))
            if args.apps != "bare":
                results["herald /r/"].append(await herald_round(args.requests))
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            await herald_round(args.requests)
            profile.disable()
    revision = herald_revision()
    print(f"## /r/ CPU per request in-process (bench/redirect_cpu.py), herald {revision}\n")
    print(f"{args.requests:,} requests a round, {IN_FLIGHT} in flight, rounds alternating\n")
    print("| app | CPU µs/request, each round | mean |")
    print("| --- | --- | ---: |")
    for name, runs in results.items():
        if not runs:
            continue
        each = " / ".join(f"{r:,.0f}" for r in runs)
        print(f"| {name} | {each} | {sum(runs) / len(runs):,.0f} |")
    if all(results.values()):
        mean = {name: sum(runs) / len(runs) for name, runs in results.items()}
        ratio = mean["bare FastAPI"] / mean["herald /r/"]
        print(f"\nbare's CPU per request / herald's: {ratio:.0%}")
    if args.profile:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        print("\n```\n" + out.getvalue() + "```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--apps", choices=("both", "herald", "bare"), default="both", help="rounds of which"
    )
    parser.add_argument("--profile", action="store_true", help="one more herald round, cProfiled")
    parser.add_argument("--sort", default="tottime", help="cProfile's order (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=40)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
