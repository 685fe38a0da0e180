"""A media file's bytes as served over HTTP, the same for the API and the dashboard.

Only types sniffed from content are ever stored (never HTML or SVG), and the answer
says so twice: ``nosniff``, and a sandboxing CSP should a browser open it as a page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

from herald.media import Media

CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, max-age=86400, immutable",
}


def content_response(item: Media, data: bytes) -> Response:
    disposition = f"inline; filename*=UTF-8''{quote(item.name)}"
    return Response(
        data, media_type=item.mime, headers={**CONTENT_HEADERS, "Content-Disposition": disposition}
    )
