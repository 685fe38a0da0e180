"""Alert ingest: ``POST /api/v1/notifications`` (one recipient each) and the batch endpoint.

Run from the repository root::

    .venv/bin/python bench/ingest.py [--backend sqlite|postgresql|both] [--seconds 10]
                                     [--connections 32] [--batches 40]

Everything runs on this machine over loopback:

- ``herald serve`` (one uvicorn process as in production, the worker sending in it) on a
  fresh, migrated database with 10,000 recipients (Telegram chats of the fake Bot API, in
  this process), shipped defaults but for the log level;
- a *bare* FastAPI app in its own uvicorn process with herald's uvicorn settings, whose
  ``POST`` validates the same JSON body with a model of the same fields and answers 202:
  the baseline the issue names.

Single requests: wrk drives one-recipient notifications with N connections for S
seconds (recipient and position id varying per request), against the bare app and
herald, alternately, two rounds each after a warm-up. Batches: B requests of 1,000
items each, 4 at a time, timed from the first sent to the last answered. Afterwards
every 202 must be a stored notification with its first delivery (checked and reported).

Progress goes to stderr; the machine and Markdown tables go to stdout. A benchmark,
not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from tests.support.alerts import SL_VARS  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.processes import wait_ready  # noqa: E402

from clicks import HERALD, start_bare, stop, wrk  # noqa: E402
from herald.config import normalize_database_url  # noqa: E402
from herald.db import Database  # noqa: E402
from herald.db.tables import deliveries, notifications, recipients  # noqa: E402
from queue_throughput import herald_revision, machine_info, note  # noqa: E402

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
RECIPIENTS = 10_000
BATCH_ITEMS = 1_000
BATCH_PARALLEL = 4


class BareBody(BaseModel):
    """The baseline's body: the fields of herald's NotificationIn, validated the same way."""

    recipients: list[str] = Field(min_length=1, max_length=1000)
    template: str
    vars: dict[str, Any] = Field(default_factory=dict)
    channels: list[str] = Field(default_factory=list)
    priority: str = "transactional"
    idempotency_key: str | None = None


def bare_app_main(port: int) -> None:
    """The baseline: FastAPI + uvicorn with herald's uvicorn settings, the same body."""
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/api/v1/notifications", status_code=202)
    async def notify(body: BareBody) -> dict[str, Any]:
        return {"notifications": [{"recipient": body.recipients[0], "id": 1, "created": True}]}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


def notify_script(tmp: Path, key: str) -> Path:
    """A wrk script POSTing one-recipient stop-loss alerts, recipient varying."""
    head = json.dumps({k: v for k, v in SL_VARS.items() if k != "position_id"})[1:-1]
    script = tmp / "notify.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        f"  local r = math.random(1, {RECIPIENTS})\n"
        '  local body = \'{"recipients": ["u\' .. r .. \'"], "template": "position_sl_failed", '
        f'"vars": {{{head}, "position_id": "p\' .. n .. \'"}}}}\'\n'
        "  return wrk.format(nil, nil, nil, body)\n"
        "end\n"
    )
    return script


async def seed(url: str) -> None:
    """RECIPIENTS recipients, each a Telegram chat of the fake Bot API."""
    db = Database(normalize_database_url(url))
    at = datetime.now(UTC)
    rows = [
        {
            "external_id": f"u{i}",
            "telegram_chat_id": str(100_000 + i),
            "channels": ["telegram"],
            "opted_out": [],
            "created_at": at,
            "updated_at": at,
        }
        for i in range(1, RECIPIENTS + 1)
    ]
    async with db.write() as conn:
        await conn.execute(insert(recipients), rows)
    await db.dispose()


async def counts(url: str) -> tuple[int, int]:
    """Stored notifications, and deliveries that belong to one."""
    db = Database(normalize_database_url(url))
    async with db.read() as conn:
        n = await conn.scalar(select(func.count()).select_from(notifications))
        d = await conn.scalar(
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.notification_id.is_not(None))
        )
    await db.dispose()
    return int(n or 0), int(d or 0)


