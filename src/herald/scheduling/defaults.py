"""What a fresh install posts: four trading guides and four promos, and the two
default schedules, which the ``HERALD_GUIDE_*`` / ``HERALD_PROMO_*`` settings shape.

Content is seeded once, into an empty install (no content and no run yet), so an
operator who deletes a default never sees it come back.

In dev mode without a bot token both schedules also post to a sandbox demo chat, so
the first guide and promo are in the sandbox inbox seconds after the first start;
with a token, or in prod, that chat is taken out again (no real bot posts to it).
"""

from __future__ import annotations

import structlog
from sqlalchemy import func, select

from herald.config import Environment, Settings
from herald.db import Database
from herald.db.tables import schedule_runs
from herald.scheduling.cadence import Cadence
from herald.scheduling.content import Button, ContentDraft, ContentStore, Kind
from herald.scheduling.schedules import (
    ScheduleChanges,
    ScheduleExists,
    ScheduleKind,
    ScheduleSpec,
    ScheduleStore,
)

GUIDES_SCHEDULE = "guides"
PROMOS_SCHEDULE = "promos"
# A supergroup-shaped id no real chat has; only the sandbox "sends" to it.
SANDBOX_DEMO_CHAT = "-1000000000001"
log = structlog.get_logger("herald.scheduling")

GUIDES: dict[str, ContentDraft] = {
    "guide:trading-fundamentals": ContentDraft(
        title="Trading Fundamentals",
        body=(
            "Every trade is a plan: an entry, a stop-loss and a take-profit, decided "
            "before you click buy.\n"
            "- Trade the trend on the higher time frame (4h/1D) first.\n"
            "- Never move a stop-loss further away once a trade is open.\n"
            "- Size positions from the stop distance, not from how sure you feel."
        ),
        footer="Guide 1/4 - read the full series in the pinned message",
        buttons=(
            Button("Learn the basics", "https://www.investopedia.com/trading-basics-4689641"),
        ),
    ),
    "guide:chart-analysis": ContentDraft(
        title="Chart Analysis",
        body=(
            "Price leaves footprints. Mark support and resistance where price turned "
            "at least twice, and wait for a close beyond a level (not a wick) before "
            "calling a breakout.\n"
            "Volume confirms: a breakout on falling volume is a trap more often than not."
        ),
        footer="Guide 2/4",
        buttons=(
            Button(
                "Support & resistance",
                "https://www.investopedia.com/trading/support-and-resistance-basics/",
            ),
        ),
    ),
    "guide:risk-management": ContentDraft(
        title="Risk Management",
        body=(
            "Risk 1-2% of your account per trade (at most). With a 1:2 risk/reward "
            "ratio you can be wrong 6 times out of 10 and still grow the account.\n"
            "Set a daily loss limit: after 3 losing trades, stop for the day."
        ),
        footer="Guide 3/4",
        buttons=(
            Button(
                "Position sizing",
                "https://www.investopedia.com/terms/p/positionsizing.asp",
            ),
        ),
    ),
    "guide:entry-exit": ContentDraft(
        title="Entry/Exit",
        body=(
            "Enter on a retest, not on the first candle of a move. Scale out: take "
            "half at TP1, move the stop to break-even, let the rest run to TP2.\n"
            "If a signal's entry was missed by more than 0.5%, skip it: chasing "
            "turns a good setup into a bad trade."
        ),
        footer="Guide 4/4",
        buttons=(
            Button("Exit strategies", "https://www.investopedia.com/terms/e/exitstrategy.asp"),
        ),
    ),
}

