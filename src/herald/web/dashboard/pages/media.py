"""A media file's bytes for the signed-in dashboard (thumbnails, previews, the sandbox
inbox); the API serves the same at /api/v1/media/{id}/content to key holders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from herald.db.types import MAX_ID
from herald.web.dashboard.auth import User
from herald.web.deps import RuntimeDep
from herald.web.media_content import content_response

router = APIRouter(prefix="/media")


@router.get("/{media_id}")
async def media_content(
    media_id: Annotated[int, Path(ge=1, le=MAX_ID)], _: User, runtime: RuntimeDep
) -> Response:
    item = await runtime.media.get(media_id)
    data = await runtime.media.content(media_id) if item is not None else None
    if item is None or data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no media {media_id}")
    return content_response(item, data)
