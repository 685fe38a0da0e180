"""structlog set-up: JSON lines in production, a readable console in development.

The standard library's loggers (uvicorn, alembic, asyncio) are routed through the
same processors, so a production log is JSON from end to end.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog
from structlog.typing import EventDict, Processor

from herald.config import LogFormat, Settings

# Never let these reach a log line, whatever a caller binds.
_REDACTED_KEYS = frozenset(
    {"password", "secret", "secret_key", "token", "api_token", "authorization", "bot_token"}
)


# A Telegram bot token anywhere in a value (httpx logs request URLs that contain it).
_BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")


def _redact(_logger: object, _name: str, event: EventDict) -> EventDict:
    for key, value in event.items():
        if key in _REDACTED_KEYS:
            event[key] = "***"
        elif isinstance(value, str) and ":" in value:
            event[key] = _BOT_TOKEN.sub("<bot-token>", value)
    return event


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now, not what it was at set-up."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level.value)
    as_json = settings.effective_log_format is LogFormat.JSON
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else structlog.dev.set_exc_info,
            renderer,
        ],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Request-per-line chatter; httpx's lines also carry URLs with the bot token.
    for name in ("alembic", "httpx", "httpcore", "telegram", "aiosmtplib"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
