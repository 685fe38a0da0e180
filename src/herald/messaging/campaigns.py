"""Campaigns: one template to many recipients on one channel, in the campaign lane.

The audience is read in pages and each page is rendered (per recipient, for its
locale) and queued with one multi-row INSERT, so a campaign of 100,000 never sits
in memory. Every delivery carries the idempotency key ``campaign:<id>:<recipient>``,
so re-running a half-queued campaign never sends twice. Campaign email is capped per
address per hour (transactional mail never is): an address at its cap is skipped.
There is no fallback: a campaign names its channel, and recipients without an address
there are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, func, insert, select, update

from herald.auth.recipient_links import RecipientLinks
from herald.channel import Channel
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import campaigns, deliveries
from herald.messaging.campaign_finish import CampaignFinish
from herald.messaging.notifications import Renderer, channel_payload, marked
from herald.messaging.recipients import Recipient, Recipients
from herald.messaging.unsubscribe import Addressee, add_unsubscribe, add_unsubscribe_button
from herald.metrics import Metrics
from herald.preferences import CategoryStore, PreferenceRuleError, marks
from herald.queue import DeliveryQueue, Lane, NewDelivery, State
from herald.queue.filters import failed_and_waiting

PAGE = 500


@dataclass(frozen=True, slots=True)
class CampaignRequest:
    name: str
    template: str
    variables: dict[str, Any]
    channel: str
    audience: Sequence[str] | None  # None: every recipient
    # For email: a URL (or mailto:) with "{external_id}", sent as List-Unsubscribe.
    list_unsubscribe: str | None = None
    category: str | None = None  # a category's key; None: the template's category


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    id: int
    name: str
    template: str
    channel: str
    status: str
    queued: int
    skipped: int
    counts: dict[str, int]  # queued, failed (retrying), sent, dead, cancelled
    created_at: datetime
    cancelled_at: datetime | None
    category: str | None = None


class Campaigns:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        queue: DeliveryQueue,
        recipients: Recipients,
        renderer: Renderer,
        metrics: Metrics,
        categories: CategoryStore,
        email_cap_per_hour: int = 10,
        links: RecipientLinks | None = None,
    ) -> None:
        """``email_cap_per_hour``: most campaign emails one address gets in an hour;
        transactional mail is never capped. ``links``: herald's own unsubscribe links
        and footer on campaign email (messaging/unsubscribe.py)."""
        self._db = db
        self._links = links
        self._email_cap = email_cap_per_hour
        self._clock = clock
        self._queue = queue
        self._recipients = recipients
        self._renderer = renderer
        self._metrics = metrics
        self._categories = categories
        self.finishing = CampaignFinish(db, clock)  # campaign.finished, when it is over

    def check(self, request: CampaignRequest) -> None:
        """Render once with the default locale so template errors surface before anything
        is stored (the API answers 400/404 naming them)."""
        self._renderer.render_payload(request.template, request.channel, request.variables, None)

    async def start(self, request: CampaignRequest) -> int:
        """Store the campaign and queue its deliveries; returns its id."""
        self.check(request)
        if request.category is not None and request.category not in await self._categories.keys():
            raise PreferenceRuleError(("category",), f"no category {request.category!r}")
        now = self._clock.now()
        async with self._db.write() as conn:
            campaign_id = await conn.scalar(
                insert(campaigns)
                .values(
                    name=request.name,
                    template=request.template,
                    variables=request.variables,
                    channel=request.channel,
                    audience=list(request.audience) if request.audience is not None else None,
                    category=request.category,
                    status="queued",
                    created_at=now,
                )
                .returning(campaigns.c.id)
            )
        assert campaign_id is not None
        queued, skipped = await self._fan_out(int(campaign_id), request)
        async with self._db.write() as conn:
            await conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(queued=queued, skipped=skipped, all_queued_at=self._clock.now())
            )
        await self.finishing.finish([int(campaign_id)])  # nothing to send, or all sent
        return int(campaign_id)

    async def _fan_out(self, campaign_id: int, request: CampaignRequest) -> tuple[int, int]:
        queued = skipped = 0
        after = 0
        tag = str(campaign_id)
        while page := await self._recipients.page(after, PAGE, request.audience):
            after = page[-1].id
            capped = await self._capped_addresses(request.channel, page)
            batch = []
            for recipient in page:
                address = recipient.address(request.channel)
                if address is None or address in capped:
                    skipped += 1
                    continue
                payload = marked(
                    channel_payload(
                        self._renderer,
                        recipient,
                        request.channel,
                        request.template,
                        request.variables,
                    ),
                    self._renderer,
                    recipient,
                    request.template,
                    Lane.CAMPAIGN,
                    request.category,
                )
                if request.channel in (Channel.EMAIL, Channel.TELEGRAM):
                    self._unsubscribe(payload, recipient, request)
                batch.append(
                    NewDelivery(
                        channel=request.channel,
                        recipient=address,
                        payload=payload,
                        lane=Lane.CAMPAIGN,
                        campaign=tag,
                        idempotency_key=f"campaign:{campaign_id}:{recipient.id}",
                    )
                )
            created = await self._queue.enqueue_many(batch)
            self._metrics.messages_enqueued.labels(request.channel, "campaign").inc(created)
            queued += len(batch)
        return queued, skipped

    def _unsubscribe(
        self, payload: dict[str, Any], recipient: Recipient, request: CampaignRequest
    ) -> None:
        caller = request.list_unsubscribe
        if caller is not None:
            caller = caller.replace("{external_id}", quote(recipient.external_id, safe=""))
        audience = marks.read(payload)
        # A required template's messages ignore opt-outs: a link offering one would lie.
        if self._links is None or (audience is not None and not audience.gated):
            if caller is not None and request.channel == Channel.EMAIL:
                payload["list_unsubscribe"] = caller
            return
        to = Addressee(recipient.id, recipient.locale, audience.category if audience else None)
        if request.channel == Channel.TELEGRAM:
            add_unsubscribe_button(payload, self._links, to)
        else:
            add_unsubscribe(payload, self._links, to, caller)

    async def _capped_addresses(self, channel: str, page: Sequence[Recipient]) -> set[str]:
        """Email addresses that already got their hourly share of campaign mail."""
        if channel != Channel.EMAIL:
            return set()
        addresses = [r.email for r in page if r.email]
        if not addresses:
            return set()
        d = deliveries
        since = self._clock.now() - timedelta(hours=1)
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    select(d.c.recipient)
                    .where(
                        d.c.channel == Channel.EMAIL,
                        d.c.lane == int(Lane.CAMPAIGN),
                        d.c.recipient.in_(addresses),
                        d.c.created_at >= since,
                        d.c.state != State.CANCELLED,
                    )
                    .group_by(d.c.recipient)
                    .having(func.count() >= self._email_cap)
                )
            ).all()
        return {r.recipient for r in rows}

    async def status(self, campaign_id: int) -> CampaignStatus | None:
        found = await self._shown(campaigns.c.id == campaign_id, 1)
        return found[0] if found else None

    async def _shown(self, where: ColumnElement[bool] | None, limit: int) -> list[CampaignStatus]:
        """Campaigns newest first with their delivery counts: two queries, whatever the limit."""
        d = deliveries
        query = select(campaigns).order_by(campaigns.c.id.desc()).limit(limit)
        async with self._db.read() as conn:
            found = (await conn.execute(query if where is None else query.where(where))).all()
            if not found:
                return []
            retrying = failed_and_waiting()
            rows = (
                await conn.execute(
                    select(d.c.campaign, d.c.state, retrying.label("retrying"), func.count())
                    .where(d.c.campaign.in_([str(row.id) for row in found]))
                    .group_by(d.c.campaign, d.c.state, retrying)
                )
            ).all()
        # The platform's names: queued (waiting, deferred by the gate, or sending), failed
        # (failed at least once and waiting to retry), sent, dead; plus cancelled.
        counts = {
            str(row.id): {
                "queued": 0,
                "failed": 0,
                "sent": 0,
                "dead": 0,
                "cancelled": 0,
                "skipped": 0,
            }
            for row in found
        }
        for tag, state, is_retrying, n in rows:
            mine = counts[tag]
            if state in (State.PENDING, State.RUNNING):
                mine["failed" if is_retrying else "queued"] += int(n)
            else:
                mine[state] = mine.get(state, 0) + int(n)
        return [
            CampaignStatus(
                id=int(row.id),
                name=row.name,
                template=row.template,
                channel=row.channel,
                status=row.status,
                queued=row.queued,
                skipped=row.skipped,
                counts=counts[str(row.id)],
                created_at=row.created_at,
                cancelled_at=row.cancelled_at,
                category=row.category,
            )
            for row in found
        ]

    async def cancel(self, campaign_id: int) -> int | None:
        """Withdraw every delivery not yet sent; returns how many (None: no such campaign).

        A delivery a worker holds right now may still go out; the rest never will."""
        now = self._clock.now()
        async with self._db.write() as conn:
            found = await conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(status="cancelled", cancelled_at=now)
            )
            if not found.rowcount:
                return None
            withdrawn = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.campaign == str(campaign_id),
                    deliveries.c.state == State.PENDING,
                )
                .values(state=State.CANCELLED, finished_at=now)
            )
        await self.finishing.finish([campaign_id])  # over now, unless a send is in flight
        return int(withdrawn.rowcount)

    async def list(self, limit: int = 50) -> list[CampaignStatus]:
        """The newest campaigns first, each with its counts (what `herald campaigns list` shows)."""
        return await self._shown(None, limit)
