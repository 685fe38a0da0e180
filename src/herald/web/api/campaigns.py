"""Campaigns: start, follow, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field

from herald.channel import Channel
from herald.db.types import MAX_ID
from herald.messaging.campaigns import CampaignRequest
from herald.web.deps import Admin, RuntimeDep
from herald.web.schemas import RequestModel

router = APIRouter(tags=["campaigns"])
CampaignId = Annotated[int, Path(ge=1, le=MAX_ID)]


class CampaignIn(RequestModel):
    name: str = Field("", max_length=200)
    template: str = Field(min_length=1, max_length=128)
    vars: dict[str, Any] = Field(default_factory=dict)
    channel: Channel
    audience: Literal["all"] | list[str] = Field(
        description='"all" recipients, or a list of external ids', min_length=1
    )
    list_unsubscribe: str | None = Field(
        None,
        max_length=1000,
        pattern=r"^(https://|mailto:)",
        description='email only: unsubscribe URL or mailto: with "{external_id}"',
    )
    category: str | None = Field(
        None, max_length=64, description="a category's key (default: the template's category)"
    )


class CampaignStarted(BaseModel):
    id: int
    queued: int
    skipped: int = Field(
        description="recipients with no usable address on the channel, or at their email cap"
    )


class CampaignOut(BaseModel):
    id: int
    name: str
    template: str
    channel: str
    status: str
    queued: int
    skipped: int
    counts: dict[str, int] = Field(
        description="queued, failed (will retry), sent, dead, cancelled, "
        "skipped (held back by the recipient's preferences)"
    )
    created_at: datetime
    cancelled_at: datetime | None
    category: str | None


class CancelOut(BaseModel):
    cancelled: int


@router.post("/campaigns", status_code=status.HTTP_202_ACCEPTED)
async def start_campaign(body: CampaignIn, runtime: RuntimeDep, _: Admin) -> CampaignStarted:
    """Queue the template for the audience on one channel (campaign lane, no fallback)."""
    request = CampaignRequest(
        name=body.name or body.template,
        template=body.template,
        variables=body.vars,
        channel=body.channel,
        audience=None if body.audience == "all" else list(body.audience),
        list_unsubscribe=body.list_unsubscribe,
        category=body.category,
    )
    campaign_id = await runtime.campaigns.start(request)  # errors: web/api/errors.py
    shown = await runtime.campaigns.status(campaign_id)
    assert shown is not None
    return CampaignStarted(id=campaign_id, queued=shown.queued, skipped=shown.skipped)


@router.get("/campaigns/{campaign_id}")
async def get_campaign(campaign_id: CampaignId, runtime: RuntimeDep) -> CampaignOut:
    shown = await runtime.campaigns.status(campaign_id)
    if shown is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id} not found")
    return CampaignOut(
        id=shown.id,
        name=shown.name,
        template=shown.template,
        channel=shown.channel,
        status=shown.status,
        queued=shown.queued,
        skipped=shown.skipped,
        counts=shown.counts,
        created_at=shown.created_at,
        cancelled_at=shown.cancelled_at,
        category=shown.category,
    )


@router.post("/campaigns/{campaign_id}/cancel")
async def cancel_campaign(campaign_id: CampaignId, runtime: RuntimeDep, _: Admin) -> CancelOut:
    cancelled = await runtime.campaigns.cancel(campaign_id)
    if cancelled is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id} not found")
    return CancelOut(cancelled=cancelled)
