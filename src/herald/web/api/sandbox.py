"""The sandbox inbox: what channels without credentials would have sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from herald.channels.sandbox import read_inbox
from herald.db.types import MAX_ID
from herald.web.deps import RuntimeDep
from herald.web.schemas import SandboxMessageOut, StoredText

router = APIRouter(tags=["sandbox"])


@router.get("/sandbox/messages")
async def sandbox_messages(
    runtime: RuntimeDep,
    channel: Annotated[StoredText | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[SandboxMessageOut]:
    rows = await read_inbox(runtime.db, channel=channel, limit=limit, before_id=before_id)
    return [SandboxMessageOut(**row) for row in rows]
