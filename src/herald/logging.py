"""structlog set-up: JSON lines in production, a readable console in development."""

from __future__ import annotations

import logging
import sys

import structlog

from herald.config import LogFormat, Settings

# Never let these reach a log line, whatever a caller binds.
_REDACTED_KEYS = frozenset(
    {"password", "secret", "secret_key", "token", "api_token", "authorization"}
)


def _redact(
    _logger: object, _name: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    for key in event.keys() & _REDACTED_KEYS:
        event[key] = "***"
    return event


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level.value)
    json = settings.effective_log_format is LogFormat.JSON
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info if json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Route the standard library's loggers (uvicorn, alembic) through the same level.
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
