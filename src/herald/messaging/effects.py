"""What messaging does with outcomes: update addresses, count, and fall back.

This is the worker's observer. Address updates (a migrated group, a blocked bot,
an expired push subscription) happen right after the outcome is recorded; the
fallback to the next channel is driven from the database by the notifier, so the
periodic ``maintain`` catches up whatever a crash interrupted.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from herald.channel import Channel
from herald.channels.push import PushReason
from herald.channels.telegram import MIGRATED_TO_CHAT_ID, TelegramReason
from herald.messaging.campaign_finish import CampaignFinish
from herald.messaging.notifications import Notifier
from herald.messaging.recipients import Recipients
from herald.metrics import Metrics
from herald.queue import Outcome, Permanent, Result, RetryAfter, Sent, State
from herald.queue.policy import Decision

# Telegram reasons after which a recipient's chat is unreachable until they come back.
TELEGRAM_GONE = frozenset(
    {TelegramReason.BLOCKED, TelegramReason.KICKED, TelegramReason.DEACTIVATED}
)
log = structlog.get_logger("herald.messaging")


class MessagingEffects:
    def __init__(
        self,
        notifier: Notifier,
        recipients: Recipients,
        metrics: Metrics,
        campaigns: CampaignFinish | None = None,
    ) -> None:
        self._notifier = notifier
        self._recipients = recipients
        self._metrics = metrics
        self._campaigns = campaigns  # None: campaigns are not finished from here

    async def recorded(self, outcomes: Sequence[tuple[Result, Decision]]) -> None:
        sent: list[tuple[int, int]] = []
        dead: list[int] = []
        ended: set[int] = set()  # campaigns with a delivery that ended
        for result, decision in outcomes:
            await self._apply(result)
            nid = result.delivery.notification_id
            if nid is not None and decision.state is State.SENT:
                sent.append((nid, result.delivery.id))
            elif nid is not None and decision.state is State.DEAD:
                dead.append(nid)
            tag = result.delivery.campaign or ""
            if decision.finished and tag.isdigit():  # a campaign's, not a scheduled post's
                ended.add(int(tag))
        await self._notifier.delivered(sent)
        if dead:
            await self._notifier.advance(dead)
        if ended and self._campaigns is not None:
            await self._campaigns.soon(ended)

    async def maintain(self) -> None:
        await self._notifier.advance()
        if self._campaigns is not None:
            await self._campaigns.finish()

    async def _apply(self, result: Result) -> None:
        delivery, outcome = result.delivery, result.outcome
        if delivery.channel == Channel.TELEGRAM:
            await self._telegram(delivery.recipient, outcome)
        elif (
            delivery.channel == Channel.PUSH
            and isinstance(outcome, Permanent)
            and outcome.reason == PushReason.SUBSCRIPTION_EXPIRED
            and await self._recipients.forget_push_endpoint(delivery.recipient)
        ):
            self._metrics.push_subscription_expired.inc()

    async def _telegram(self, chat_id: str, outcome: Outcome) -> None:
        if isinstance(outcome, Sent):
            if moved_to := outcome.meta.get(MIGRATED_TO_CHAT_ID):
                await self._recipients.move_telegram_chat(chat_id, str(moved_to))
                log.info("telegram_chat_migrated", old=chat_id, new=str(moved_to))
            return
        error_type = "retry_after" if isinstance(outcome, RetryAfter) else outcome.reason
        self._metrics.telegram_api_errors.labels(error_type).inc()
        if isinstance(outcome, Permanent) and outcome.reason in TELEGRAM_GONE:
            await self._recipients.mark_telegram_unreachable(chat_id, outcome.reason)
