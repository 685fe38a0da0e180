"""Answers the fake gives: Telegram's success and error bodies, and scripted replies."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

Body = dict[str, Any]


def ok(result: Any, **extra: Any) -> Body:
    return {"ok": True, "result": result, **extra}


def error_body(code: int, description: str, **parameters: Any) -> Body:
    body: Body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


@dataclass(frozen=True)
class Reply:
    """A scripted answer. ``body=None`` answers normally, after ``delay`` seconds."""

    status: int = 200
    body: Body | None = None
    delay: float = 0.0

    def as_answer(self) -> tuple[int, Body]:
        return self.status, self.body or {}


def too_many_requests(retry_after: int = 5) -> Reply:
    description = f"Too Many Requests: retry after {retry_after}"
    return Reply(429, error_body(429, description, retry_after=retry_after))


def forbidden(description: str = "Forbidden: bot was blocked by the user") -> Reply:
    return Reply(403, error_body(403, description))


def bad_request(description: str) -> Reply:
    return Reply(400, error_body(400, description))


def migrated(new_chat_id: int) -> Reply:
    description = "Bad Request: group chat was upgraded to a supergroup chat"
    return Reply(400, error_body(400, description, migrate_to_chat_id=int(new_chat_id)))


def server_error(status: int = 502) -> Reply:
    """Telegram's 5xx bodies carry the status phrase: "Bad Gateway", "Gateway Timeout"..."""
    return Reply(status, error_body(status, HTTPStatus(status).phrase))


def slow(seconds: float) -> Reply:
    """Answers normally but late; past the client's timeout it is a timeout, and the
    message is not delivered (the server drops a request its client gave up on)."""
    return Reply(delay=seconds)


class Refused(ValueError):
    """A request Telegram refuses with a 400, in TDLib's or the Bot API server's words."""

    def answer(self) -> tuple[int, Body]:
        return 400, error_body(400, bot_api_description(str(self)))


def bot_api_description(message: str) -> str:
    """The Bot API server's 400 description of an error: "Bad Request: " and the message
    with its first letter lowered, unless it is a constant like TOPIC_CLOSED."""
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return f"Bad Request: {message}"
    return f"Bad Request: {message[:1].lower()}{message[1:]}"
