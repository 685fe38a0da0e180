"""Telegram's dispatch plan, built from the Telegram settings in one place.

Telegram counts 30 messages per bot in any sliding second, about 1 a second per private
chat and 20 a minute per group, and sells up to 1,000/s for paid broadcasts. Those are
limits on dispatch, so their plan is the worker's value (``ChannelPlan``) and is built
here, above the channels (a channel knows its wire, not how the worker paces it) and
below ``runtime.py``, which only wires it in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from herald.channels import Sender
from herald.channels.telegram import TelegramSender, messages_made
from herald.config import TelegramChannel
from herald.queue import Lane
from herald.worker.paid import PaidLanes
from herald.worker.plan import ChannelPlan
from herald.worker.ratelimit import RateLimit

# Telegram's own figures, the defaults of HERALD_TELEGRAM__PRIVATE_CHAT_PER_SECOND and
# __GROUP_PER_MINUTE.
PRIVATE_CHAT = RateLimit(per_second=1.0, burst=1)
GROUP = RateLimit(per_second=20 / 60, burst=1)


@dataclass(frozen=True, slots=True)
class TelegramChatLimits:
    """Telegram's per-chat limits: about 1 message/s to a private chat and 20/minute to a
    group or channel (negative ids, @channel names). Keys are "telegram:<chat id>".

    Both with a burst of 1: a bucket of burst b lets b - 1 more than its rate into a
    window (3 + 19 sends in a minute at 20/min with a burst of 3), and Telegram refuses
    the 21st."""

    private: RateLimit = PRIVATE_CHAT
    group: RateLimit = GROUP

    def for_key(self, key: str) -> RateLimit:
        chat = key.rsplit(":", 1)[-1]
        return self.group if chat.startswith(("-", "@")) else self.private


def telegram_plan(settings: TelegramChannel, sender: Sender, bot: str | None) -> ChannelPlan:
    """The bot's bucket, its sliding second, the per-chat limits and, for a real bot
    (``bot``: a secret-free name of its token), the one-dispatcher-per-bot lease and
    the paid lanes."""
    paid = _paid_lanes(settings, sender, bot)
    return ChannelPlan(
        sender,
        rate=RateLimit(settings.rate_per_second, settings.burst),
        concurrency=telegram_concurrency(settings) if paid else settings.concurrency,
        window=int(settings.rate_per_second),  # Telegram counts per bot in any second
        key_limits=TelegramChatLimits(
            private=RateLimit(settings.private_chat_per_second, 1),
            group=RateLimit(settings.group_per_minute / 60, 1),
        ),
        messages=messages_made,  # an album is a message per file
        # One dispatcher per bot token across all processes, so the limits hold.
        exclusive=f"telegram:{bot}" if bot is not None else None,
        paid=paid,
    )


def telegram_concurrency(settings: TelegramChannel) -> int:
    """Telegram sends in flight: 1,000 paid sends/s at Telegram's ~100 ms round trip need
    about 100 at once, so with paid lanes an unset concurrency becomes a fifth of the
    paid rate (200 at 1,000/s) instead of 32."""
    if not settings.paid_broadcast or "concurrency" in settings.model_fields_set:
        return settings.concurrency
    return max(settings.concurrency, math.ceil(settings.paid_rate_per_second / 5))


def _paid_lanes(settings: TelegramChannel, sender: Sender, bot: str | None) -> PaidLanes | None:
    """Telegram's paid broadcast lanes, when configured and Telegram is not a sandbox."""
    if not settings.paid_broadcast or bot is None or not isinstance(sender, TelegramSender):
        return None
    rate = settings.paid_rate_per_second
    return PaidLanes(
        lanes=frozenset(Lane.parse(lane) for lane in settings.paid_broadcast),
        # A tenth of a second's worth at once; the window holds any second to the rate.
        rate=RateLimit(rate, max(1, int(rate / 10))),
        max_per_day=settings.paid_max_per_day,
        budget_name=f"telegram-paid:{bot}",
        sender=sender.paid(),
    )
