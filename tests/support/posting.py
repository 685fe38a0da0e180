"""One content item posted now, through the API as an operator would: a playlist
schedule of that item to one chat, run at once, and the queue drained."""

from __future__ import annotations

from httpx import AsyncClient

from herald.runtime import Runtime


async def post_now(client: AsyncClient, runtime: Runtime, item_id: int, chat: str) -> None:
    schedule = await client.post(
        "/api/v1/schedules",
        json={"name": f"post-{item_id}", "kind": "playlist", "items": [item_id],
              "chat_ids": [chat]},
    )  # fmt: skip
    assert schedule.status_code == 201, schedule.text
    ran = await client.post(f"/api/v1/schedules/{schedule.json()['id']}/run")
    assert ran.status_code == 202, ran.text
    await runtime.worker(exclusive=False).drain()
