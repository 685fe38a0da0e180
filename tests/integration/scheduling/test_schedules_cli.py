"""`herald schedules ...` and `herald telegram set-webhook` as real subprocesses."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.integration.test_cli import env, herald, single_error  # noqa: F401 (fixture)
from tests.support.fake_telegram import FakeTelegram


def test_list_run_pause_resume(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert herald("migrate", env=env, cwd=tmp_path).returncode == 0
    listed = herald("schedules", "list", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    by_name = {s["name"]: s for s in json.loads(listed.stdout)}
    assert set(by_name) == {"guides", "promos"}
    assert by_name["guides"]["interval_seconds"] == 4 * 3600

    paused = herald("schedules", "pause", "guides", env=env, cwd=tmp_path)
    assert (paused.returncode, paused.stdout.strip()) == (0, "schedule guides: paused")
    shown = json.loads(herald("schedules", "list", "--json", env=env, cwd=tmp_path).stdout)
    assert [s["enabled"] for s in shown if s["name"] == "guides"] == [False]

    resumed = herald("schedules", "resume", "guides", "--json", env=env, cwd=tmp_path)
    assert json.loads(resumed.stdout)["enabled"] is True

    ran = herald("schedules", "run", "promos", "--json", env=env, cwd=tmp_path)
    # Dev mode with no bot token: the default schedules post to the sandbox demo chat.
    assert json.loads(ran.stdout)["status"] == "queued"

    table = herald("schedules", "list", env=env, cwd=tmp_path)
    assert "guides" in table.stdout and "every 4 h" in table.stdout


def test_errors_are_one_line(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    herald("migrate", env=env, cwd=tmp_path)
    missing = herald("schedules", "run", "nope", env=env, cwd=tmp_path)
    assert missing.returncode == 1
    assert single_error(missing) == "error: no schedule 'nope': see `herald schedules list`"
    no_bot = herald("telegram", "set-webhook", "https://example.com/x", env=env, cwd=tmp_path)
    assert no_bot.returncode == 1
    assert "HERALD_TELEGRAM_BOT_TOKEN" in single_error(no_bot)
    plain = herald("telegram", "set-webhook", "http://example.com/x", env=env, cwd=tmp_path)
    assert plain.returncode == 2 and "https://" in single_error(plain)
    bad = herald("schedules", "list", env=env, cwd=tmp_path, HERALD_GUIDE_CHAT_IDS="[1,")
    assert bad.returncode == 2
    assert single_error(bad).startswith("error: HERALD_GUIDE_CHAT_IDS: not a valid JSON list")


async def test_set_webhook_registers_url_and_secret(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        bot = {
            "HERALD_TELEGRAM_BOT_TOKEN": telegram.token,
            "HERALD_TELEGRAM_API_URL": telegram.url,
            "HERALD_TELEGRAM_WEBHOOK_SECRET": "s3cret-token",
        }
        url = "https://herald.example.com/telegram/webhook"
        done = await asyncio.to_thread(
            herald, "telegram", "set-webhook", url, env=env, cwd=tmp_path, **bot
        )
        assert done.returncode == 0, done.stderr
        assert telegram.webhook is not None
        assert (telegram.webhook["url"], telegram.webhook["secret_token"]) == (url, "s3cret-token")
        assert telegram.token not in done.stdout + done.stderr
