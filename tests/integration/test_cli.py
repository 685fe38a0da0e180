"""The `herald` CLI against a throwaway SQLite database: exit codes, one-line errors,
JSON output, dead-letter replay and SIGTERM. Each command is a process of its own,
forked from one that imported herald once (tests/support/cli_zygote.py); the terminal
and SIGTERM tests run the console script itself."""

from __future__ import annotations

import asyncio
import json
import os
import queue as queue_module
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from herald.clock import SystemClock
from herald.config import normalize_database_url
from herald.db import Database
from herald.queue import DeliveryQueue, NewDelivery, Permanent, Result
from tests.support.cli_zygote import Zygote
from tests.support.ports import free_port
from tests.support.terminal import Terminal

HERALD = Path(sys.executable).parent / "herald"
TIMEOUT = 60


# Variables that make rich draw for a terminal where there is none (or not for one).
RICH_OVERRIDES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def herald_env(database: Path) -> dict[str, str]:
    """This process's environment without HERALD_* (or rich overrides), in dev on SQLite."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith("HERALD_") and k not in RICH_OVERRIDES
    }
    clean["HERALD_ENV"] = "dev"
    clean["HERALD_DATABASE_URL"] = f"sqlite:///{database}"
    return clean


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return herald_env(tmp_path / "h.db")


_zygote = Zygote(HERALD)


def herald(
    *args: str, env: dict[str, str], cwd: Path, **overrides: str
) -> subprocess.CompletedProcess[str]:
    """`herald *args` in a process of its own, forked from one that imported herald."""
    return _zygote.run(list(args), {**env, **overrides}, cwd, TIMEOUT)


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def single_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = stderr_lines(result)
    assert len(lines) == 1, f"expected one line on stderr, got {result.stderr!r}"
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def migrated(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    result = herald("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return env


# -- database state ----------------------------------------------------------------


def test_queue_stats_before_migrate_says_to_migrate(env: dict[str, str], tmp_path: Path) -> None:
    result = herald("queue", "stats", env=env, cwd=tmp_path)
    assert result.returncode == 1
    line = single_error(result)
    assert "herald migrate" in line
    assert "not migrated" in line


def test_migrate_then_queue_stats_json(env: dict[str, str], tmp_path: Path) -> None:
    result = herald("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "migrated" in result.stdout
    assert (tmp_path / "h.db").exists()

    stats = herald("queue", "stats", "--json", env=env, cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data == {"counts": [], "oldest_waiting_seconds": None}


def test_migrate_is_idempotent(migrated: dict[str, str], tmp_path: Path) -> None:
    again = herald("migrate", env=migrated, cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_queue_stats_table(migrated: dict[str, str], tmp_path: Path) -> None:
    result = herald("queue", "stats", env=migrated, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "transactional" in result.stdout
    assert "nothing waiting" in result.stdout


def test_dlq_list_json_is_empty(migrated: dict[str, str], tmp_path: Path) -> None:
    result = herald("dlq", "list", "--json", env=migrated, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


# -- configuration and connection errors -------------------------------------------


def test_bad_log_level_is_one_line_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    result = herald("queue", "stats", env=env, cwd=tmp_path, HERALD_LOG_LEVEL="loud")
    assert result.returncode == 2
    assert "HERALD_LOG_LEVEL" in single_error(result)


def test_unreachable_postgres_hides_the_password(env: dict[str, str], tmp_path: Path) -> None:
    url = f"postgresql://u:secretpw@127.0.0.1:{free_port()}/x"
    result = herald("queue", "stats", env=env, cwd=tmp_path, HERALD_DATABASE_URL=url)
    assert result.returncode != 0
    line = single_error(result)
    assert "HERALD_DATABASE_URL" in line
    assert "secretpw" not in result.stderr
    assert "secretpw" not in result.stdout


def test_prod_without_secret_key_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    result = herald("queue", "stats", env=env, cwd=tmp_path, HERALD_ENV="prod")
    assert result.returncode == 2
    assert "HERALD_SECRET_KEY" in single_error(result)


def test_malformed_database_url_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    result = herald("migrate", env=env, cwd=tmp_path, HERALD_DATABASE_URL="mysql://u:p@h/db")
    assert result.returncode == 2
    assert "HERALD_DATABASE_URL" in single_error(result)


# -- argument errors ---------------------------------------------------------------


def test_dlq_replay_needs_ids_or_a_filter(migrated: dict[str, str], tmp_path: Path) -> None:
    result = herald("dlq", "replay", env=migrated, cwd=tmp_path)
    assert result.returncode == 2
    assert "--all" in single_error(result)


def test_dlq_list_since_must_be_iso(migrated: dict[str, str], tmp_path: Path) -> None:
    result = herald("dlq", "list", "--since", "yesterday", env=migrated, cwd=tmp_path)
    assert result.returncode == 2
    line = single_error(result)
    assert "--since" in line
    assert "yesterday" in line


# -- end to end: a dead letter, listed and replayed ---------------------------------


async def _make_dead_letter(url: str) -> int:
    db = Database(normalize_database_url(url))
    try:
        q = DeliveryQueue(db, SystemClock())
        enqueued = await q.enqueue(
            NewDelivery(channel="telegram", recipient="42", payload={"text": "hi"})
        )
        claimed = await q.claim("telegram", 10, "cli-test")
        assert [d.id for d in claimed] == [enqueued.id]
        await q.record([Result(claimed[0], Permanent("boom"))], "cli-test")
        return enqueued.id
    finally:
        await db.dispose()


def test_dead_letter_list_and_replay(migrated: dict[str, str], tmp_path: Path) -> None:
    delivery_id = asyncio.run(_make_dead_letter(migrated["HERALD_DATABASE_URL"]))

    listed = herald("dlq", "list", "--json", env=migrated, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == delivery_id
    assert row["last_error"] == "boom"
    assert row["channel"] == "telegram"
    assert row["lane"] == "transactional"
    assert row["recipient"] == "42"
    assert row["attempts"] == 1
    assert row["finished_at"] is not None

    stats = json.loads(herald("queue", "stats", "--json", env=migrated, cwd=tmp_path).stdout)
    assert stats["counts"] == [{"lane": "transactional", "state": "dead", "count": 1}]

    replayed = herald("dlq", "replay", str(delivery_id), env=migrated, cwd=tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1" in replayed.stdout

    after = herald("queue", "stats", "--json", env=migrated, cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    data: dict[str, Any] = json.loads(after.stdout)
    assert data["counts"] == [{"lane": "transactional", "state": "pending", "count": 1}]
    assert isinstance(data["oldest_waiting_seconds"], float)
    assert data["oldest_waiting_seconds"] >= 0

    empty = herald("dlq", "list", "--json", env=migrated, cwd=tmp_path)
    assert json.loads(empty.stdout) == []

    again = herald("dlq", "replay", str(delivery_id), "--json", env=migrated, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"replayed": 0}


def test_a_bulk_replay_draws_a_bar_on_a_terminal_only(
    migrated: dict[str, str], tmp_path: Path
) -> None:
    for _ in range(2):
        asyncio.run(_make_dead_letter(migrated["HERALD_DATABASE_URL"]))
    with Terminal([str(HERALD), "dlq", "replay", "--all"], env=migrated, cwd=tmp_path) as term:
        code, stdout = term.finish(TIMEOUT)
    assert code == 0
    assert stdout == "replayed 2 dead letter(s)\n"  # the bar went to the terminal (stderr)
    assert "replaying dead letters" in term.screen()
    assert "2/2" in term.screen()


# -- the worker stops cleanly on SIGTERM -------------------------------------------


def _pump(stream: IO[str], lines: queue_module.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_worker_exits_0_on_sigterm(migrated: dict[str, str], tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(HERALD), "worker"],
        cwd=tmp_path,
        env=migrated,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines: queue_module.Queue[str] = queue_module.Queue()
    reader = threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while not any("worker_started" in line for line in seen):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                break
            try:
                seen.append(lines.get(timeout=min(remaining, 0.5)))
            except queue_module.Empty:
                continue
        assert any("worker_started" in line for line in seen), "".join(seen)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)
    assert "worker_stopped" in output
    assert "Traceback" not in output


def test_keys_create_prints_only_the_key_and_list_never_shows_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert herald("migrate", env=env, cwd=tmp_path).returncode == 0
    created = herald("keys", "create", "--role", "admin", "--name", "ci", env=env, cwd=tmp_path)
    assert created.returncode == 0
    key = created.stdout.strip()
    assert created.stdout == key + "\n"
    assert key.startswith("hk_")

    listed = herald("keys", "list", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0
    [entry] = json.loads(listed.stdout)
    assert (entry["name"], entry["role"], entry["revoked_at"]) == ("ci", "admin", None)
    assert key not in listed.stdout
    assert key.startswith(entry["prefix"])

    revoked = herald("keys", "revoke", str(entry["id"]), env=env, cwd=tmp_path)
    assert revoked.returncode == 0
    again = herald("keys", "revoke", str(entry["id"]), env=env, cwd=tmp_path)
    assert again.returncode == 1
    assert "no active key" in single_error(again)


def test_every_list_stats_or_status_command_has_json() -> None:
    from typer.main import get_command

    from herald.cli.main import app

    def leaves(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        for name, sub in getattr(command, "commands", {}).items():
            yield from leaves(sub, f"{path} {name}".strip())
        if not hasattr(command, "commands"):
            yield path, command

    found = {
        path: any("--json" in p.opts for p in command.params)
        for path, command in leaves(get_command(app), "")
        if path.rsplit(" ", 1)[-1] in ("list", "stats", "status")
    }
    expected = {"queue stats", "dlq list", "keys list", "schedules list", "campaigns list"}
    assert expected | {"campaigns status"} <= set(found)
    assert [path for path, has_json in found.items() if not has_json] == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["keys", "create", "--role", "boss", "--name", "x"], "--role"),
        (["no-such-command"], "No such command"),
        (["dlq", "list", "--limit", "many"], "--limit"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(
    env: dict[str, str], tmp_path: Path, args: list[str], needle: str
) -> None:
    result = herald(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert needle in single_error(result)


def test_vapid_generate_prints_a_matching_key_pair(env: dict[str, str], tmp_path: Path) -> None:
    from herald.channels.push import vapid

    result = herald("vapid", "generate", env=env, cwd=tmp_path)
    assert result.returncode == 0
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    private, public = lines["HERALD_VAPID_PRIVATE_KEY"], lines["HERALD_VAPID_PUBLIC_KEY"]
    vapid.check_pair(private, public)
    assert vapid.public_key_for(private) == public


def test_a_malformed_vapid_key_is_one_line_naming_the_variable(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = herald("queue", "stats", env=env, cwd=tmp_path, HERALD_VAPID_PRIVATE_KEY="nonsense")
    assert result.returncode == 1
    line = single_error(result)
    assert "HERALD_VAPID_PRIVATE_KEY" in line
    assert "nonsense" not in line
