"""Webhook endpoints: register, list, change, delete, rotate the secret, send a test,
and read the recent attempts. A secret is in the answer to create and rotate only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from herald.db.types import MAX_ID
from herald.web.deps import Admin, RuntimeDep
from herald.web.schemas import RequestModel
from herald.webhooks import Endpoint, NewEndpoint

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
EndpointId = Annotated[int, Path(ge=1, le=MAX_ID)]
EVENTS_HELP = "event types (delivery.sent), prefixes (delivery.*) or * for every event"
IN_FLIGHT_HELP = "requests in flight at once to it, 1 to 1000; null: the settings' default"
RATE_HELP = "requests per second to it, 0.01 to 10000; null: the settings' default"
MaxInFlight = Annotated[int | None, Field(strict=True, description=IN_FLIGHT_HELP)]
RatePerSecond = Annotated[float | None, Field(strict=True, description=RATE_HELP)]
OWN_LIMITS = ("max_in_flight", "rate_per_second")


class WebhookIn(RequestModel):
    url: str = Field(max_length=2048, description="https:// URL herald posts events to")
    events: list[str] = Field(min_length=1, max_length=100, description=EVENTS_HELP)
    description: str = Field("", max_length=500)
    max_in_flight: MaxInFlight = None
    rate_per_second: RatePerSecond = None


class WebhookPatch(RequestModel):
    url: str | None = Field(None, max_length=2048)
    events: list[str] | None = Field(None, min_length=1, max_length=100, description=EVENTS_HELP)
    enabled: bool | None = Field(None, description="false stops deliveries; true resumes them")
    description: str | None = Field(None, max_length=500)
    max_in_flight: MaxInFlight = None  # absent: unchanged; null: back to the default
    rate_per_second: RatePerSecond = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="why herald or an operator disabled it")
    failing_since: datetime | None = Field(
        description="start of the current run of failures (5 days of it disables)"
    )
    previous_secret_until: datetime | None = Field(
        description="the previous secret also signs until then (after a rotation)"
    )
    max_in_flight: int | None = Field(description=IN_FLIGHT_HELP)
    rate_per_second: float | None = Field(description=RATE_HELP)
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="whsec_ + base64: shown this once, store it now")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: str
    event_type: str
    delivery_id: int | None
    attempted_at: datetime
    status: int | None = Field(description="the HTTP status; null when no answer came")
    latency_ms: float
    ok: bool
    error: str | None
    response: str = Field(description="the start of the response body")


def _with_secret(endpoint: Endpoint, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret(**WebhookOut.model_validate(endpoint).model_dump(), secret=secret)


@router.get("")
async def list_webhooks(runtime: RuntimeDep) -> list[WebhookOut]:
    return [WebhookOut.model_validate(e) for e in await runtime.webhooks.all()]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_webhook(body: WebhookIn, runtime: RuntimeDep, _: Admin) -> WebhookWithSecret:
    endpoint, secret = await runtime.webhooks.create(
        NewEndpoint(
            body.url, body.events, body.description, body.max_in_flight, body.rate_per_second
        )
    )
    return _with_secret(endpoint, secret)


@router.get("/{endpoint_id}")
async def get_webhook(endpoint_id: EndpointId, runtime: RuntimeDep) -> WebhookOut:
    return WebhookOut.model_validate(await runtime.webhooks.get(endpoint_id))


@router.patch("/{endpoint_id}")
async def update_webhook(
    endpoint_id: EndpointId, body: WebhookPatch, runtime: RuntimeDep, _: Admin
) -> WebhookOut:
    limits = {name: getattr(body, name) for name in OWN_LIMITS if name in body.model_fields_set}
    updated = await runtime.webhooks.update(
        endpoint_id,
        url=body.url,
        events=body.events,
        enabled=body.enabled,
        description=body.description,
        **limits,
    )
    return WebhookOut.model_validate(updated)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(endpoint_id: EndpointId, runtime: RuntimeDep, _: Admin) -> Response:
    await runtime.webhooks.delete(endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret")
async def rotate_secret(
    endpoint_id: EndpointId, runtime: RuntimeDep, _: Admin
) -> WebhookWithSecret:
    endpoint, secret = await runtime.webhooks.rotate(endpoint_id)
    return _with_secret(endpoint, secret)


class TestSent(BaseModel):
    event_id: str = Field(description="the webhook-id header of the test request")


@router.post("/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED)
async def test_webhook(endpoint_id: EndpointId, runtime: RuntimeDep, _: Admin) -> TestSent:
    """Queue a webhook.test event to this endpoint alone (sent even if it does not
    subscribe to webhook.test; not if it is disabled)."""
    return TestSent(event_id=await runtime.fanout.test(endpoint_id))


@router.get("/{endpoint_id}/attempts")
async def list_attempts(
    endpoint_id: EndpointId,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[AttemptOut]:
    await runtime.webhooks.get(endpoint_id)  # a 404 for an unknown endpoint
    return [
        AttemptOut.model_validate(a) for a in await runtime.webhooks.attempts(endpoint_id, limit)
    ]
