"""Requests as the fake reads and records them."""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.fake_telegram.media import UploadedFile
from tests.support.fake_telegram.replies import Body

JSON_PARAMS = (
    "reply_markup",
    "link_preview_options",
    "entities",
    "caption_entities",
    "allowed_updates",
    "media",
    "reply_parameters",
)


@dataclass
class RecordedRequest:
    method: str  # the Bot API method as requested, e.g. "sendMessage"
    http_method: str
    token: str
    chat_id: str | None
    params: Body  # query, JSON or form fields; JSON-valued fields (reply_markup) decoded
    at: float  # the server's clock (monotonic) when the request arrived
    status: int = 0  # the HTTP status it was answered with (0: no answer yet)
    fault: str | None = None  # the injected fault it met ("timeout", "lost_reply", ...)
    files: dict[str, UploadedFile] = field(default_factory=dict)  # multipart file fields
    answer: Body = field(default_factory=dict)  # the body it was answered with


# The request being answered, for handlers (whose signature tests replace) to annotate.
current: contextvars.ContextVar[RecordedRequest] = contextvars.ContextVar("fake_tg_request")


def flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


async def read_params(request: web.Request) -> tuple[Body, dict[str, UploadedFile]]:
    """Query string, then a JSON, form or multipart body, as the Bot API accepts all of
    them; a multipart body's file fields come apart from the other fields."""
    params: Body = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
                else:
                    data = value.file.read()
                    files[key] = UploadedFile(value.filename, value.content_type, data)
    for key in JSON_PARAMS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params, files
