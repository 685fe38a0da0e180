"""A promo's A/B test read back: per variant posts, reach, people's clicks, unique
clickers, click-through rate with its 95% interval, and the winner if there is one.

Posts count from the post log (each post row records the variant it showed), clicks
from the clicks store (each click records the variant its token named), both since
the test started; clicks on the test's posts that arrive after it ended still count.
As for the whole promo (``tracking.reach``), the rate is unique human clickers over
members reached: over the distinct chats a variant was sent to, each chat's latest
member count among that variant's posts; chats whose count is unknown are left out and
counted apart. Flagged hits (preview fetchers, scanners...) count in ``flagged`` only.
The judging is ``tracking.significance``'s. Joins per variant are those through the
variant's own invite links (``tracking.joins``), since the test started; for a promo
with a join button they are judged like clicks, joins over members reached, so a test
can be won by the people it brings in as well as by those who click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select

from herald.db import Database
from herald.db.tables import clicks, schedule_posts, schedule_runs
from herald.scheduling.content import ContentItem
from herald.scheduling.variants import VariantError
from herald.tracking.clicks import clicker, flagged, human
from herald.tracking.joins import variant_joins
from herald.tracking.reach import rate
from herald.tracking.significance import Interval, Rate, wilson, winner

Metric = Literal["clicks", "joins"]  # what a test's winner is judged by


@dataclass(frozen=True, slots=True)
class VariantStats:
    name: str
    body: str
    labels: tuple[str, ...]
    posts: int  # post rows that showed it (queued, sent or failed)
    sent: int  # of them, sent
    chats_reached: int  # distinct chats it was sent to
    members_reached: int  # their latest member counts, added
    chats_without_count: int  # chats reached whose member count is not known
    clicks: int  # people's clicks
    unique_clickers: int  # people
    flagged: int  # hits that were no person
    click_through_rate: float | None  # unique clickers / members reached
    interval: Interval | None  # 95% Wilson; None without members, or above 1
    joins: int = 0  # joins through the variant's invite links
    join_rate: float | None = None  # joins / members reached (a promo with a join button)
    join_interval: Interval | None = None  # its 95% Wilson interval


@dataclass(frozen=True, slots=True)
class VariantReport:
    promo_id: int
    running: bool
    started_at: datetime
    ended_at: datetime | None
    kept: str | None
    variants: list[VariantStats]
    winner: str | None  # by clicks, named only when significant at 95%
    winner_by_joins: str | None = None  # by joins, the same way (a promo with a join button)

    def winner_by(self, metric: Metric) -> str:
        """The winner by ``metric``, or VariantError when there is none to keep."""
        found = self.winner if metric == "clicks" else self.winner_by_joins
        if found is None:
            raise VariantError(f"no variant wins by {metric} at 95%: choose the one to keep")
        return found


class VariantAnalytics:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def winner(self, item: ContentItem, metric: Metric) -> str:
        """The variant to keep by ``metric``; VariantError when there is no test or no
        winner by that measure."""
        report = await self.report(item)
        if report is None:
            raise VariantError("this promo has had no A/B test")
        return report.winner_by(metric)

    async def report(self, item: ContentItem) -> VariantReport | None:
        """The item's test (running, or the last ended), or None if it never had one."""
        test = item.variants
        if test is None:
            return None
        p, r, c = schedule_posts, schedule_runs, clicks
        since = (
            r.c.content_id == item.id,
            r.c.created_at >= test.started_at,
            p.c.variant.is_not(None),
        )
        latest = (
            select(
                p.c.variant,
                p.c.member_count,
                func.row_number()
                .over(
                    partition_by=(p.c.variant, p.c.chat_id),
                    order_by=(p.c.members_at.is_(None), p.c.members_at.desc()),
                )
                .label("nth"),
            )
            .join(r, r.c.id == p.c.run_id)
            .where(*since, p.c.status == "sent")
            .subquery()
        )
        async with self._db.read() as conn:
            posted = {
                row.variant: row
                for row in await conn.execute(
                    select(
                        p.c.variant,
                        func.count().label("posts"),
                        func.count().filter(p.c.status == "sent").label("sent"),
                    )
                    .join(r, r.c.id == p.c.run_id)
                    .where(*since)
                    .group_by(p.c.variant)
                )
            }
            reach = {
                row.variant: row
                for row in await conn.execute(
                    select(
                        latest.c.variant,
                        func.count().label("chats"),
                        func.coalesce(func.sum(latest.c.member_count), 0).label("members"),
                        func.count().filter(latest.c.member_count.is_(None)).label("unknown"),
                    )
                    .where(latest.c.nth == 1)
                    .group_by(latest.c.variant)
                )
            }
            clicked = {
                row.variant: row
                for row in await conn.execute(
                    select(
                        c.c.variant,
                        func.count().filter(human()).label("n"),
                        func.count(clicker().distinct()).filter(human()).label("unique"),
                        flagged().label("flagged"),
                    )
                    .where(
                        c.c.promo_id == item.id,
                        c.c.clicked_at >= test.started_at,
                        c.c.variant.is_not(None),
                    )
                    .group_by(c.c.variant)
                )
            }
            joined = await variant_joins(conn, item.id, test.started_at)
        judged = bool(item.join_targets)  # joins mean something only with a join button
        stats = []
        for name, variant in zip(test.names, test.variants, strict=True):
            post, seen, click = posted.get(name), reach.get(name), clicked.get(name)
            members = int(seen.members) if seen else 0
            unique = int(click.unique) if click else 0
            joins = joined.get(name, 0)
            stats.append(
                VariantStats(
                    name=name,
                    body=variant.body,
                    labels=variant.labels,
                    posts=int(post.posts) if post else 0,
                    sent=int(post.sent) if post else 0,
                    chats_reached=int(seen.chats) if seen else 0,
                    members_reached=members,
                    chats_without_count=int(seen.unknown) if seen else 0,
                    clicks=int(click.n) if click else 0,
                    unique_clickers=unique,
                    flagged=int(click.flagged) if click else 0,
                    click_through_rate=rate(unique, members),
                    interval=wilson(unique, members),
                    joins=joins,
                    join_rate=rate(joins, members) if judged else None,
                    join_interval=wilson(joins, members) if judged else None,
                )
            )
        rates = [Rate(s.name, s.unique_clickers, s.members_reached) for s in stats]
        join_rates = [Rate(s.name, s.joins, s.members_reached) for s in stats]
        return VariantReport(
            promo_id=item.id,
            running=test.running,
            started_at=test.started_at,
            ended_at=test.ended_at,
            kept=test.kept,
            variants=stats,
            winner=winner(rates),
            winner_by_joins=winner(join_rates) if judged else None,
        )
