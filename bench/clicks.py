"""Click logging throughput: callback presses by long polling and ``/r/`` tracked links.

Run from the repository root::

    .venv/bin/python bench/clicks.py [--seconds 10] [--presses 20000] [--connections 32]

Everything runs on this machine over loopback, on SQLite:

- ``herald serve`` (one uvicorn process, as in production: worker, scheduler and long
  polling in it) on a fresh, migrated SQLite file, with ``HERALD_PUBLIC_URL`` set;
- a *bare* FastAPI app in its own uvicorn process with the same uvicorn settings, whose
  ``GET /r/{token}`` only answers a 302: the baseline the issue names;
- the fake Bot API server (``tests/support/fake_telegram/``) in this process.

``/r/``: wrk (Debian's package; installed with apt-get when missing and run as root)
drives ``GET /r/<token>`` with N connections for S seconds, against the bare app and
against herald, alternately, two rounds each, after a warm-up; the figures are wrk's
requests/s, its latency percentiles (corrected by wrk for coordinated omission: one
stall of every connection shows as a p99 near its length) and its slowest response,
with a 30 s timeout so that no stall drops out of the figures. Every herald click must
then be in the database (they are written in batches), which the script checks and
reports, with the clicks still unwritten at the end of each round.

The tokens name registered links (``tracked_links``), as real traffic does: a share of
the requests (``--hot-share``, default 0.8) goes to a few hot links (``--hot-links``),
the rest walks through a pool of ``--cold-links`` links that no earlier request named,
so each of those misses herald's target cache and reads the database. The shares are
counted afterwards from the stored clicks (link ids), not taken from the settings.

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
import datetime as dt
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
from tests.support.ports import free_port  # noqa: E402
from tests.support.processes import wait_ready  # noqa: E402

from herald.db import Database  # noqa: E402
from herald.db.tables import tracked_links  # noqa: E402
from herald.tracking.signing import Signer  # noqa: E402
from queue_throughput import herald_revision, machine_info, note  # noqa: E402

HERALD = str(Path(sys.executable).parent / "herald")
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
WEBHOOK_SECRET = "bench-webhook-secret"
PUBLIC = "https://herald.example.com"
CHAT = -1001234567890
COLD_OFFSET = 30_000  # each herald /r/ run starts this far into the cold pool: never reused


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


def wrk(
    url: str,
    seconds: int,
    connections: int,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
) -> dict[str, float]:
    extra = ["-s", str(script)] if script else []
    tail = ["--", *script_args] if script_args else []
    out = subprocess.run(
        [
            ensure_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            # wrk drops a response slower than its timeout (2 s by default) from the
            # latency figures, counting it a socket timeout: a stall longer than that
            # would vanish from p99. 30 s keeps every stall measured.
            "--timeout",
            "30s",
            *extra,
            url,
            *tail,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}  # type: ignore[index]
    figures["requests"] = float(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        figures[f"p{pct}_ms"] = _ms(value, unit)
    # The slowest response itself: the thread line "Latency  avg  stdev  max  +/-".
    value, unit = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    figures["max_ms"] = _ms(value, unit)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = float(errors[1]) if errors else 0.0
    return figures


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# A phone's in-app browser: its agent and language go through herald's robot filter.
PHONE = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 Telegram-Android/11.0"
)
LINKS_LUA = (
    (f'wrk.headers["User-Agent"] = "{PHONE}"\nwrk.headers["Accept-Language"] = "en-GB,en;q=0.9"\n')
    + """
