"""Click logging throughput: callback presses by long polling and ``/r/`` tracked links.

Run from the repository root::

    .venv/bin/python bench/clicks.py [--seconds 10] [--presses 20000] [--connections 32]

Everything runs on this machine over loopback, on SQLite:

- ``herald serve`` (one uvicorn process, as in production: worker, scheduler and long
  polling in it) on a fresh, migrated SQLite file, with ``HERALD_PUBLIC_URL`` set;
- a *bare* FastAPI app in its own uvicorn process with the same uvicorn settings, whose
  ``GET /r/{token}`` only answers a 302: the baseline the issue names;
- the fake Bot API server (``tests/support/fake_telegram.py``) in this process.

``/r/``: wrk (Debian's package; installed with apt-get when missing and run as root)
drives ``GET /r/<token>`` with N connections for S seconds, against the bare app and
against herald, alternately, two rounds each, after a warm-up; the figures are wrk's
requests/s and its latency percentiles. Every herald click must then be in the database
(they are written in batches), which the script checks and reports.

Callback presses: P signed ``callback_query`` updates are queued at the fake server;
herald's long polling fetches them (100 per getUpdates), stores each click and answers
each query with answerCallbackQuery. The rate is P over the time from queuing the
first press (herald is already long-polling) to the moment every click is in the
database and every query answered. The fake server shares the machine's two cores with herald.

Progress goes to stderr; the machine and a Markdown table go to stdout. A benchmark,
not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402
from tests.support.processes import wait_ready  # noqa: E402

from herald.tracking.signing import Signer  # noqa: E402
from queue_throughput import herald_revision, machine_info, note  # noqa: E402

HERALD = str(Path(sys.executable).parent / "herald")
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
WEBHOOK_SECRET = "bench-webhook-secret"
PUBLIC = "https://herald.example.com"
CHAT = -1001234567890


def bare_app_main(port: int) -> None:
    """The baseline: FastAPI + uvicorn with herald's uvicorn settings, nothing else."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse

    app = FastAPI()

    @app.get("/r/{token}")
    async def follow(token: str) -> RedirectResponse:
        return RedirectResponse("https://example.com/offer", status_code=302)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        note("installing wrk (Debian package)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("error: wrk is needed: apt-get install wrk")
    return found


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> dict[str, float]:
    extra = ["-s", str(script)] if script else []
    out = subprocess.run(
        [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}  # type: ignore[index]
    figures["requests"] = float(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        figures[f"p{pct}_ms"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = float(errors[1]) if errors else 0.0
    return figures


def clicks_in(db_path: Path, source: str) -> int:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT count(*) FROM clicks WHERE source = ?", (source,)).fetchone()
    return int(row[0])


async def wait_clicks(db_path: Path, source: str, n: int, seconds: float = 60) -> float:
    """Seconds until ``n`` clicks of ``source`` are stored (monotonic time when it held)."""
    deadline = time.monotonic() + seconds
    while (have := await asyncio.to_thread(clicks_in, db_path, source)) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"error: only {have} of {n} {source} clicks stored")
        await asyncio.sleep(0.01)
    return time.monotonic()


def start_herald(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    subprocess.run([HERALD, "migrate"], env=env, cwd=cwd, check=True, capture_output=True)
    return subprocess.Popen([HERALD, "serve"], env=env, cwd=cwd)


def start_bare(cwd: Path, port: int, script: str = __file__) -> subprocess.Popen[bytes]:
    """``script --bare PORT``: a benchmark's baseline app in its own process."""
    return subprocess.Popen([sys.executable, script, "--bare", str(port)], cwd=cwd)


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


def press_script(tmp: Path, data: str) -> Path:
    """A wrk script POSTing one callback_query update to the webhook, users varying."""
    update = (
        '{"update_id": 1, "callback_query": {"id": "4100000000000000001", "chat_instance": "1",'
        f' "data": "{data}", "from": {{"id": 7, "is_bot": false, "first_name": "T"}},'
        f' "message": {{"message_id": 1, "date": 0,'
        f' "chat": {{"id": {CHAT}, "type": "supergroup"}}}}}}}}'
    )
    script = tmp / "press.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = "{WEBHOOK_SECRET}"\n'
        f"wrk.body = [[{update}]]\n"
    )
    return script


async def bench(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="herald-bench-clicks-"))
    signer = Signer(SECRET)
    herald_port, bare_port = free_port(), free_port()
    link = signer.link_token(content_id=1, cta=0)  # the first seeded guide's link
    press = signer.sign(5, 0)  # the first seeded promo's tracked CTA
    results: dict[str, list[dict[str, float]]] = {}
    async with FakeTelegram() as telegram:
        base = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        base.update(
            HERALD_ENV="dev",
            HERALD_SECRET_KEY=SECRET,
            HERALD_PUBLIC_URL=PUBLIC,
            HERALD_LOG_LEVEL="WARNING",
            # One address sends everything here: a limit it never reaches keeps the
            # per-address check in the measured path.
            HERALD_REDIRECT_REQUESTS_PER_SECOND="1e9",
            HERALD_REDIRECT_BURST="1000000000",
            HERALD_PORT=str(herald_port),
            HERALD_TELEGRAM_BOT_TOKEN=telegram.token,
            HERALD_TELEGRAM_API_URL=telegram.url,
            HERALD_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        # Phase 1, webhook mode: /r/ against the bare app, then presses by webhook.
        db1 = tmp / "webhook.db"
        env = {
            **base,
            "HERALD_DATABASE_URL": f"sqlite:///{db1}",
            "HERALD_TELEGRAM_UPDATES": "webhook",
        }
        herald, bare = start_herald(env, tmp), start_bare(tmp, bare_port)
        try:
            await wait_ready(herald_port)
            await wait_ready(bare_port)
            urls = {
                "bare FastAPI": (f"http://127.0.0.1:{bare_port}/r/{link}", None),
                "herald /r/": (f"http://127.0.0.1:{herald_port}/r/{link}", None),
                "herald webhook presses": (
                    f"http://127.0.0.1:{herald_port}/telegram/webhook",
                    press_script(tmp, press),
                ),
            }
            sent = {"link": 0, "callback": 0}
            for name, (url, script) in urls.items():
                note(f"warm-up {name}")
                warm = await asyncio.to_thread(wrk, url, 2, args.connections, script)
                sent["callback" if script else "link"] += (
                    int(warm["requests"]) if "herald" in name else 0
                )
                results[name] = []
            for round_ in (1, 2):
                for name, (url, script) in urls.items():
                    note(f"round {round_}: {name}, {args.seconds} s, {args.connections} conns")
                    run = await asyncio.to_thread(wrk, url, args.seconds, args.connections, script)
                    results[name].append(run)
                    if "herald" in name:
                        sent["callback" if script else "link"] += int(run["requests"])
            stored = {}
            for source, n in sent.items():
                await wait_clicks(db1, source, n)
                stored[source] = await asyncio.to_thread(clicks_in, db1, source)
        finally:
            stop(herald, bare)

        # Phase 2, long polling: presses queued at the fake Bot API, answered by calls.
        db2 = tmp / "polling.db"
        env = {
            **base,
            "HERALD_DATABASE_URL": f"sqlite:///{db2}",
            "HERALD_TELEGRAM_UPDATES": "polling",
        }
        herald = start_herald(env, tmp)
        try:
            await wait_ready(herald_port)
            note(f"long polling: {args.presses} presses queued at the fake Bot API")
            queued = time.monotonic()  # from the first press herald could fetch
            for i in range(args.presses):
                telegram.push_callback(CHAT, press, user_id=100_000 + i)
            done = await wait_clicks(db2, "callback", args.presses, seconds=600)
            deadline = time.monotonic() + 60
            while len(telegram.answered_callbacks) < args.presses:
                if time.monotonic() > deadline:
                    raise SystemExit("error: not every press was answered")
                await asyncio.sleep(0.01)
            elapsed = max(done, time.monotonic()) - queued
        finally:
            stop(herald)
    shutil.rmtree(tmp, ignore_errors=True)
    report(args, results, sent, stored, args.presses / elapsed, elapsed)


def report(
    args: argparse.Namespace,
    results: dict[str, list[dict[str, float]]],
    sent: dict[str, int],
    stored: dict[str, int],
    press_rate: float,
    press_seconds: float,
) -> None:
    print(f"## Click logging (bench/clicks.py), herald {herald_revision()}\n")
    print("\n".join(machine_info(None)))
    print(
        f"\n`{' '.join(['bench/clicks.py', *sys.argv[1:]])}`: wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s, two rounds each, alternating\n"
    )
    print("| endpoint | round | requests/s | p50 ms | p99 ms | non-2xx/3xx |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        for i, r in enumerate(runs, 1):
            print(
                f"| {name} | {i} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
                f"| {r['errors']:.0f} |"
            )

    def mean(name: str) -> float:
        return sum(r["rps"] for r in results[name]) / len(results[name])

    def worst_p99(name: str) -> float:
        return max(r["p99_ms"] for r in results[name])

    bare, ours, hook = mean("bare FastAPI"), mean("herald /r/"), mean("herald webhook presses")
    print()
    print("| figure | value | target |")
    print("| --- | ---: | --- |")
    print(f"| /r/ clicks/s (mean of rounds) | {ours:,.0f} | >= 2,000 |")
    print(f"| /r/ / bare FastAPI | {ours / bare:.0%} | >= 50% |")
    print(f"| /r/ p99 (worst round) | {worst_p99('herald /r/'):.2f} ms | < 25 ms |")
    print(f"| presses/s by webhook (answered inline) | {hook:,.0f} | >= 2,000 |")
    print(f"| webhook p99 (worst round) | {worst_p99('herald webhook presses'):.2f} ms | - |")
    for source in ("link", "callback"):
        print(
            f"| {source} clicks stored / completed requests | {stored[source]:,} / "
            f"{sent[source]:,} | all (in-flight ones at wrk's stop count too) |"
        )
    print(
        f"| presses/s by long polling (answered by answerCallbackQuery) | {press_rate:,.0f} "
        f"({args.presses:,} in {press_seconds:.2f} s) | >= 2,000 |"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        bare_app_main(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--presses", type=int, default=20_000)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