def create_key(env: dict[str, str], cwd: Path) -> str:
    out = subprocess.run(
        [HERALD, "keys", "create", "--role", "admin", "--name", "bench"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return next(w for w in out.split() if w.startswith("hk_"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_batches(port: int, key: str, n: int, offset: int) -> tuple[float, int]:
    """n batch requests of BATCH_ITEMS, BATCH_PARALLEL at a time: (seconds, accepted)."""
    bodies = []
    for b in range(n):
        items = [
            {
                "recipient": f"u{(b * BATCH_ITEMS + i) % RECIPIENTS + 1}",
                "template": "position_sl_failed",
                "vars": {**SL_VARS, "position_id": f"b{offset + b}-{i}"},
            }
            for i in range(BATCH_ITEMS)
        ]
        bodies.append(json.dumps({"items": items}).encode())
    accepted = 0
    sem = asyncio.Semaphore(BATCH_PARALLEL)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=120,
    ) as client:

        async def one(body: bytes) -> int:
            async with sem:
                r = await client.post("/api/v1/notifications/batch", content=body)
            r.raise_for_status()
            return sum(1 for x in r.json()["results"] if x.get("id"))

        started = time.perf_counter()
        for got in await asyncio.gather(*(one(b) for b in bodies)):
            accepted += got
        return time.perf_counter() - started, accepted


async def bench_backend(args: argparse.Namespace, backend: str, tmp: Path) -> dict[str, object]:
    pg: PostgresServer | None = None
    if backend == "postgresql":
        pg = PostgresServer().start()
        url = pg.create_database("bench_ingest")
    else:
        url = f"sqlite:///{tmp / 'ingest.db'}"
    herald_port, bare_port = free_port(), free_port()
    out: dict[str, object] = {"runs": {}}
    async with FakeTelegram() as telegram:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        env.update(
            HERALD_ENV="dev",
            HERALD_SECRET_KEY=SECRET,
            HERALD_LOG_LEVEL="WARNING",
            HERALD_DATABASE_URL=url,
            HERALD_PORT=str(herald_port),
            HERALD_TELEGRAM_BOT_TOKEN=telegram.token,
            HERALD_TELEGRAM_API_URL=telegram.url,
            HERALD_TELEGRAM_UPDATES="webhook",
            HERALD_TELEGRAM_WEBHOOK_SECRET="bench-webhook-secret",
        )
        await asyncio.to_thread(
            subprocess.run, [HERALD, "migrate"], env=env, cwd=tmp, check=True, capture_output=True
        )
        await seed(url)
        key = await asyncio.to_thread(create_key, env, tmp)
        serve = [HERALD, "serve"] + ([] if args.worker else ["--no-worker"])
        herald = subprocess.Popen(serve, env=env, cwd=tmp)  # noqa: ASYNC220
        bare = start_bare(tmp, bare_port, __file__)
        try:
            await wait_ready(herald_port)
            await wait_ready(bare_port)
            script = notify_script(tmp, key)
            if args.profile:  # py-spy (pip install py-spy) samples herald: folded stacks
                out_path = Path(args.profile).with_suffix(f".{backend}.txt")
                spy = ["py-spy", "record", "-r", "100", "--gil", "-f", "raw", "-o", str(out_path)]
                spy += ["-d", str(args.seconds * 4 + 6), "-p", str(herald.pid)]
                subprocess.Popen(spy, stdout=subprocess.DEVNULL)  # noqa: ASYNC220
            urls = {
                "bare FastAPI": f"http://127.0.0.1:{bare_port}/api/v1/notifications",
                "herald": f"http://127.0.0.1:{herald_port}/api/v1/notifications",
            }
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
            accepted = 0
            for name, url_ in urls.items():
                note(f"{backend}: warm-up {name}")
                warm = await asyncio.to_thread(wrk, url_, 2, args.connections, script)
                accepted += int(warm["requests"] - warm["errors"]) if name == "herald" else 0
            for round_ in (1, 2):
                for name, url_ in urls.items():
                    note(f"{backend}: round {round_}: {name}, {args.seconds} s")
                    cpu = cpu_seconds(herald.pid)
                    run = await asyncio.to_thread(wrk, url_, args.seconds, args.connections, script)
                    if name == "herald":  # its process's CPU (all threads) per request
                        spent = cpu_seconds(herald.pid) - cpu
                        run["cpu_ms"] = spent * 1000 / max(run["requests"], 1)
                    runs[name].append(run)
                    if name == "herald":
                        accepted += int(run["requests"] - run["errors"])
            out["runs"] = runs
            if args.batches:
                note(f"{backend}: {args.batches} batches of {BATCH_ITEMS}")
                await run_batches(herald_port, key, 2, offset=10_000)  # warm-up
                seconds, got = await run_batches(herald_port, key, args.batches, offset=0)
                out["batch"] = (seconds, got)
                accepted += got + 2 * BATCH_ITEMS
            out["accepted"] = accepted
        finally:
            stop(herald, bare)
        out["stored"] = await counts(url)
    if pg is not None:
        pg.cleanup()
    return out


def report(args: argparse.Namespace, results: dict[str, dict[str, object]]) -> None:
    print(f"## Alert ingest (bench/ingest.py), herald {herald_revision()}\n")
    print("\n".join(machine_info(None)))
    print(
        f"\n`{' '.join(['bench/ingest.py', *sys.argv[1:]])}`: wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s, two rounds each, alternating; worker sending in the same process\n"
    )
    print(
        "| backend | endpoint | round | requests/s | p50 ms | p99 ms | non-2xx | herald CPU/req |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for backend, res in results.items():
        runs: dict[str, list[dict[str, float]]] = res["runs"]  # type: ignore[assignment]
        for name, rs in runs.items():
            for i, r in enumerate(rs, 1):
                print(
                    f"| {backend} | {name} | {i} | {r['rps']:,.0f} | {r['p50_ms']:.2f} "
                    f"| {r['p99_ms']:.2f} | {r['errors']:.0f} | "
                    + (f"{r['cpu_ms']:.2f} ms |" if "cpu_ms" in r else "- |")
                )
    print("\n| backend | figure | value | target |")
    print("| --- | --- | ---: | --- |")
    for backend, res in results.items():
        runs = res["runs"]  # type: ignore[assignment]
        bare = sum(r["rps"] for r in runs["bare FastAPI"]) / 2
        ours = sum(r["rps"] for r in runs["herald"]) / 2
        p99 = max(r["p99_ms"] for r in runs["herald"])
        print(f"| {backend} | single requests accepted/s (mean) | {ours:,.0f} | >= 2,000 |")
        print(f"| {backend} | herald / bare FastAPI | {ours / bare:.0%} | >= 25% |")
        print(f"| {backend} | p99 (worst round) | {p99:.1f} ms | <= 50 ms |")
        if "batch" in res:
            seconds, got = res["batch"]  # type: ignore[misc]
            target = "20,000" if backend == "postgresql" else "10,000"
            print(
                f"| {backend} | batch notifications/s ({got:,} in {seconds:.2f} s, "
                f"{BATCH_PARALLEL} requests at a time) | {got / seconds:,.0f} | >= {target} |"
            )
        stored_n, stored_d = res["stored"]  # type: ignore[misc]
        print(
            f"| {backend} | stored notifications / deliveries / accepted | {stored_n:,} / "
            f"{stored_d:,} / {res['accepted']:,} | all (in-flight at wrk's stop count too) |"
        )


async def main_async(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="herald-bench-ingest-"))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = {b: await bench_backend(args, b, tmp) for b in backends}
    shutil.rmtree(tmp, ignore_errors=True)
    report(args, results)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        bare_app_main(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument(
        "--no-worker", dest="worker", action="store_false", help="serve without the worker"
    )
    parser.add_argument("--profile", help="record herald with py-spy into PROFILE.<backend>.txt")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
