"""herald's one settings class.

Built once by the application factory or the CLI and passed down; nothing reads
the environment at import time, so tests build their own ``Settings`` freely.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from herald.channel import Channel

DEV_SECRET_KEY = "herald-dev-secret-key-not-for-production"
# Values that people paste from examples; refusing them in prod is the point.
PLACEHOLDER_SECRET_KEYS = frozenset(
    {"", DEV_SECRET_KEY, "change-me", "changeme", "secret", "your-secret-key", "xxx"}
)
MIN_PROD_SECRET_LENGTH = 32

ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


_CHAT_ID = re.compile(r"-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,31}")


def parse_chat_ids(value: object) -> list[str]:
    """Chat ids from a JSON list or a comma-separated string, as the platform accepted.

    Ids stay strings: a channel may be addressed as ``@name``, and a supergroup id
    (-100...) does not fit every client's integers.
    """
    items: object = value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a valid JSON list ({exc.msg})") from None
        else:
            items = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(items, list | tuple):
        raise ValueError("expected a JSON list or comma-separated chat ids")
    ids: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ValueError(f"{item!r} is not a chat id")
        chat = str(item).strip()
        if not _CHAT_ID.fullmatch(chat):
            raise ValueError(f"{chat!r} is not a chat id (a number such as -1001234 or @name)")
        if chat not in ids:
            ids.append(chat)
    return ids


def parse_user_ids(value: object) -> list[int]:
    ids = parse_chat_ids(value)
    bad = [i for i in ids if not i.lstrip("-").isdigit()]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a numeric Telegram user id")
    return [int(i) for i in ids]


ChatIds = Annotated[list[str], NoDecode]
UserIds = Annotated[list[int], NoDecode]


class Environment(StrEnum):
    DEV = "dev"
    PROD = "prod"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class ChannelSettings(BaseModel):
    """Per-channel dispatch policy: how fast, how many at once, how to retry."""

    rate_per_second: Annotated[float, Field(gt=0)] = Field(
        30.0,
        description="Sends per second (a token bucket; Telegram: also a sliding 1 s window).",
    )
    burst: Annotated[int, Field(ge=1)] = Field(30, description="Token bucket size.")
    concurrency: Annotated[int, Field(ge=1)] = Field(
        32, description="Sends in flight at once per channel per worker."
    )
    max_attempts: Annotated[int, Field(ge=1, le=100)] = Field(
        5, description="Attempts before a transient failure becomes a dead letter."
    )
    backoff_base_seconds: Annotated[float, Field(gt=0)] = Field(
        1.0, description="First retry delay; doubles each time (1, 2, 4, 8 s)."
    )
    backoff_max_seconds: Annotated[float, Field(gt=0)] = Field(
        300.0, description="Cap on the retry delay."
    )
    backoff_jitter: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.1, description="+/- fraction of random jitter on each delay."
    )


# One subclass per channel, so setting one field (HERALD_EMAIL__MAX_ATTEMPTS) keeps
# that channel's own defaults for the others.
class TelegramChannel(ChannelSettings):
    # The bucket paces; a sliding window of rate_per_second sends in any second (the
    # way Telegram counts) keeps a burst from ever passing the limit.
    rate_per_second: Annotated[float, Field(gt=0)] = 30.0
    burst: Annotated[int, Field(ge=1)] = 3
    # Twice the others': with limits raised, a claim of sixteen or more rows at a time
    # (worker: a busy channel claims again at a quarter of its slots) costs less per send.
    concurrency: Annotated[int, Field(ge=1)] = 64
    private_chat_per_second: Annotated[float, Field(gt=0)] = Field(
        1.0, description="Messages per second to one private chat (Telegram: about 1)."
    )
    group_per_minute: Annotated[float, Field(gt=0)] = Field(
        20.0, description="Messages per minute to one group or channel (Telegram: 20)."
    )
    paid_broadcast: Annotated[list[Literal["transactional", "campaign"]], NoDecode] = Field(
        default_factory=list,
        description="Lanes sent with allow_paid_broadcast (Telegram Stars; see "
        "docs/operations.md): `transactional`, `campaign` (JSON or a,b); empty is off.",
    )
    paid_rate_per_second: Annotated[float, Field(gt=0, le=1000)] = Field(
        1000.0, description="Sends per second of the paid lanes (Telegram allows up to 1,000)."
    )
    paid_max_per_day: Annotated[int, Field(ge=0)] = Field(
        0,
        description="Paid messages per UTC day, counted in the database; when spent, the "
        "paid lanes fall back to the free limits until midnight UTC. 0: no cap.",
    )

    @field_validator("paid_broadcast", mode="before")
    @classmethod
    def _lanes(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    return json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"not a valid JSON list ({exc.msg})") from None
            return [part.strip().lower() for part in text.split(",") if part.strip()]
        return value


# Email's and push's rates protect the operator's providers (an SMTP relay's sending
# quota, a push service's tolerance), not herald's speed: raise them to what the
# provider allows (docs/operations.md).
class EmailChannel(ChannelSettings):
    rate_per_second: Annotated[float, Field(gt=0)] = 10.0
    burst: Annotated[int, Field(ge=1)] = 10
    connections: Annotated[int, Field(ge=1, le=1000)] = Field(
        4,
        description="SMTP connections kept open and sending in parallel (relays cap "
        "these per client; each carries one message at a time).",
    )
    messages_per_connection: Annotated[int, Field(ge=1)] = Field(
        100, description="Messages sent on one SMTP connection before it is renewed."
    )


class PushChannel(ChannelSettings):
    rate_per_second: Annotated[float, Field(gt=0)] = 100.0
    burst: Annotated[int, Field(ge=1)] = 100
    connections: Annotated[int, Field(ge=1, le=10000)] = Field(
        100, description="HTTP connections to push services, shared by all sends, kept alive."
    )


class WebhookSettings(BaseModel):
    """The webhook endpoints' rules and the ``webhook`` channel's pace (docs/webhooks.md).
    Retries follow the Standard Webhooks schedule, fixed: at once, 5 s, 5 min, 30 min,
    2 h, 5 h, 10 h, 10 h, then a dead letter."""

    allow_private_networks: bool = Field(
        False,
        description="Let endpoints resolve to loopback, private, link-local or metadata "
        "addresses, and use http:// (tests, private deployments); off, such URLs are "
        "refused when registered and again at every send.",
    )
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = Field(
        10.0, description="How long one request to an endpoint may take, answer included."
    )
    rate_per_second: Annotated[float, Field(gt=0)] = Field(
        200.0, description="Webhook requests per second, all endpoints together (a bucket)."
    )
    burst: Annotated[int, Field(ge=1)] = Field(200, description="Token bucket size.")
    concurrency: Annotated[int, Field(ge=1)] = Field(
        64, description="Webhook requests in flight at once per worker."
    )
    endpoint_concurrency: Annotated[int, Field(ge=1)] = Field(
        4,
        description="Requests in flight at once to one endpoint, per worker: a slow "
        "endpoint holds at most this many of the channel's slots (unless the endpoint "
        "has its own max_in_flight).",
    )
    endpoint_rate_per_second: Annotated[float, Field(gt=0)] = Field(
        20.0,
        description="Requests per second to one endpoint, per worker (a bucket; unless "
        "the endpoint has its own rate_per_second).",
    )
    endpoint_burst: Annotated[int, Field(ge=1)] = Field(
        10, description="The per-endpoint bucket's size: requests at once after a pause."
    )
    connections: Annotated[int, Field(ge=1, le=10000)] = Field(
        100, description="HTTP connections to endpoints, shared by all sends, kept alive."
    )
    fanout_interval_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        0.5, description="How often the outbox is read for events to queue to endpoints."
    )


class AudienceSettings(BaseModel):
    """Quiet hours and daily caps for campaign messages (docs/preferences.md)."""

    default_timezone: str = Field(
        "UTC", description="The time zone of recipients who set none (an IANA name)."
    )
    quiet_hours: str | None = Field(
        None,
        pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
        description="The quiet window of recipients who set none, local `HH:MM-HH:MM` "
        "(`22:00-07:00` crosses midnight); unset: none. Campaign messages due inside it "
        "wait for its end.",
    )
    daily_cap: Annotated[int, Field(ge=0)] | None = Field(
        None,
        description="Most campaign messages one recipient gets per channel per local day; "
        "unset: no cap. A category's own `daily_cap` overrides it for its messages.",
    )
    over_cap: Literal["defer", "skip"] = Field(
        "defer",
        description="What happens to a message beyond the cap: `defer` to the recipient's "
        "next midnight, or `skip` (a terminal state with the reason).",
    )

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/London)") from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None and value[:5] == value[6:]:
            raise ValueError("the window's start and end must differ")
        return value


def normalize_database_url(url: str) -> str:
    """Accept plain ``sqlite:///`` / ``postgresql://`` URLs and pick the async driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL ({exc})") from None
    if parsed.drivername in ASYNC_DRIVERS:
        parsed = parsed.set(drivername=ASYNC_DRIVERS[parsed.drivername])
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError(f"driver {parsed.drivername!r} is not async: use aiosqlite or asyncpg")
    return parsed.render_as_string(hide_password=False)


