"""The media library over HTTP: upload a file or register one by URL, read it back.

``POST /media`` takes multipart (field ``file``, optional ``kind``) or JSON (``{url,
kind?, name?}``) on one route, as the issue asks; what a file may be is the media
room's rule, and its refusals (MediaRefused) are answered in web/api/errors.py: 413
over the Bot API's size limits, 422 naming the field otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

from herald.db.types import MAX_ID
from herald.media import Media, MediaKind, MediaRefused
from herald.media.fetch import fetch
from herald.media.kinds import MAX_UPLOAD
from herald.media.library import MAX_NAME
from herald.runtime import Runtime
from herald.web.deps import Admin, RuntimeDep
from herald.web.media_content import content_response
from herald.web.schemas import RequestModel

router = APIRouter(prefix="/media", tags=["media"])
MediaId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A multipart body's own overhead (boundaries, headers, the kind field) over the file.
_MULTIPART_SLACK = 64 * 1024


class MediaOut(BaseModel):
    id: int
    kind: MediaKind = Field(description="photo, video, animation or document")
    mime: str = Field(description="the type read from the file's content")
    size: int = Field(description="bytes")
    name: str
    width: int | None = Field(description="an image's, when its header says")
    height: int | None
    sha256: str
    source_url: str | None = Field(description="where it was fetched, if registered by URL")
    created_at: datetime
    content_url: str = Field(description="the file's bytes")

    @classmethod
    def of(cls, item: Media) -> MediaOut:
        return cls(
            id=item.id, kind=item.kind, mime=item.mime, size=item.size, name=item.name,
            width=item.width, height=item.height, sha256=item.sha256,
            source_url=item.source_url, created_at=item.created_at,
            content_url=f"/api/v1/media/{item.id}/content",
        )  # fmt: skip


class MediaUrlIn(RequestModel):
    url: str = Field(max_length=2048, pattern=r"^https?://\S+$")
    kind: MediaKind | None = Field(None, description="else what its content says")
    name: str | None = Field(None, max_length=MAX_NAME, description="else the URL's last part")


async def _upload(request: Request, runtime: Runtime) -> Media:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD + _MULTIPART_SLACK:
        raise _over_limit()
    form = await request.form(max_files=1, max_fields=4)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise MediaRefused("file", "required: the file, as the multipart field 'file'")
    kind = _kind(form.get("kind"))
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise _over_limit()
    return await runtime.media.add(data, name=upload.filename, kind=kind)


def _over_limit() -> MediaRefused:
    return MediaRefused(
        "file", f"a file may be at most {MAX_UPLOAD >> 20} MB (the Bot API's limit)", too_large=True
    )


def _kind(value: object) -> MediaKind | None:
    if value in (None, ""):
        return None
    try:
        return MediaKind(str(value))
    except ValueError:
        raise MediaRefused("kind", f"one of {', '.join(MediaKind)}") from None


async def _register(request: Request, runtime: Runtime) -> Media:
    try:
        body = MediaUrlIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    fetched = await fetch(
        body.url, max_bytes=MAX_UPLOAD, allow_private=runtime.settings.media_allow_private_urls
    )
    return await runtime.media.add(
        fetched.data, name=body.name or fetched.name, kind=body.kind, source_url=body.url,
        field="url",
    )  # fmt: skip


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a file (multipart field `file`) or register one by URL (JSON `{url}`)",
)
async def add_media(request: Request, runtime: RuntimeDep, _: Admin) -> MediaOut:
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    item = await (_upload if multipart else _register)(request, runtime)
    return MediaOut.of(item)


@router.get("", summary="The media library, newest first")
async def list_media(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[MediaOut]:
    return [MediaOut.of(m) for m in await runtime.media.latest(limit, before_id)]


async def _found(runtime: Runtime, media_id: int) -> Media:
    item = await runtime.media.get(media_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"media {media_id} not found")
    return item


@router.get("/{media_id}", summary="One file's description")
async def get_media(media_id: MediaId, runtime: RuntimeDep) -> MediaOut:
    return MediaOut.of(await _found(runtime, media_id))


@router.get("/{media_id}/content", summary="One file's bytes", response_class=Response)
async def get_media_content(media_id: MediaId, runtime: RuntimeDep) -> Response:
    item = await _found(runtime, media_id)
    data = await runtime.media.content(media_id)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"media {media_id} not found")
    return content_response(item, data)
