"""Settings: database URL normalization, log level, the prod secret key and nested
channel settings, all read through ``load_settings`` or ``HERALD_`` variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from herald.config import (
    DEV_SECRET_KEY,
    ConfigError,
    Environment,
    LogFormat,
    LogLevel,
    Settings,
    TelegramChannel,
    load_settings,
)

STRONG_KEY = "k" * 32


def config_error(**overrides: object) -> str:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(**overrides)
    message = str(excinfo.value)
    assert "\n" not in message, f"ConfigError should be one line, got {message!r}"
    return message


# -- database URL ------------------------------------------------------------------


def test_default_database_url_is_local_sqlite_with_async_driver() -> None:
    assert load_settings(env="dev").database_url == "sqlite+aiosqlite:///herald.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("sqlite+aiosqlite:///already.db", "sqlite+aiosqlite:///already.db"),
        ("postgresql+asyncpg://u:p@h:5433/db", "postgresql+asyncpg://u:p@h:5433/db"),
    ],
)
def test_database_url_gets_the_async_driver(given: str, expected: str) -> None:
    assert load_settings(env="dev", database_url=given).database_url == expected


def test_database_url_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv("HERALD_DATABASE_URL", "postgresql://u:p@h/db")
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://u:p@h/db"
    assert not settings.is_sqlite


def test_postgres_scheme_alias_is_accepted() -> None:
    # ASYNC_DRIVERS maps "postgres" to asyncpg, so the common postgres:// form
    # (Heroku, many PaaS) is meant to work.
    settings = load_settings(env="dev", database_url="postgres://u:p@h/db")
    assert settings.database_url == "postgresql+asyncpg://u:p@h/db"


@pytest.mark.parametrize(
    "url",
    ["not a url", "mysql://u:p@h/db", "sqlite+pysqlite:///x.db", "postgresql+psycopg2://h/db"],
)
def test_bad_database_url_names_the_variable(url: str) -> None:
    message = config_error(env="dev", database_url=url)
    assert message.startswith("HERALD_DATABASE_URL: ")


def test_mysql_is_refused_as_unsupported() -> None:
    assert "unsupported database 'mysql'" in config_error(env="dev", database_url="mysql://h/db")


# -- log level and format ----------------------------------------------------------


def test_unknown_log_level_names_the_variable() -> None:
    message = config_error(env="dev", log_level="loud")
    assert message.startswith("HERALD_LOG_LEVEL: ")


def test_unknown_log_level_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv("HERALD_LOG_LEVEL", "verbose")
    assert "HERALD_LOG_LEVEL" in config_error()


@pytest.mark.parametrize(("given", "expected"), [("debug", "DEBUG"), ("Warning", "WARNING")])
def test_log_level_is_case_insensitive(given: str, expected: str) -> None:
    assert load_settings(env="dev", log_level=given).log_level is LogLevel(expected)


def test_log_level_from_environment_is_case_insensitive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv("HERALD_LOG_LEVEL", "error")
    assert load_settings().log_level is LogLevel.ERROR


def test_default_log_level_is_info() -> None:
    assert load_settings(env="dev").log_level is LogLevel.INFO


def test_log_format_defaults_to_console_in_dev() -> None:
    settings = load_settings(env="dev")
    assert settings.log_format is None
    assert settings.effective_log_format is LogFormat.CONSOLE


def test_log_format_defaults_to_json_in_prod() -> None:
    assert load_settings(env="prod", secret_key=STRONG_KEY).effective_log_format is LogFormat.JSON


def test_explicit_log_format_wins() -> None:
    assert load_settings(env="dev", log_format="json").effective_log_format is LogFormat.JSON
    prod = load_settings(env="prod", secret_key=STRONG_KEY, log_format="console")
    assert prod.effective_log_format is LogFormat.CONSOLE


# -- environment and secret key ----------------------------------------------------


def test_environment_defaults_to_prod() -> None:
    # The safe default: with no HERALD_ENV the secret key is required.
    assert "HERALD_SECRET_KEY" in config_error()
    assert load_settings(secret_key=STRONG_KEY).env is Environment.PROD


def test_prod_without_secret_key_names_the_variable() -> None:
    message = config_error(env="prod")
    assert message.startswith("HERALD_SECRET_KEY: ")
    assert "32" in message


@pytest.mark.parametrize(
    "key", ["change-me", "CHANGEME", "  secret  ", "your-secret-key", DEV_SECRET_KEY, "   "]
)
def test_prod_refuses_placeholder_secret_keys(key: str) -> None:
    assert config_error(env="prod", secret_key=key).startswith("HERALD_SECRET_KEY: ")


def test_prod_refuses_a_short_secret_key() -> None:
    message = config_error(env="prod", secret_key="k" * 31)
    assert message.startswith("HERALD_SECRET_KEY: ")
    assert "at least 32 characters" in message


def test_prod_accepts_a_long_random_key() -> None:
    settings = load_settings(env="prod", secret_key=STRONG_KEY)
    assert settings.secret_key.get_secret_value() == STRONG_KEY


def test_prod_secret_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_ENV", "prod")
    monkeypatch.setenv("HERALD_SECRET_KEY", "short")
    assert "HERALD_SECRET_KEY" in config_error()
    monkeypatch.setenv("HERALD_SECRET_KEY", STRONG_KEY)
    assert load_settings().secret_key.get_secret_value() == STRONG_KEY


def test_secret_key_is_not_shown_in_repr() -> None:
    settings = load_settings(env="prod", secret_key=STRONG_KEY)
    assert STRONG_KEY not in repr(settings)


def test_dev_gets_the_dev_secret_key() -> None:
    assert load_settings(env="dev").secret_key.get_secret_value() == DEV_SECRET_KEY


def test_dev_keeps_an_explicit_secret_key() -> None:
    assert load_settings(env="dev", secret_key="mine").secret_key.get_secret_value() == "mine"


def test_several_problems_are_reported_on_one_line() -> None:
    message = config_error(env="prod", log_level="loud", database_url="mysql://h/db")
    assert "HERALD_LOG_LEVEL" in message
    assert "HERALD_DATABASE_URL" in message


# -- channels ----------------------------------------------------------------------


def test_channel_defaults() -> None:
    settings = load_settings(env="dev")
    assert (settings.telegram.rate_per_second, settings.telegram.burst) == (30, 3)
    assert (settings.email.rate_per_second, settings.email.burst) == (10, 10)
    assert (settings.push.rate_per_second, settings.push.burst) == (100, 100)
    assert settings.channel("telegram") is settings.telegram


def test_channel_lookup_refuses_non_channels() -> None:
    settings = load_settings(env="dev")
    with pytest.raises(KeyError):
        settings.channel("sms")
    with pytest.raises(KeyError):
        settings.channel("host")


def test_nested_channel_setting_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv("HERALD_TELEGRAM__MAX_ATTEMPTS", "3")
    monkeypatch.setenv("HERALD_TELEGRAM__BACKOFF_BASE_SECONDS", "0.5")
    settings = load_settings()
    assert settings.telegram.max_attempts == 3
    assert settings.telegram.backoff_base_seconds == 0.5
    assert settings.telegram.concurrency == TelegramChannel().concurrency
    assert settings.email.max_attempts == 5


def test_nested_override_keeps_the_channels_own_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Overriding one field of a channel must not reset its other per-channel
    # defaults (email is 10/s, burst 10) to the generic ChannelSettings ones.
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv("HERALD_EMAIL__MAX_ATTEMPTS", "3")
    settings = load_settings()
    assert settings.email.max_attempts == 3
    assert (settings.email.rate_per_second, settings.email.burst) == (10, 10)


def test_bad_nested_channel_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv("HERALD_PUSH__BURST", "0")
    assert config_error().startswith("HERALD_PUSH__BURST: ")


def test_telegram_per_chat_limits_are_telegram_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv("HERALD_TELEGRAM__PRIVATE_CHAT_PER_SECOND", "0.5")
    monkeypatch.setenv("HERALD_TELEGRAM__GROUP_PER_MINUTE", "600")
    settings = load_settings()
    assert (settings.telegram.private_chat_per_second, settings.telegram.group_per_minute) == (
        0.5,
        600,
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("HERALD_TELEGRAM_PRIVATE_CHAT_PER_SECOND", "HERALD_TELEGRAM__PRIVATE_CHAT_PER_SECOND"),
        ("HERALD_TELEGRAM_GROUP_PER_MINUTE", "HERALD_TELEGRAM__GROUP_PER_MINUTE"),
    ],
)
def test_a_moved_variable_stops_the_program_naming_the_new_one(
    old: str, new: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HERALD_ENV", "dev")
    monkeypatch.setenv(old, "600")
    assert config_error() == f"{old}: moved: set {new} instead"
    monkeypatch.delenv(old)
    (tmp_path / ".env").write_text(f"{old}=600\n")  # a .env is no hiding place
    assert config_error() == f"{old}: moved: set {new} instead"


# -- .env ---------------------------------------------------------------------------


def test_dotenv_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HERALD_ENV=dev\nHERALD_LOG_LEVEL=warning\n")
    settings = load_settings()
    assert settings.env is Environment.DEV
    assert settings.log_level is LogLevel.WARNING


def test_environment_beats_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("HERALD_ENV=dev\nHERALD_PORT=9000\n")
    monkeypatch.setenv("HERALD_PORT", "9100")
    assert load_settings().port == 9100


def test_explicit_overrides_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_ENV", "prod")
    assert load_settings(env="dev").env is Environment.DEV


def test_settings_can_be_built_directly() -> None:
    settings = Settings(env=Environment.DEV, port=8080)
    assert settings.port == 8080
    assert settings.is_sqlite
