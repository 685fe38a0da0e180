"""A post's life after it was sent, through the fake Bot API: its pins, unpins and
timed deletes, and the edits and deletes asked for later, each with its result per
chat in the post log."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from herald.clock import FakeClock
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import telegram_settings

GUIDES = "/api/v1/guides"
SCHEDULES = "/api/v1/schedules"
CHAT = "-1001"
OTHER = "-1002"


async def drain(runtime: Runtime) -> None:
    await runtime.worker(exclusive=False).drain()


async def posted(
    client: AsyncClient, runtime: Runtime, guide: dict[str, Any], **options: Any
) -> dict[str, Any]:
    """A schedule posting ``guide`` to both chats, run once and sent."""
    body = {"name": "life", "kind": "playlist", "items": [guide["id"]], "chat_ids": [CHAT, OTHER]}
    created = await client.post(SCHEDULES, json={**body, "options": options})
    assert created.status_code == 201, created.text
    ran = await client.post(f"{SCHEDULES}/{created.json()['id']}/run")
    assert ran.status_code == 202, ran.text
    await drain(runtime)
    return await run_log(client, ran.json())


async def run_log(client: AsyncClient, run: dict[str, Any]) -> dict[str, Any]:
    found = await client.get(f"{SCHEDULES}/{run['schedule_id']}/runs/{run['id']}")
    assert found.status_code == 200, found.text
    return dict(found.json())


def actions(run: dict[str, Any]) -> dict[str, list[tuple[str, str, str | None]]]:
    """Each chat's actions as (action, status, detail)."""
    return {
        d["chat_id"]: [(a["action"], a["status"], a["detail"]) for a in d["actions"]]
        for d in run["details"]
    }


async def test_pins_unpins_and_timed_deletes_are_in_the_post_log_with_telegrams_refusal(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.pin_forbidden_chats.add(OTHER)
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        guide = (await client.post(GUIDES, json={"title": "T", "body": "B"})).json()
        pin = {"notify": False, "unpin_after_hours": 1}
        run = await posted(client, runtime, guide, pin=pin, delete_after_hours=2)
        refused = "400 Bad Request: not enough rights to manage pinned messages in the chat"
        assert actions(run) == {
            CHAT: [("pin", "done", None), ("unpin", "queued", None), ("delete", "queued", None)],
            OTHER: [
                ("pin", "failed", refused),
                ("unpin", "queued", None),
                ("delete", "queued", None),
            ],
        }
        sent_at = {d["chat_id"]: d["actions"][0]["due_at"] for d in run["details"]}
        unpin_due = [d["actions"][1]["due_at"] for d in run["details"]]
        assert all(due > sent_at[CHAT] for due in unpin_due)

        clock.advance(2 * 3600 + 60)
        await drain(runtime)
        run = await run_log(client, run)
        assert actions(run) == {
            CHAT: [("pin", "done", None), ("unpin", "done", None), ("delete", "done", None)],
            OTHER: [
                ("pin", "failed", refused),
                ("unpin", "failed", refused),
                ("delete", "done", None),
            ],
        }
        assert run["status"] == "done" and run["posted_to"] == 2  # the post itself was sent
