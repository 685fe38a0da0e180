"""Presses of tracked CTA buttons (callback queries).

The callback data is verified before anything is believed (Telegram clients can send
any data they like); a forged or malformed one is counted and answered politely. Every
query is answered, promptly, so the user's client stops its spinner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import structlog

from herald.channels.telegram.errors import TelegramCallError
from herald.metrics import Metrics
from herald.scheduling.content import ContentStore, Kind
from herald.tracking.signing import CallbackSigner

DEFAULT_ANSWER = "Thanks! We'll be in touch."
REJECTED_ANSWER = "Sorry, this button is no longer valid."
log = structlog.get_logger("herald.bot")


class CallbackAnswerer(Protocol):
    async def answer_callback(
        self,
        callback_query_id: str,
        *,
        text: str | None = None,
        url: str | None = None,
        show_alert: bool = False,
    ) -> None: ...


class Callbacks:
    def __init__(
        self,
        signer: CallbackSigner,
        content: ContentStore,
        answerer: CallbackAnswerer,
        metrics: Metrics,
    ) -> None:
        self._signer = signer
        self._content = content
        self._answerer = answerer
        self._metrics = metrics

    async def handle(self, query: Mapping[str, Any]) -> str:
        """Answer the query; returns what it was: clicked, rejected or unknown_promo."""
        query_id = str(query.get("id") or "")
        data = query.get("data")
        click = self._signer.verify(data) if isinstance(data, str) else None
        if click is None:
            self._metrics.callbacks_rejected.inc()
            log.warning("callback_rejected", reason="bad_signature_or_format")
            await self._answer(query_id, REJECTED_ANSWER)
            return "rejected"
        promo = await self._content.get(click.promo_id, Kind.PROMO)
        if promo is None or click.cta >= len(promo.buttons):
            await self._answer(query_id, REJECTED_ANSWER)
            return "unknown_promo"
        await self._answer(query_id, promo.alert_text or DEFAULT_ANSWER)
        return "clicked"

    async def _answer(self, query_id: str, text: str) -> None:
        if not query_id:
            return
        try:
            await self._answerer.answer_callback(query_id, text=text)
        except TelegramCallError as exc:  # too old, or Telegram is away: nothing to retry
            log.warning("callback_answer_failed", error=str(exc))