PROMOS: dict[str, ContentDraft] = {
    "promo:premium-signals": ContentDraft(
        title="Premium Signals: 7 days free",
        body=(
            "Get every entry, stop-loss and take-profit the moment our analysts post "
            "it, with position sizes for your account. Try Premium free for 7 days."
        ),
        buttons=(Button("Start my free week"),),
        alert_text="Check your private messages: your free week is waiting.",
    ),
    "promo:auto-execute": ContentDraft(
        title="Auto-execute: never miss an entry",
        body=(
            "Connect your exchange account and let signals execute themselves, with "
            "your risk limits (max 2% per trade by default). You approve; we place "
            "the orders."
        ),
        buttons=(Button("Set up auto-execute"),),
        alert_text="We sent you the set-up link in a private message.",
    ),
    "promo:referral": ContentDraft(
        title="Invite a friend, both get a month",
        body=(
            "Share your referral link: when a friend subscribes, you both get one "
            "month of Premium. No limit on referrals."
        ),
        buttons=(Button("Get my referral link"),),
        alert_text="Your referral link is in your private messages.",
    ),
    "promo:live-webinar": ContentDraft(
        title="Live webinar: trading the weekly open",
        body=(
            "Every Sunday at 18:00 UTC our head analyst walks through the week ahead: "
            "key levels, the calendar, and the setups we are watching. Free for members."
        ),
        buttons=(Button("Reserve my seat"),),
        alert_text="You're in! We'll remind you an hour before.",
    ),
}


async def seed_content(db: Database, store: ContentStore) -> int:
    """Insert the defaults into a fresh install; returns how many were added.

    Replicas starting together may all find the install fresh: the store inserts the
    set in one transaction that only one of them can commit.
    """
    async with db.read() as conn:
        runs = await conn.scalar(select(func.count()).select_from(schedule_runs))
    if runs:
        return 0
    added = await store.seed(
        [
            (kind, key, draft)
            for kind, drafts in ((Kind.GUIDE, GUIDES), (Kind.PROMO, PROMOS))
            for key, draft in drafts.items()
        ]
    )
    if added:
        log.info("content_seeded", items=added)
    return added


async def bootstrap_schedules(settings: Settings, store: ScheduleStore) -> None:
    """Create the two default schedules, or bring them in line with the settings.

    Chats from the environment are added (those added by bot commands stay; a chat
    marked inactive stays inactive); the interval changes only when its variable is set,
    so a cadence changed through the API survives a restart.
    """
    demo = [SANDBOX_DEMO_CHAT] if posts_to_sandbox_demo(settings) else []
    for name, kind, configured, interval_field in (
        (GUIDES_SCHEDULE, ScheduleKind.GUIDES, settings.guide_chat_ids, "guide_interval_hours"),
        (PROMOS_SCHEDULE, ScheduleKind.PROMOS, settings.promo_chat_ids, "promo_interval_hours"),
    ):
        chats = [*configured, *demo]
        cadence = Cadence(interval_seconds=round(getattr(settings, interval_field) * 3600))
        existing = await store.get_by_name(name)
        if existing is None:
            spec = ScheduleSpec(name, kind, cadence, chat_ids=chats, post_on_start=True)
            try:
                await store.create(spec)
                log.info("schedule_created", schedule=name, chats=len(chats))
                continue
            except ScheduleExists:  # a replica starting at the same moment created it
                existing = await store.get_by_name(name)
                assert existing is not None
        for chat in chats:
            await store.add_chat(existing.id, chat, reactivate=False)
        if not demo and SANDBOX_DEMO_CHAT not in configured:
            await store.remove_chat(existing.id, SANDBOX_DEMO_CHAT)
        if interval_field in settings.model_fields_set and existing.cadence != cadence:
            await store.update(existing.id, ScheduleChanges(cadence=cadence))
            log.info("schedule_retimed", schedule=name, interval_seconds=cadence.interval_seconds)


def posts_to_sandbox_demo(settings: Settings) -> bool:
    """Dev mode with no bot token: Telegram is the sandbox, and nobody has a chat yet."""
    return settings.env is Environment.DEV and settings.telegram_bot_token is None


async def install_defaults(
    settings: Settings, db: Database, store: ContentStore, schedules: ScheduleStore
) -> None:
    """What ``herald migrate`` and ``herald serve`` do after the schema is current."""
    await seed_content(db, store)
    await bootstrap_schedules(settings, schedules)
