"""Media in the content editor: pick files from the library, or upload one, in order.

The form lists the item's media first (checked, in their order) and then the
library's latest files, each a checkbox named ``media`` with a thumbnail (photos and
GIFs) and its kind, so the checked boxes, read in document order, are the post's
media. A file chosen in ``media_file`` is added to the library by the same rule as
``POST /api/v1/media`` and checked at the end; the draft is then checked by the API's
model and scheduling's rules like the rest of the form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from herald.media import Media, MediaKind, MediaRefused
from herald.media.kinds import MAX_UPLOAD
from herald.runtime import Runtime

LIBRARY_SHOWN = 24  # the library's latest files offered beside the item's own


def read(form: Mapping[str, Any]) -> list[int]:
    """The checked media, in the form's order."""
    values = form.getlist("media") if hasattr(form, "getlist") else form.get("media", [])
    return [int(v) for v in values if isinstance(v, str) and v.isdigit()]


async def upload(request: Request, runtime: Runtime, chosen: list[int]) -> list[str]:
    """Add the form's ``media_file`` (if any) to the library and to ``chosen``; the
    refusal as "field: reason" lines otherwise (the API's wording)."""
    form = await request.form()
    file = form.get("media_file")
    if not isinstance(file, UploadFile) or not file.filename:
        return []
    data = await file.read(MAX_UPLOAD + 1)
    asked = form.get("media_kind")
    try:
        if len(data) > MAX_UPLOAD:
            raise MediaRefused("media_file", f"at most {MAX_UPLOAD >> 20} MB", too_large=True)
        kind = MediaKind(asked) if isinstance(asked, str) and asked else None
        added = await runtime.media.add(data, name=file.filename, kind=kind, field="media_file")
    except MediaRefused as exc:
        return [f"{exc.field}: {exc.msg}"]
    except ValueError:
        return [f"media_kind: one of {', '.join(MediaKind)}"]
    chosen.append(added.id)
    return []


async def shown(runtime: Runtime, chosen: Sequence[int]) -> tuple[list[Media], dict[int, Media]]:
    """The files the editor offers (the item's first, in order, then the library's
    latest) and every one of them by id, for the preview."""
    found = await runtime.media.many(chosen)
    own = [found[i] for i in dict.fromkeys(chosen) if i in found]
    latest = [m for m in await runtime.media.latest(LIBRARY_SHOWN) if m.id not in found]
    offered = own + latest
    return offered, {m.id: m for m in offered}


async def of_payloads(runtime: Runtime, payloads: Sequence[Any]) -> dict[int, Media]:
    """The media the given post payloads carry, by id (for drawing them)."""
    ids = {
        i
        for p in payloads
        if isinstance(p, dict) and isinstance(p.get("media"), list)
        for i in p["media"]
        if isinstance(i, int)
    }
    return await runtime.media.many(sorted(ids))
