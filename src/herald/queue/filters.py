"""Turn a DeliveryFilter into SQL conditions, shared by listing and bulk replay."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from herald.db.tables import deliveries as D
from herald.queue.models import DEFERRED, DeliveryFilter, State


def failed_and_waiting() -> ColumnElement[bool]:
    """Pending after a failure, for a retry: not merely deferred by the dispatch gate,
    whose reason is in last_error too."""
    return (
        (D.c.state == State.PENDING)
        & D.c.last_error.is_not(None)
        & D.c.last_error.not_like(DEFERRED + "%")
    )


def conditions(f: DeliveryFilter) -> list[Any]:
    where: list[Any] = []
    if f.state is not None:
        where.append(D.c.state == f.state)
    if f.channel is not None:
        where.append(D.c.channel == f.channel)
    if f.lane is not None:
        where.append(D.c.lane == int(f.lane))
    if f.campaign is not None:
        where.append(D.c.campaign == f.campaign)
    if f.error_contains:
        where.append(D.c.last_error.contains(f.error_contains, autoescape=True))
    # A finished delivery is placed in time by when it finished, a waiting one by creation.
    moment = (
        D.c.finished_at
        if f.state is not None and f.state.value in ("sent", "dead")
        else D.c.created_at
    )
    if f.since is not None:
        where.append(moment >= f.since)
    if f.until is not None:
        where.append(moment < f.until)
    if f.ids:
        where.append(D.c.id.in_(f.ids))
    return where