# Old variable (as a Settings field) -> the variable that replaced it. An operator who
# set the old one is told at start, in one line, instead of having it silently ignored.
MOVED = {
    "telegram_private_chat_per_second": "HERALD_TELEGRAM__PRIVATE_CHAT_PER_SECOND",
    "telegram_group_per_minute": "HERALD_TELEGRAM__GROUP_PER_MINUTE",
}
Moved = Annotated[object, Field(exclude=True, description="Moved (see MOVED).")]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HERALD_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    env: Environment = Field(Environment.PROD, description="`dev` or `prod`.")
    database_url: str = Field(
        "sqlite+aiosqlite:///herald.db",
        description="SQLAlchemy URL; sqlite:// and postgresql:// get the async driver.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""), description="Signs links and callback data. Required in prod."
    )
    log_level: LogLevel = Field(
        LogLevel.INFO, description="DEBUG, INFO, WARNING, ERROR or CRITICAL (any case)."
    )
    log_format: LogFormat | None = Field(
        None, description="`json` or `console`; defaults to console in dev, json in prod."
    )

    host: str = Field("127.0.0.1", description="Where `herald serve` listens (with HERALD_PORT).")
    port: Annotated[int, Field(ge=1, le=65535)] = Field(
        8000, description="Where `herald serve` listens (with HERALD_HOST)."
    )

    lease_seconds: Annotated[float, Field(gt=0)] = Field(
        60.0, description="A claim's lease; extended every third of it while a send runs."
    )
    poll_interval_seconds: Annotated[float, Field(gt=0)] = Field(
        1.0, description="Idle polling of the queue (wake-ups usually come sooner)."
    )
    claim_batch_size: Annotated[int, Field(ge=1, le=5000)] = Field(
        200, description="Most deliveries one claim takes."
    )
    enqueue_chunk_size: Annotated[int, Field(ge=1, le=2000)] = Field(
        1000, description="Rows per multi-row INSERT in bulk enqueue."
    )
    retention_days: Annotated[float, Field(gt=0)] = Field(
        30.0, description="Sent deliveries are pruned after this; dead letters are kept."
    )
    shutdown_grace_seconds: Annotated[float, Field(ge=0)] = Field(
        10.0, description="How long in-flight sends may finish on SIGTERM before they are released."
    )
    sqlite_busy_timeout_ms: Annotated[int, Field(ge=0)] = Field(
        10_000, description="SQLite busy timeout."
    )

    telegram_bot_token: SecretStr | None = Field(
        None, description="Bot API token; unset puts Telegram in the sandbox."
    )
    telegram_api_url: str = Field(
        "https://api.telegram.org", description="Bot API base; requests go to {url}/bot{token}/."
    )
    smtp_host: str | None = Field(None, description="SMTP server; unset puts email in the sandbox.")
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = Field(587, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP AUTH user name.")
    smtp_password: SecretStr | None = Field(None, description="SMTP AUTH password; never logged.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="`starttls`, `tls` (implicit) or `none`."
    )
    email_from: str = Field("herald <herald@localhost>", description="From: of every email.")
    email_campaign_cap_per_hour: Annotated[int, Field(ge=1)] = Field(
        10, description="Most campaign emails one address gets per hour (transactional: no cap)."
    )
    vapid_private_key: SecretStr | None = Field(
        None, description="Web-push VAPID private key (base64url); unset puts push in the sandbox."
    )
    vapid_public_key: str | None = Field(None, description="The matching public key.")
    vapid_subject: str = Field(
        "mailto:admin@localhost", description="VAPID `sub`: a mailto: or https: contact."
    )
    push_allow_http_endpoints: bool = Field(
        False, description="Accept http:// push endpoints (only for a local push service)."
    )
    media_allow_private_urls: bool = Field(
        False,
        description="Let media be registered by URLs on loopback, private or link-local "
        "addresses (herald fetches them; off, it fetches public addresses only).",
    )
    templates_dir: Path | None = Field(
        None, description="Directory of extra templates (override the built-in ones)."
    )
    default_locale: str = Field("en", description="Locale that other locales fall back to.")

    public_url: str | None = Field(
        None,
        description="Where herald is reached from outside (tracked links, webhook, "
        "unsubscribe and preference links; https for one-click unsubscribe).",
    )
    telegram_updates: Literal["polling", "webhook", "off"] | None = Field(
        None, description="How bot updates arrive; polling when a bot token is set, else off."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="X-Telegram-Bot-Api-Secret-Token the webhook requires."
    )
    telegram_admin_ids: UserIds = Field(
        default_factory=list,
        description="Telegram user ids allowed to run bot commands in any chat.",
    )
    guide_chat_ids: ChatIds = Field(
        default_factory=list, description="Chats of the default guide schedule (JSON or a,b)."
    )
    promo_chat_ids: ChatIds = Field(
        default_factory=list, description="Chats of the default promo schedule (JSON or a,b)."
    )
    guide_interval_hours: Annotated[float, Field(gt=0, le=24 * 366)] = Field(
        4.0, description="Cadence of the default `guides` schedule; applied at start only when set."
    )
    promo_interval_hours: Annotated[float, Field(gt=0, le=24 * 366)] = Field(
        4.0, description="Cadence of the default `promos` schedule; applied at start only when set."
    )
    schedule_grace_seconds: Annotated[float, Field(ge=0)] = Field(
        3600.0, description="A slot missed by at most this much is posted late, else skipped."
    )
    schedule_sync_seconds: Annotated[float, Field(gt=0)] = Field(
        10.0, description="How often serve re-reads schedules that other processes changed."
    )
    dashboard_session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = Field(
        12.0, description="How long a dashboard sign-in lasts (revoking the key ends it sooner)."
    )
    login_attempts_per_minute: Annotated[float, Field(gt=0)] = Field(
        10.0, description="Dashboard sign-ins allowed per client address and minute (brute force)."
    )
    redirect_requests_per_second: Annotated[float, Field(ge=0)] = Field(
        50.0,
        description="Tracked-link (/r/) requests allowed per client address and second, "
        "sustained; 0 turns the limit off.",
    )
    redirect_burst: Annotated[int, Field(ge=1)] = Field(
        500,
        description="Tracked-link requests one client address may make at once before the "
        "per-second rate applies.",
    )

    telegram: TelegramChannel = TelegramChannel()
    email: EmailChannel = EmailChannel()
    push: PushChannel = PushChannel()
    webhooks: WebhookSettings = WebhookSettings()
    audience: AudienceSettings = AudienceSettings()

    # Settings that moved: declared only so that setting one stops the program with a
    # line naming the new variable, rather than being ignored (MOVED).
    telegram_private_chat_per_second: Moved = None
    telegram_group_per_minute: Moved = None

    @field_validator(*MOVED, mode="before")
    @classmethod
    def _moved(cls, value: object, info: ValidationInfo) -> None:
        if value is None:  # unset (BaseSettings validates defaults too)
            return None
        raise ValueError(f"moved: set {MOVED[str(info.field_name)]} instead")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("guide_chat_ids", "promo_chat_ids", mode="before")
    @classmethod
    def _chat_ids(cls, value: object) -> list[str]:
        return parse_chat_ids(value)

    @field_validator("telegram_admin_ids", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> list[int]:
        return parse_user_ids(value)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Self:
        if self.telegram_updates == "webhook" and self.telegram_webhook_secret is None:
            raise ValueError("telegram_updates: webhook mode needs HERALD_TELEGRAM_WEBHOOK_SECRET")
        return self

    @model_validator(mode="after")
    def _secret_key_required_in_prod(self) -> Self:
        key = self.secret_key.get_secret_value()
        if self.env is Environment.DEV:
            if not key:
                self.secret_key = SecretStr(DEV_SECRET_KEY)
            return self
        if key.strip().lower() in PLACEHOLDER_SECRET_KEYS:
            raise ValueError(
                "secret_key: unset or a placeholder; set a random value "
                f"of at least {MIN_PROD_SECRET_LENGTH} characters "
                "(or HERALD_ENV=dev for local use)"
            )
        if len(key) < MIN_PROD_SECRET_LENGTH:
            raise ValueError(
                f"secret_key: must be at least {MIN_PROD_SECRET_LENGTH} characters in prod"
            )
        return self

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.CONSOLE if self.env is Environment.DEV else LogFormat.JSON

    @property
    def updates_mode(self) -> str:
        """How updates arrive: "off" without a token, else the setting or polling."""
        if self.telegram_bot_token is None:
            return "off"
        return self.telegram_updates or "polling"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def channel(self, name: Channel) -> ChannelSettings:
        value = getattr(self, name, None)
        if not isinstance(value, ChannelSettings):
            raise KeyError(name)
        return value


class ConfigError(Exception):
    """A configuration problem, already phrased as one line naming the variable."""


def describe_validation_error(exc: ValidationError) -> str:
    """Turn pydantic's multi-line report into one line per bad ``HERALD_`` variable."""
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        message = error["msg"].removeprefix("Value error, ")
        for field in ("secret_key", "telegram_updates"):
            if not loc and message.startswith(f"{field}: "):
                loc, message = [field], message.removeprefix(f"{field}: ")
        variable = "HERALD_" + "__".join(loc).upper() if loc else "configuration"
        parts.append(f"{variable}: {message}")
    return "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and .env), raising ConfigError on bad values."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
