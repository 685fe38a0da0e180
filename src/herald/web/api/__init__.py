"""Routes of /api/v1 and the operational endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from herald.auth import Role
from herald.web.api import (
    analytics,
    campaigns,
    content,
    deliveries,
    health,
    media,
    notifications,
    preference_links,
    preferences,
    queue,
    recipients,
    sandbox,
    schedules,
    templates,
    webhooks,
)
from herald.web.deps import require

# Every API route needs a key; routes that change something also ask for admin or owner.
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(require(Role.VIEWER))])
# The hot route first: routes are tried in order, and alerts come by the thousand.
api_router.include_router(notifications.router)
api_router.include_router(deliveries.router)
api_router.include_router(queue.router)
api_router.include_router(sandbox.router)
api_router.include_router(recipients.router)
api_router.include_router(preferences.router)
api_router.include_router(preference_links.router)
api_router.include_router(templates.router)
api_router.include_router(campaigns.router)
api_router.include_router(content.guides_router)
api_router.include_router(content.promos_router)
api_router.include_router(schedules.router)
api_router.include_router(analytics.router)
api_router.include_router(media.router)
api_router.include_router(webhooks.router)

__all__ = ["api_router", "health"]
