"""`herald categories` and `herald recipients preferences`, as subprocesses on SQLite."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from herald.config import load_settings
from herald.messaging.recipients import RecipientFields
from herald.runtime import Runtime
from tests.integration.test_cli import herald, herald_env, single_error


@pytest.fixture
def migrated(tmp_path: Path) -> dict[str, str]:
    env = herald_env(tmp_path / "h.db")
    result = herald("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return env


def test_categories_and_preferences_from_the_command_line(
    migrated: dict[str, str], tmp_path: Path
) -> None:
    def run(*args: str) -> str:
        result = herald(*args, env=migrated, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert run("categories", "add", "promos", "--name", "Promotions", "--daily-cap", "2") == (
        "promos\n"
    )
    run("categories", "add", "signals", "--name", "Signals")
    listed = json.loads(run("categories", "list", "--json"))
    assert [(c["key"], c["daily_cap"]) for c in listed] == [("promos", 2), ("signals", None)]
    again = herald("categories", "add", "promos", "--name", "x", env=migrated, cwd=tmp_path)
    assert again.returncode == 1 and "exists already" in single_error(again)

    missing = herald("recipients", "preferences", "show", "u1", env=migrated, cwd=tmp_path)
    assert missing.returncode == 1 and single_error(missing).endswith("no recipient 'u1'")
    asyncio.run(_recipient(migrated["HERALD_DATABASE_URL"], "u1"))

    shown = json.loads(
        run(
            "recipients", "preferences", "set", "u1",
            "--timezone", "Europe/London",
            "--quiet-hours", "22:00-07:00",
            "--category", "promos=telegram",
            "--channels-off", "push",
            "--json",
        )
    )  # fmt: skip
    assert shown["timezone"] == "Europe/London"
    assert shown["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert shown["categories"] == {"promos": ["telegram"], "signals": ["email", "telegram"]}
    assert shown["channels_off"] == ["push"]
    # Fields not given are kept; "none" clears.
    again = json.loads(
        run("recipients", "preferences", "set", "u1", "--quiet-hours", "none", "--json")
    )
    assert (again["timezone"], again["quiet_hours"]) == ("Europe/London", None)
    text = run("recipients", "preferences", "show", "u1")
    assert "promos: telegram" in text and "channels off:     push" in text

    bad = herald(
        "recipients", "preferences", "set", "u1", "--timezone", "Mars/Olympus",
        env=migrated, cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1 and single_error(bad).startswith("error: timezone:")
    usage = herald(
        "recipients", "preferences", "set", "u1", "--category", "promos=fax",
        env=migrated, cwd=tmp_path,
    )  # fmt: skip
    assert usage.returncode == 2 and "unknown channel 'fax'" in single_error(usage)


async def _recipient(database_url: str, external_id: str) -> None:
    """A recipient to set preferences for: no CLI command creates recipients (the API's
    PUT /api/v1/recipients/{id} does), so the runtime writes one in-process."""
    runtime = Runtime.build(load_settings(env="dev", database_url=database_url))
    try:
        await runtime.recipients.put(external_id, RecipientFields(email="u1@example.com"))
    finally:
        await runtime.close()
