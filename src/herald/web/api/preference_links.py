"""A recipient's unsubscribe and preference URLs, for callers' own emails and messages
(docs/preferences.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from herald.channel import Channel
from herald.web.deps import RuntimeDep
from herald.web.schemas import ExternalId

router = APIRouter(tags=["preferences"])


class PreferenceLinksOut(BaseModel):
    recipient: str
    channel: Channel | None = Field(description="what the unsubscribe URLs refuse; null: all")
    preferences_url: str
    unsubscribe_all_url: str = Field(description="unsubscribes from every category")
    unsubscribe_urls: dict[str, str] = Field(description="category key -> its unsubscribe URL")


@router.get(
    "/recipients/{external_id}/preference-links",
    responses={
        404: {"description": "no such recipient"},
        409: {"description": "HERALD_PUBLIC_URL is not set: herald makes no links"},
    },
)
async def preference_links(
    external_id: ExternalId,
    runtime: RuntimeDep,
    channel: Annotated[
        Channel | None, Query(description="unsubscribe on this channel only (default: all)")
    ] = None,
) -> PreferenceLinksOut:
    """Signed URLs that never expire: one-click unsubscribe (RFC 8058; POST with
    ``List-Unsubscribe=One-Click``) per category and from everything, and the page."""
    recipient = await runtime.recipients.get(external_id)
    if recipient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"recipient {external_id!r} not found")
    keys = sorted(await runtime.categories.keys())
    found = runtime.recipient_links.link_set(recipient.id, keys, channel)
    if found is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "HERALD_PUBLIC_URL is not set: herald makes no links"
        )
    return PreferenceLinksOut(
        recipient=external_id,
        channel=channel,
        preferences_url=found.preferences_url,
        unsubscribe_all_url=found.unsubscribe_all_url,
        unsubscribe_urls=found.unsubscribe_urls,
    )
