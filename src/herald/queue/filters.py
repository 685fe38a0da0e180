"""Turn a DeliveryFilter into SQL conditions, shared by listing and bulk replay."""

from __future__ import annotations

from typing import Any

from herald.db.tables import deliveries as D
from herald.queue.models import DeliveryFilter


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
