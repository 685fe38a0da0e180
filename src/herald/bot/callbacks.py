"""Presses of tracked CTA buttons (callback queries): stored, then answered; and of the
unsubscribe button under campaign DMs (bot/opt_out.py).

The callback data is verified before anything is believed (Telegram clients can send
any data they like); a forged or malformed one is counted and answered politely.
Every query is answered at once, so the user's client stops its spinner: with the
promo's alert text, or, for a CTA with an offer link, with a deep link to the bot
(``https://t.me/<bot>?start=<signed payload>``) whose /start sends the offer privately.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import structlog

from herald.auth.recipient_links import BUTTON_PREFIX
from herald.bot.opt_out import TelegramOptOut
from herald.channels.telegram.errors import TelegramCallError
from herald.clock import Clock
from herald.metrics import Metrics
from herald.scheduling.content import Kind
from herald.tracking.clicks import ClickStore, NewClick
from herald.tracking.signing import Click, Signer
from herald.tracking.targets import Targets, label

DEFAULT_ANSWER = "Thanks! We'll be in touch."
REJECTED_ANSWER = "Sorry, this button is no longer valid."
KEPT = ("id", "chat_instance", "data", "inline_message_id", "game_short_name")
log = structlog.get_logger("herald.bot")


class BotIdentity(Protocol):
    async def username(self) -> str: ...


class CallbackAnswerer(Protocol):
    async def answer_callback(
        self,
        callback_query_id: str,
        *,
        text: str | None = None,
        url: str | None = None,
        show_alert: bool = False,
    ) -> None: ...


class SandboxBot:
    """The bot of the sandbox inbox, where presses come from the dashboard: its answers
    go back on the page (``handle(..., answers=...)``); deep links name this username."""

    USERNAME = "herald_sandbox_bot"

    async def username(self) -> str:
        return self.USERNAME


class Callbacks:
    def __init__(
        self,
        signer: Signer,
        targets: Targets,
        clicks: ClickStore,
        answerer: CallbackAnswerer | None,  # None: answers only into ``answers``
        identity: BotIdentity,
        metrics: Metrics,
        clock: Clock,
        opt_out: TelegramOptOut | None = None,
    ) -> None:
        """``opt_out``: presses of the unsubscribe button under campaign DMs."""
        self._opt_out = opt_out
        self._signer = signer
        self._targets = targets
        self._clicks = clicks
        self._answerer = answerer
        self._identity = identity
        self._metrics = metrics
        self._clock = clock

    async def handle(
        self, query: Mapping[str, Any], answers: list[dict[str, Any]] | None = None
    ) -> str:
        """Store and answer the query; returns what it was: clicked, rejected, unknown.

        With ``answers`` (the webhook), the answerCallbackQuery parameters are appended
        there instead of sent: the webhook's HTTP response carries the call, as the Bot
        API allows, which costs no request of our own per press.
        """
        query_id = str(query.get("id") or "")
        data = query.get("data")
        if self._opt_out is not None and isinstance(data, str) and data.startswith(BUTTON_PREFIX):
            answer = await self._opt_out.press(data)
            if answer is not None:
                await self._answer(query_id, answers, text=answer)
                return "unsubscribed"
        click = self._signer.verify(data) if isinstance(data, str) else None
        if click is None:
            self._metrics.callbacks_rejected.inc()
            log.warning("callback_rejected", reason="bad_signature_or_format")
            await self._answer(query_id, answers, text=REJECTED_ANSWER)
            return "rejected"
        promo = await self._targets.content(click.promo_id)
        if promo is None or promo.kind is not Kind.PROMO or click.cta >= len(promo.buttons):
            await self._answer(query_id, answers, text=REJECTED_ANSWER)
            return "unknown"
        button = promo.buttons[click.cta]
        sender, message = _object(query.get("from")), _object(query.get("message"))
        chat = _object(message.get("chat"))
        await self._clicks.record(
            NewClick(
                source="callback",
                clicked_at=self._clock.now(),
                promo_id=promo.id,
                cta=click.cta,
                cta_text=label(promo, click.cta, click.variant),
                telegram_user_id=_int(sender.get("id")),
                username=_str(sender.get("username"), 64),
                chat_id=str(chat["id"]) if _int(chat.get("id")) is not None else None,
                message_id=_int(message.get("message_id")),
                meta={k: v for k in KEPT if (v := _str(query.get(k), 256)) is not None},
                variant=click.variant,
            )
        )
        link = await self._deep_link(click) if button.url is not None else None
        await self._answer(query_id, answers, text=promo.alert_text or DEFAULT_ANSWER, url=link)
        return "clicked"

    async def _deep_link(self, click: Click) -> str | None:
        try:
            username = await self._identity.username()
        except TelegramCallError as exc:
            log.warning("telegram_get_me_failed", error=str(exc))
            return None
        payload = self._signer.start_payload(click.promo_id, click.cta, click.variant)
        return f"https://t.me/{username}?start={payload}"

    async def _answer(
        self,
        query_id: str,
        answers: list[dict[str, Any]] | None,
        *,
        text: str | None = None,
        url: str | None = None,
    ) -> None:
        if not query_id:
            return
        if answers is not None:
            shown = {"url": url} if url is not None else {"text": text}
            answers.append({"callback_query_id": query_id, **shown})
            return
        if self._answerer is None:
            return
        try:
            await self._answerer.answer_callback(
                query_id, text=text if url is None else None, url=url
            )
        except TelegramCallError as exc:  # too old, or Telegram is away: nothing to retry
            log.warning("callback_answer_failed", error=str(exc))


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# What is stored from a press must be what the database takes: the clicks are written
# in batches, and a row it refused would fail its batch and every batch after it.
def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    return None


def _str(value: object, limit: int) -> str | None:
    if not isinstance(value, str) or "\x00" in value:  # PostgreSQL text takes no NUL
        return None
    try:
        value[:limit].encode()
    except UnicodeEncodeError:  # a lone surrogate, which JSON escapes can carry
        return None
    return value[:limit]
