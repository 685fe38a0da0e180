"""One Telegram update in, the right handler called; nothing an update holds can crash it.

Both delivery paths (long polling and the webhook) hand raw JSON objects here. An
update that is malformed or of no interest is counted and logged, never raised: the
webhook answers 200 whatever happens, so Telegram does not retry it forever.
"""

from __future__ import annotations

from typing import Any

import structlog

from herald.bot.callbacks import BotIdentity, Callbacks
from herald.bot.commands import Command, Commands
from herald.bot.joins import Joins
from herald.bot.membership import Membership
from herald.metrics import Metrics

log = structlog.get_logger("herald.bot")


class UpdateHandler:
    def __init__(
        self,
        commands: Commands,
        callbacks: Callbacks,
        identity: BotIdentity,
        metrics: Metrics,
        *,
        membership: Membership | None = None,
        joins: Joins | None = None,
    ) -> None:
        self._commands = commands
        self._callbacks = callbacks
        self._identity = identity
        self._metrics = metrics
        self._membership = membership
        self._joins = joins

    async def handle(self, update: Any, answers: list[dict[str, Any]] | None = None) -> str:
        """What the update was handled as: command, callback, my_chat_member, or
        ignored:<reason>.

        ``answers``: see ``Callbacks.handle`` (the webhook answers presses inline).
        """
        try:
            return await self._dispatch(update, answers)
        except Exception as exc:
            update_id = update.get("update_id") if isinstance(update, dict) else None
            log.error(
                "telegram_update_failed",
                update_id=update_id,
                error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
            return self._ignored("handler_error")

    async def _dispatch(self, update: Any, answers: list[dict[str, Any]] | None) -> str:
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return self._ignored("malformed")
        if isinstance(query := update.get("callback_query"), dict):
            return f"callback:{await self._callbacks.handle(query, answers)}"
        if isinstance(changed := update.get("my_chat_member"), dict) and self._membership:
            meant = await self._membership.handle(changed)
            return self._ignored(meant) if meant == "malformed" else f"my_chat_member:{meant}"
        if isinstance(changed := update.get("chat_member"), dict) and self._joins:
            meant = await self._joins.handle(changed)
            return self._ignored(meant) if meant == "not_a_join" else f"chat_member:{meant}"
        message = update.get("message") or update.get("channel_post")
        if not isinstance(message, dict):
            return self._ignored("unsupported")
        try:
            username = await self._identity.username()
        except Exception:  # Telegram is away: commands addressed to us still work
            username = ""
        command = Command.parse(message, username)
        if command is None:
            return self._ignored("not_a_command")
        reply = await self._commands.handle(command)
        if reply is None:
            return self._ignored("unknown_command")
        log.info("bot_command", command=command.name, chat_id=command.chat_id)
        return f"command:{command.name}"

    def _ignored(self, reason: str) -> str:
        self._metrics.updates_ignored.labels(reason).inc()
        log.info("telegram_update_ignored", reason=reason)
        return f"ignored:{reason}"