local tokens, hot, share, offset, n = {}, 1, 0.8, 0, 0
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  hot, share, offset = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  math.randomseed(offset + 1)
end
function request()
  local token
  if math.random() < share then
    token = tokens[math.random(hot)]
  else
    n = n + 1
    token = tokens[hot + 1 + (offset + n) % (#tokens - hot)]
  end
  return wrk.format(nil, "/r/" .. token)
end
"""
)


async def add_links(db_path: Path, n: int) -> None:
    """n registered links, ids 1..n, in one multi-row INSERT (setup, not measured)."""
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"id": i, "target_url": f"https://example.com/offer/{i}", "created_at": now}
        for i in range(1, n + 1)
    ]
    try:
        async with db.write() as conn:
            await conn.execute(tracked_links.insert(), rows)
    finally:
        await db.dispose()


def links_script(tmp: Path, signer: Signer, n: int) -> Path:
    """The tokens of links 1..n, one a line, and the wrk script drawing from them."""
    tokens = tmp / "tokens.txt"
    tokens.write_text("".join(signer.link_token(link_id=i) + "\n" for i in range(1, n + 1)))
    script = tmp / "links.lua"
    script.write_text(LINKS_LUA)
    return script


def link_shares(db_path: Path, hot: int) -> tuple[int, int, int]:
    """(clicks on hot links, clicks on cold links, distinct cold links) as stored."""
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT sum(link_id <= ?), sum(link_id > ?), count(DISTINCT "
            "CASE WHEN link_id > ? THEN link_id END) FROM clicks WHERE source = 'link'",
            (hot, hot, hot),
        ).fetchone()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


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


def start_herald(
    env: dict[str, str], cwd: Path, links: tuple[Path, int] | None = None
) -> subprocess.Popen[bytes]:
    """Migrate, register ``links`` (database, how many) if given, then serve."""
    subprocess.run([HERALD, "migrate"], env=env, cwd=cwd, check=True, capture_output=True)
    if links is not None:
        asyncio.run(add_links(*links))
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
    n_links = args.hot_links + args.cold_links
    links = links_script(tmp, signer, n_links)
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
        if args.phase in ("all", "links", "presses", "redirect"):
            results, sent, stored, shares = await links_phase(
                args, tmp, base, links, press, herald_port, bare_port, n_links
            )
        if args.phase in ("all", "polling"):
            polling = await polling_phase(args, tmp, base, telegram, press, herald_port)
    shutil.rmtree(tmp, ignore_errors=True)
    if args.phase in ("all", "links", "presses", "redirect"):
        report(args, results, sent, stored, shares)
    if args.phase in ("all", "polling"):
        report_polling(args, polling)


def profiled(args: argparse.Namespace, pid: int, name: str, seconds: float) -> None:
    """py-spy (pip install py-spy) samples herald into ``PROFILE.name.txt``: folded stacks
    for bench/folded.py."""
    if args.profile:
        out = f"{args.profile}.{name}.txt"
        found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        spy = [found, "record", "-r", "200", "--gil", "-f", "raw", "-o", out]
        spy += ["-d", str(int(seconds)), "-p", str(pid)]
        subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def links_phase(
    args: argparse.Namespace,
    tmp: Path,
    base: dict[str, str],
    links: Path,
    press: str,
    herald_port: int,
    bare_port: int,
    n_links: int,
) -> tuple[dict[str, list[dict[str, float]]], dict[str, int], dict[str, int], tuple[int, int, int]]:
    """Webhook mode: /r/ against the bare app, then presses by webhook."""
    results: dict[str, list[dict[str, float]]] = {}
    db1 = tmp / "webhook.db"
    env = {
        **base,
        "HERALD_DATABASE_URL": f"sqlite:///{db1}",
        "HERALD_TELEGRAM_UPDATES": "webhook",
    }
    registered = None if args.phase == "presses" else (db1, n_links)
    herald = await asyncio.to_thread(start_herald, env, tmp, registered)
    bare = start_bare(tmp, bare_port)
    try:
        await wait_ready(herald_port)
        await wait_ready(bare_port)
        urls = {
            "bare FastAPI": (f"http://127.0.0.1:{bare_port}/", links),
            "herald /r/": (f"http://127.0.0.1:{herald_port}/", links),
            "herald webhook presses": (
                f"http://127.0.0.1:{herald_port}/telegram/webhook",
                press_script(tmp, press),
            ),
        }
        if args.phase == "presses":  # the webhook presses alone (issue 19's stalls)
            urls = {"herald webhook presses": urls["herald webhook presses"]}
        if args.phase == "redirect":  # /r/ and its baseline alone (issue 19's 50%)
            del urls["herald webhook presses"]
        sent = {"link": 0, "callback": 0}
        runs = 0  # herald /r/ runs so far: each starts at a fresh part of the cold pool

        async def drive(name: str, seconds: int) -> dict[str, float]:
            nonlocal runs
            url, script = urls[name]
            script_args: tuple[str, ...] = ()
            if script == links:
                offset = runs * COLD_OFFSET if name == "herald /r/" else 0
                runs += name == "herald /r/"
                share = f"{args.hot_share:g}"
                script_args = (str(tmp / "tokens.txt"), str(args.hot_links), share, str(offset))
            pid = bare.pid if name == "bare FastAPI" else herald.pid
            cpu = cpu_seconds(pid)
            run = await asyncio.to_thread(wrk, url, seconds, args.connections, script, script_args)
            run["cpu_us"] = (cpu_seconds(pid) - cpu) * 1e6 / max(run["requests"], 1)
            if "herald" in name:
                source = "link" if script == links else "callback"
                sent[source] += int(run["requests"])
                # Answered but not yet written when wrk stopped: the click writer's backlog
                # (near its bound of 20,000, callers wait for the writer: issue 19).
                stored = await asyncio.to_thread(clicks_in, db1, source)
                run["backlog"] = max(sent[source] - stored, 0)
            return run

        for name in urls:
            note(f"warm-up {name}")
            await drive(name, 2)
            results[name] = []
        profiled(args, herald.pid, "links", 4 * args.seconds + 4)
        for round_ in range(1, args.rounds + 1):
            for name in urls:
                note(f"round {round_}: {name}, {args.seconds} s, {args.connections} conns")
                results[name].append(await drive(name, args.seconds))
        stored = {}
        for source, n in sent.items():
            await wait_clicks(db1, source, n)
            stored[source] = await asyncio.to_thread(clicks_in, db1, source)
        shares = await asyncio.to_thread(link_shares, db1, args.hot_links)
    finally:
        stop(herald, bare)
    return results, sent, stored, shares


async def polling_phase(
    args: argparse.Namespace,
    tmp: Path,
    base: dict[str, str],
    telegram: FakeTelegram,
    press: str,
    herald_port: int,
) -> dict[str, float]:
    """Long polling: presses queued at the fake Bot API, answered by calls. The CPU each
    side spent is measured apart: herald's process, and this one (the fake Bot API)."""
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
        herald_cpu = cpu_seconds(herald.pid)
        profiled(args, herald.pid, "polling", 30)
        queued = time.monotonic()  # from the first press herald could fetch
        for i in range(args.presses):
            telegram.push_callback(CHAT, press, user_id=100_000 + i)
        fake_cpu = time.process_time()  # the server's work from here (not the queuing)
        deadline = time.monotonic() + 600
        while len(telegram.answered_callbacks) < args.presses:  # in memory: cheap to ask
            if time.monotonic() > deadline:
                raise SystemExit("error: not every press was answered")
            await asyncio.sleep(0.01)
        answered = time.monotonic()
        herald_cpu = cpu_seconds(herald.pid) - herald_cpu
        fake_cpu = time.process_time() - fake_cpu
        done = await wait_clicks(db2, "callback", args.presses, seconds=60)
        elapsed = max(done, answered) - queued
    finally:
        stop(herald)
    return {
        "rate": args.presses / elapsed,
        "seconds": elapsed,
        "herald_us": herald_cpu * 1e6 / args.presses,
        "fake_us": fake_cpu * 1e6 / args.presses,
    }


def report(
    args: argparse.Namespace,
    results: dict[str, list[dict[str, float]]],
    sent: dict[str, int],
    stored: dict[str, int],
    shares: tuple[int, int, int],
) -> None:
    print(f"## Click logging (bench/clicks.py), herald {herald_revision()}\n")
    print("\n".join(machine_info(None)))
    print(
        f"\n`{' '.join(['bench/clicks.py', *sys.argv[1:]])}`: wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s, {args.rounds} rounds each, alternating\n"
    )
    hot, cold, distinct = shares
    if hot + cold:
        print(
            f"/r/ tokens: {args.hot_links} hot links and a pool of {args.cold_links:,} cold ones; "
            f"stored link clicks: {hot / (hot + cold):.1%} hot, {cold / (hot + cold):.1%} "
            f"cold ({cold:,} clicks on {distinct:,} distinct cold links; the first click on "
            "each misses the target cache)\n"
        )
    print(
        "| endpoint | round | requests/s | p50 ms | p99 ms | max ms | non-2xx/3xx "
        "| CPU µs/request | clicks unwritten at the stop |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        for i, r in enumerate(runs, 1):
            backlog = f"{r['backlog']:,.0f}" if "backlog" in r else "-"
            print(
                f"| {name} | {i} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
                f"| {r['max_ms']:,.0f} | {r['errors']:.0f} | {r['cpu_us']:,.0f} | {backlog} |"
            )
    print(
        "\n(wrk corrects its percentiles for coordinated omission: one stall of every "
        "connection counts as the requests that would have been sent during it, so a "
        "single stall of S per round shows as a p99 near S.)"
    )
    if args.phase == "presses":
        stored_of, sent_of = stored["callback"], sent["callback"]
        print(f"\npress clicks stored / completed requests: {stored_of:,} / {sent_of:,}")
        return

    def mean(name: str) -> float:
        return sum(r["rps"] for r in results[name]) / len(results[name])

    def worst_p99(name: str) -> float:
        return max(r["p99_ms"] for r in results[name])

    bare, ours = mean("bare FastAPI"), mean("herald /r/")
    print()
    print("| figure | value | target |")
    print("| --- | ---: | --- |")
    print(f"| /r/ clicks/s (mean of rounds) | {ours:,.0f} | >= 2,000 |")
    print(f"| /r/ / bare FastAPI | {ours / bare:.0%} | >= 50% |")

    def cpu(name: str) -> float:
        return sum(r["cpu_us"] for r in results[name]) / len(results[name])

    print(
        f"| bare's CPU per request / herald /r/'s (the ratio a loaded machine moves least) "
        f"| {cpu('bare FastAPI') / cpu('herald /r/'):.0%} ({cpu('bare FastAPI'):,.0f} / "
        f"{cpu('herald /r/'):,.0f} µs) | - |"
    )
    print(f"| /r/ p99 (worst round) | {worst_p99('herald /r/'):.2f} ms | < 25 ms |")
    if "herald webhook presses" in results:
        hook = mean("herald webhook presses")
        print(f"| presses/s by webhook (answered inline) | {hook:,.0f} | >= 2,000 |")
        print(f"| webhook p99 (worst round) | {worst_p99('herald webhook presses'):.2f} ms | - |")
    for source in ("link", "callback") if "herald webhook presses" in results else ("link",):
        print(
            f"| {source} clicks stored / completed requests | {stored[source]:,} / "
            f"{sent[source]:,} | all (in-flight ones at wrk's stop count too) |"
        )


def report_polling(args: argparse.Namespace, polling: dict[str, float]) -> None:
    print(f"\n## Presses by long polling (bench/clicks.py), herald {herald_revision()}\n")
    print("\n".join(machine_info(None)))
    print("\n| figure | value | target |")
    print("| --- | ---: | --- |")
    print(
        f"| presses/s by long polling (answered by answerCallbackQuery) | "
        f"{polling['rate']:,.0f} ({args.presses:,} in {polling['seconds']:.2f} s) | >= 2,000 |"
    )
    print(f"| herald's CPU per press (its whole process) | {polling['herald_us']:,.0f} µs | - |")
    print(f"| the fake Bot API's CPU per press (this process) | {polling['fake_us']:,.0f} µs | - |")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        bare_app_main(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--presses", type=int, default=20_000)
    parser.add_argument(
        "--phase",
        choices=("all", "links", "polling", "presses", "redirect"),
        default="all",
        help="links: /r/ and webhook presses; presses: webhook presses alone; "
        "redirect: /r/ and the bare endpoint alone",
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds per endpoint")
    parser.add_argument("--profile", help="py-spy herald into PROFILE.links.txt / .polling.txt")
    parser.add_argument("--hot-links", type=int, default=10, help="links most clicks go to")
    parser.add_argument(
        "--hot-share", type=float, default=0.8, help="share of /r/ requests to the hot links"
    )
    parser.add_argument(
        "--cold-links", type=int, default=100_000, help="links named once each (cache misses)"
    )
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
