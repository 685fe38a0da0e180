"""Deliveries: search and filter, one delivery's attempts and error, dead-letter replay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from herald.queue import DeliveryFilter, Lane, State
from herald.queue import admin as queue_admin
from herald.web.dashboard.auth import Operator, User
from herald.web.dashboard.deps import PagesDep
from herald.web.dashboard.paging import one_page
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/deliveries")
PAGE = 50
Text = Annotated[str, Query(max_length=200)]


def _blank(value: str) -> str | None:
    return value.strip() or None


@router.get("", response_class=HTMLResponse)
async def deliveries(
    request: Request,
    user: User,
    pages: PagesDep,
    runtime: RuntimeDep,
    state: Annotated[State | None, Query()] = None,
    channel: Text = "",
    lane: Annotated[str, Query(pattern="^(|transactional|campaign)$")] = "",
    campaign: Text = "",
    error: Text = "",
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    f = DeliveryFilter(
        state=state,
        channel=_blank(channel),
        lane=Lane.parse(lane) if lane else None,
        campaign=_blank(campaign),
        error_contains=_blank(error),
    )
    found, last = one_page(
        await queue_admin.list_deliveries(runtime.queue, f, limit=PAGE + 1, before_id=before_id),
        PAGE,
    )
    dead = await queue_admin.count_dead(runtime.queue, f) if state is State.DEAD else None
    return pages.render(
        request,
        "deliveries.html",
        user,
        active="deliveries",
        deliveries=found,
        filters={
            "state": state.value if state else "",
            "channel": channel,
            "lane": lane,
            "campaign": campaign,
            "error": error,
        },
        states=[s.value for s in State],
        channels=sorted(runtime.senders),
        next_before=last.id if last else None,
        dead_matching=dead,
    )


@router.get("/{delivery_id}", response_class=HTMLResponse)
async def delivery(
    delivery_id: int, request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    found = await runtime.queue.get(delivery_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"delivery {delivery_id} not found")
    return pages.render(request, "delivery.html", user, active="deliveries", d=found)


@router.post("/{delivery_id}/replay")
async def replay_one(delivery_id: int, _: Operator, runtime: RuntimeDep) -> RedirectResponse:
    replayed = await queue_admin.replay(runtime.queue, DeliveryFilter(ids=(delivery_id,)))
    if not replayed:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"delivery {delivery_id} is not a dead letter"
        )
    return RedirectResponse(
        f"/deliveries/{delivery_id}?notice=replayed&n=1", status.HTTP_303_SEE_OTHER
    )


@router.post("/replay")
async def replay_matching(
    _: Operator,
    runtime: RuntimeDep,
    channel: Annotated[str, Form(max_length=200)] = "",
    lane: Annotated[str, Form(pattern="^(|transactional|campaign)$")] = "",
    campaign: Annotated[str, Form(max_length=200)] = "",
    error: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """Every dead letter the list's filter matches (the form carries the filter)."""
    f = DeliveryFilter(
        channel=_blank(channel),
        lane=Lane.parse(lane) if lane else None,
        campaign=_blank(campaign),
        error_contains=_blank(error),
    )
    replayed = await queue_admin.replay(runtime.queue, f)
    return RedirectResponse(
        f"/deliveries?state=dead&notice=replayed&n={replayed}", status.HTTP_303_SEE_OTHER
    )
