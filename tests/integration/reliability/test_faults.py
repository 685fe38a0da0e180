"""Provider faults (issue 7, item 2): a soak of the worker against a faulty Bot API.

The fake server answers 5xx, hangs past the client's timeout (before and after it has
processed the message), floods with 429s whose ``retry_after`` it then enforces, and
refuses a few blocked chats, at seeded rates, while enforcing Telegram's own limits.
Everything runs for real over loopback in real time: a PostgreSQL queue, the worker
in-process with the production wiring (``Runtime.worker()``), the real TelegramSender.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from herald.channels.telegram import TelegramSender
from herald.config import load_settings
from herald.db import migrate
from herald.queue import DeliveryFilter, Lane, NewDelivery, State, admin
from herald.runtime import Runtime
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import PostgresServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

PRIVATE = [str(1001 + i) for i in range(155)]
GROUPS = [str(-1_001_000_000_001 - i) for i in range(20)]
BLOCKED = [str(9001 + i) for i in range(5)]
PER_CHAT = 3
CLIENT_TIMEOUT = 2.0  # the sender's request timeout; hanging answers sleep past it
SOAK_LIMIT = 60.0


def fake_server() -> FakeTelegram:
    return FakeTelegram(
        seed=2026,
        enforce_limits=True,  # Telegram's 30/s per bot, 1/s per chat, 20/min per group
        enforce_retry_after=True,
        server_error_rate=0.10,
        server_error_statuses=(500, 502),
        timeout_rate=0.03,  # hangs before processing: not delivered
        lost_reply_rate=0.02,  # delivered, answer lost: the retry is a duplicate
        flood_rate=0.01,
        flood_retry_after=(1, 2),
        timeout_delay=CLIENT_TIMEOUT + 2.0,
        blocked_chats=set(BLOCKED),
    )


async def test_every_reachable_message_arrives_despite_provider_faults(
    postgres_server: PostgresServer,
) -> None:
    tg = fake_server()
    await tg.start()
    settings = load_settings(
        env="dev",
        database_url=postgres_server.create_database("herald_soak_faults"),
        telegram_bot_token=tg.token,
        telegram_api_url=tg.url,
        telegram_updates="off",
        poll_interval_seconds=0.2,
        # Small backoff so retries come back within the soak; enough attempts that no
        # run of transient faults (15% of answers) can exhaust them.
        telegram={"max_attempts": 12, "backoff_base_seconds": 0.25, "backoff_max_seconds": 1.0},
    )
    # Settings have no request timeout for Telegram (the sender's default is 10 s), so
    # the runtime gets the same sender with a short one.
    sender = TelegramSender(tg.token, api_url=tg.url, request_timeout=CLIENT_TIMEOUT)
    runtime = Runtime.build(settings, senders={"telegram": sender})
    texts: dict[str, str] = {}  # text -> chat
    try:
        await migrate.upgrade(runtime.db)
        chats = PRIVATE + GROUPS + BLOCKED
        batch: list[NewDelivery] = []
        for _ in range(PER_CHAT):
            for chat in chats:
                text = f"soak {len(batch)}"  # unique, and no MarkdownV2 to escape
                texts[text] = chat
                batch.append(NewDelivery("telegram", chat, {"text": text}, lane=Lane.CAMPAIGN))
        await runtime.queue.enqueue_many(batch)

        stop = asyncio.Event()
        started = time.monotonic()
        worker = asyncio.create_task(runtime.worker().run(stop))
        try:
            while time.monotonic() - started < SOAK_LIMIT:
                stats = await admin.stats(runtime.queue)
                if stats.total(State.SENT) + stats.total(State.DEAD) == len(batch):
                    break
                assert not worker.done(), worker
                await asyncio.sleep(0.2)
            duration = time.monotonic() - started
        finally:
            stop.set()
            await worker
        rows = await admin.list_deliveries(runtime.queue, DeliveryFilter(), limit=10_000)
    finally:
        await runtime.close()
        await tg.stop()

    sends = tg.requests_for("sendMessage")
    delivered = Counter(m["text"] for m in tg.messages)
    hung = Counter(r.params["text"] for r in sends if r.fault in ("timeout", "lost_reply"))
    answered_429 = sum(1 for r in sends if r.status == 429)
    metric = runtime.metrics.registry.get_sample_value
    fail = {
        reason: metric("message_fail_total", {"channel": "telegram", "reason": reason})
        for reason in ("retry_after", "server_error", "timeout", "blocked")
    }
    retried_after = metric(
        "herald_deliveries_retried_total",
        {"channel": "telegram", "lane": "campaign", "reason": "retry_after"},
    )
    duplicates = sum(n - 1 for n in delivered.values())
    figures = {
        "messages": len(texts),
        "chats": len(chats),
        "sendMessage requests": len(sends),
        "5xx injected": tg.faults["server_error"],
        "timeouts injected (not processed)": tg.faults["timeout"],
        "timeouts injected (processed, answer lost)": tg.faults["lost_reply"],
        "429 injected": tg.faults["flood"],
        "429 from Telegram's limits": tg.rate_limit_violations,
        "429 answered in all": answered_429,
        "429 counted by herald": fail["retry_after"],
        "retry_after violations": len(tg.retry_after_violations),
        "dead letters": sum(1 for d in rows if d.state is State.DEAD),
        "duplicates": duplicates,
        "duration s": round(duration, 1),
    }
    print("\nprovider-fault soak:", figures)

    assert len(rows) == len(texts) == len(chats) * PER_CHAT
    assert duration < SOAK_LIMIT, figures
    # Every message to a reachable chat was delivered, at least once, and is `sent`.
    reachable = {text for text, chat in texts.items() if chat not in BLOCKED}
    assert {text for text in reachable if delivered[text] == 0} == set()
    assert all(d.state is State.SENT for d in rows if d.recipient not in BLOCKED)
    # A copy beyond the first comes only from an attempt of that very message whose
    # answer never arrived (Telegram may have processed it): at-least-once, bounded.
    assert all(n - 1 <= hung[text] for text, n in delivered.items()), figures
    assert duplicates <= tg.faults["lost_reply"] + tg.faults["timeout"]
    # Dead letters are exactly the blocked chats' messages, each for being blocked.
    dead = [d for d in rows if d.state is State.DEAD]
    assert sorted(d.recipient for d in dead) == sorted(BLOCKED * PER_CHAT)
    assert all("blocked by the user" in (d.last_error or "") for d in dead)
    assert not any(texts[text] in BLOCKED for text in delivered)
    # No request ever reached a chat before a 429's retry_after had passed.
    assert tg.retry_after_violations == [], tg.retry_after_violations[:5]
    # The limiter keeps 429s of its own making rare; every 429 is counted, twice over.
    assert tg.rate_limit_violations <= 0.02 * len(sends), figures
    assert answered_429 >= tg.faults["flood"] > 0
    assert fail["retry_after"] == retried_after == answered_429
    # The faults were really met, and the metrics saw each of them.
    assert tg.faults["server_error"] > 0 and tg.faults["timeout"] > 0
    assert tg.faults["lost_reply"] > 0
    assert fail["server_error"] == tg.faults["server_error"]
    assert fail["timeout"] == tg.faults["timeout"] + tg.faults["lost_reply"]
    assert fail["blocked"] == len(BLOCKED) * PER_CHAT
