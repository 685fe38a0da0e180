"""`herald campaigns ...` as real subprocesses on one SQLite file with sandbox senders,
and a worker drained in this process so that campaigns finish: ids and JSON on stdout,
the progress bar on a terminal only, Ctrl-C, and one-line errors with their exit codes."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from subprocess import PIPE

import pytest

from herald.config import load_settings
from herald.db import migrate
from herald.messaging.campaigns import CampaignRequest
from herald.messaging.recipients import RecipientFields
from herald.runtime import Runtime
from tests.integration.test_cli import HERALD, TIMEOUT, herald, herald_env, single_error
from tests.support.alerts import SL_VARS
from tests.support.terminal import Terminal

TEMPLATE = "position_sl_failed"
TELEGRAM_AUDIENCE = ["m0", "m1", "m2"]  # and "mail-only", skipped on telegram


@dataclass(frozen=True)
class Site:
    env: dict[str, str]
    cwd: Path

    def herald(self, *args: str) -> subprocess.CompletedProcess[str]:
        return herald(*args, env=self.env, cwd=self.cwd)

    def start_args(self, *extra: str) -> list[str]:
        return [str(HERALD), "campaigns", "start", "--template", TEMPLATE, *extra]


@asynccontextmanager
async def runtime_for(site: Site) -> AsyncIterator[Runtime]:
    runtime = Runtime.build(load_settings(env="dev", database_url=site.env["HERALD_DATABASE_URL"]))
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """One migrated database for the module (each test makes its own campaigns)."""
    cwd = tmp_path_factory.mktemp("campaigns")
    made = Site(herald_env(cwd / "h.db"), cwd)

    async def prepare() -> None:
        async with runtime_for(made) as runtime:
            await migrate.upgrade(runtime.db)
            for i, external_id in enumerate(TELEGRAM_AUDIENCE):
                fields = RecipientFields(telegram_chat_id=str(1000 + i))
                await runtime.recipients.put(external_id, fields)
            await runtime.recipients.put("mail-only", RecipientFields(email="m@example.com"))

    asyncio.run(prepare())
    return made


async def start_in_process(site: Site) -> int:
    async with runtime_for(site) as runtime:
        return await runtime.campaigns.start(
            CampaignRequest("cli", TEMPLATE, SL_VARS, "telegram", TELEGRAM_AUDIENCE)
        )


async def test_start_wait_follows_a_worker_to_the_end(site: Site) -> None:
    args = site.start_args("--all", "--data", json.dumps(SL_VARS), "--wait", "--interval", "0.1")
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=site.cwd, env=site.env, stdout=PIPE, stderr=PIPE
    )
    async with runtime_for(site) as runtime:
        worker = runtime.worker()
        async with asyncio.timeout(TIMEOUT):
            while proc.returncode is None:  # a worker elsewhere: this process, here
                await worker.drain()
                with suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 0.1)
    out, err = (b.decode() for b in await proc.communicate())
    assert proc.returncode == 0, err
    # Not a terminal: no bar, only the note on stderr and the summary on stdout.
    found = re.fullmatch(
        r"campaign (\d+) done: 3 sent, 0 dead, 0 cancelled of 3 \(1 skipped\)\n", out
    )
    assert found, out
    assert err.splitlines() == [
        f"campaign {found[1]}: 3 queued, 1 skipped (no address, or at the email cap)"
    ]


def test_start_cancel_list(site: Site) -> None:
    started = site.herald(
        "campaigns", "start", "--template", TEMPLATE, "--data", json.dumps(SL_VARS),
        "--recipient", "m0", "--recipient", "m1", "--name", "two", "--json",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    body = json.loads(started.stdout)
    assert (body["queued"], body["skipped"]) == (2, 0)
    campaign_id = body["id"]

    cancelled = site.herald("campaigns", "cancel", str(campaign_id))
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout == f"campaign {campaign_id} cancelled: 2 deliveries withdrawn\n"

    listed = site.herald("campaigns", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [data] = [c for c in json.loads(listed.stdout) if c["id"] == campaign_id]
    assert (data["name"], data["template"], data["channel"]) == ("two", TEMPLATE, "telegram")
    assert (data["status"], data["queued"], data["skipped"]) == ("cancelled", 2, 0)
    assert data["counts"] == {
        "queued": 0,
        "failed": 0,
        "sent": 0,
        "dead": 0,
        "cancelled": 2,
        "skipped": 0,
    }
    assert data["cancelled_at"] is not None


async def test_status_watch_draws_a_bar_on_a_terminal(site: Site) -> None:
    campaign_id = await start_in_process(site)
    args = [str(HERALD), "campaigns", "status", str(campaign_id), "--watch", "--interval", "0.1"]
    with Terminal(args, env=site.env, cwd=site.cwd) as term:
        term.wait_for("0/3")  # following, and nothing sent yet
        async with runtime_for(site) as runtime:
            await runtime.worker().drain()
        code, stdout = term.finish(TIMEOUT)
    assert code == 0, term.screen()
    assert f"campaign {campaign_id}: 3 sent, 0 dead, 0 retrying" in term.screen()
    assert "3/3" in term.screen()
    # stdout is not the terminal: it gets the table, and nothing of the bar.
    assert re.search(r"state\s*│ done", stdout), stdout
    assert "━" not in stdout


async def test_ctrl_c_stops_following_not_the_campaign(site: Site) -> None:
    args = site.start_args("--recipient", "m2", "--data", json.dumps(SL_VARS), "--wait")
    with Terminal(args, env=site.env, cwd=site.cwd) as term:
        term.wait_for("0/1")
        term.proc.send_signal(signal.SIGINT)
        code, stdout = term.finish(TIMEOUT)
    assert code == 130
    assert stdout == ""
    found = re.search(r"stopped following campaign (\d+); it goes on", term.screen())
    assert found, term.screen()
    async with runtime_for(site) as runtime:
        shown = await runtime.campaigns.status(int(found[1]))
    assert shown is not None
    assert (shown.status, shown.counts["queued"]) == ("queued", 1)


ERRORS = [
    (["start", "--template", "nope", "--all"], 1, "no template named 'nope'"),
    (["start", "--template", TEMPLATE, "--all", "--data", "{symbol"], 2, "--data: not JSON"),
    (["cancel", "999"], 1, "no campaign 999: see `herald campaigns list`"),
]


def test_errors_are_one_line_and_an_exit_code(site: Site) -> None:
    """Run side by side: each is a whole interpreter start."""
    running = [
        subprocess.Popen(
            [str(HERALD), "campaigns", *args],
            cwd=site.cwd,
            env=site.env,
            stdout=PIPE,
            stderr=PIPE,
            text=True,
        )
        for args, _code, _needle in ERRORS
    ]
    for proc, (args, code, needle) in zip(running, ERRORS, strict=True):
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
        result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        assert (result.returncode, stdout) == (code, ""), (args, stderr)
        assert needle in single_error(result), args
