"""`herald schedules ...` and `herald telegram set-webhook`, each a process of its own."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

from tests.integration.test_cli import env, herald, single_error  # noqa: F401 (fixture)
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import telegram_settings


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


async def test_runs_list_edit_and_delete_from_the_shell_with_forum_topics(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """A schedule with a forum topic posted through the app; the CLI shows chat:topic,
    lists the run's posts, queues an edit and a delete, and says an unknown run in one line."""
    database = env["HERALD_DATABASE_URL"]
    assert herald("migrate", env=env, cwd=tmp_path).returncode == 0
    async with FakeTelegram() as telegram:
        telegram.make_forum("-1002", open_topics=[5])
        settings = telegram_settings(database, telegram, unpaced=True)
        async with serve(settings) as (client, runtime):
            guide = (await client.post("/api/v1/guides", json={"title": "T", "body": "B"})).json()
            chats = ["-1001", {"chat_id": "-1002", "topic_id": 5}]
            body = {"name": "forum", "kind": "playlist", "items": [guide["id"]], "chat_ids": chats}
            created = (await client.post("/api/v1/schedules", json=body)).json()
            run = (await client.post(f"/api/v1/schedules/{created['id']}/run")).json()
            await runtime.worker(exclusive=False).drain()

            def cli(*args: str) -> subprocess.CompletedProcess[str]:
                return herald("schedules", *args, env=env, cwd=tmp_path, COLUMNS="250")

            listed = await asyncio.to_thread(cli, "list", "--json")
            [forum] = [s for s in json.loads(listed.stdout) if s["name"] == "forum"]
            assert [c.get("topic_id") for c in forum["chats"]] == [None, 5]
            table = await asyncio.to_thread(cli, "list")
            assert "-1001, -1002:5" in table.stdout

            runs = await asyncio.to_thread(cli, "runs", "list", "forum")
            assert runs.returncode == 0, runs.stderr
            assert "-1002:5" in runs.stdout and "sent #" in runs.stdout

            await client.patch(f"/api/v1/guides/{guide['id']}", json={"body": "B2"})
            edited = await asyncio.to_thread(cli, "runs", "edit", "forum", str(run["id"]))
            assert edited.returncode == 0, edited.stderr
            assert edited.stdout.splitlines() == [
                f"run {run['id']}: edit queued for 2 chat(s)",
                "  -1001: queued, editMessageText",
                "  -1002:5: queued, editMessageText",
            ]
            await runtime.worker(exclusive=False).drain()
            assert [m["text"] for m in telegram.edits] == ["T\n\nB2", "T\n\nB2"]

            deleted = await asyncio.to_thread(
                cli, "runs", "delete", "forum", str(run["id"]), "--json"
            )
            assert [c["status"] for c in json.loads(deleted.stdout)["chats"]] == ["queued"] * 2
            await runtime.worker(exclusive=False).drain()
            assert len(telegram.deleted) == 2
            after = await asyncio.to_thread(cli, "runs", "list", "forum", "--json")
            [posts] = [r["posts"] for r in json.loads(after.stdout)]
            assert [[a["action"] for a in p["actions"]] for p in posts] == [["edit", "delete"]] * 2

            missing = await asyncio.to_thread(cli, "runs", "delete", "forum", "999")
            assert missing.returncode == 1
            assert single_error(missing) == (
                f"error: run 999 of schedule {created['id']} not found"
            )
