"""Requests as the fake reads and records them."""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.fake_telegram.replies import Body

JSON_PARAMS = ("reply_markup", "link_preview_options", "entities", "allowed_updates")


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


# The request being answered, for handlers (whose signature tests replace) to annotate.
current: contextvars.ContextVar[RecordedRequest] = contextvars.ContextVar("fake_tg_request")


def flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


async def read_params(request: web.Request) -> Body:
    """Query string, then a JSON or form body, as the Bot API accepts all three."""
    params: Body = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_PARAMS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params
