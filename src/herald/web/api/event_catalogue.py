"""The event catalogue in the OpenAPI document: one ``webhooks`` entry per event type.

OpenAPI 3.1 describes requests herald makes to others under ``webhooks``; each entry's
body is the Standard Webhooks envelope (``type``, ``timestamp``, ``data``) with the
type's ``data`` model from ``herald.events.schemas``, the one producers build events
with, so the document names exactly what is sent.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, create_model

from herald.events import CATALOGUE, EventData


def document(app: FastAPI) -> None:
    """Add every event type to ``app``'s OpenAPI ``webhooks``."""
    for model in CATALOGUE.values():
        app.webhooks.add_api_route(
            str(model.TYPE),
            _receiver(envelope(model)),
            methods=["POST"],
            summary=f"{model.TYPE}: fires when {model.WHEN}",
            description=" ".join((model.__doc__ or "").split())
            + f"\n\nSubject: `{model.SUBJECT}`.",
            tags=["events"],
            operation_id=f"event_{str(model.TYPE).replace('.', '_')}",
            status_code=204,
            response_description="Any 2xx: received (anything else is retried)",
        )


def envelope(model: type[EventData]) -> type[BaseModel]:
    """The body posted for ``model``'s events."""
    return create_model(
        f"{model.__name__}Event",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"A `{model.TYPE}` event as posted to an endpoint.",
        type=(Literal[str(model.TYPE)], ...),  # type: ignore[arg-type]
        timestamp=(datetime, Field(description="When the fact happened.")),
        data=(model, ...),
    )


def _receiver(body: type[BaseModel]) -> Any:
    """A stand-in for the receiving endpoint: never served, only described."""

    async def receive(event: Any) -> None:  # pragma: no cover - documentation only
        return None

    parameter = inspect.Parameter("event", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=body)
    receive.__signature__ = inspect.Signature([parameter], return_annotation=None)  # type: ignore[attr-defined]
    return receive
