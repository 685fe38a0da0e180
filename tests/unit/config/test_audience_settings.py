"""HERALD_AUDIENCE__*: the default zone and quiet window, the daily cap."""

from __future__ import annotations

import pytest

from herald.config import load_settings
from tests.unit.config.test_settings import config_error


def test_audience_settings_are_read_from_nested_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERALD_AUDIENCE__DEFAULT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("HERALD_AUDIENCE__QUIET_HOURS", "22:00-07:00")
    monkeypatch.setenv("HERALD_AUDIENCE__DAILY_CAP", "3")
    monkeypatch.setenv("HERALD_AUDIENCE__OVER_CAP", "skip")
    audience = load_settings(env="dev").audience
    assert (audience.default_timezone, audience.quiet_hours) == ("Europe/Berlin", "22:00-07:00")
    assert (audience.daily_cap, audience.over_cap) == (3, "skip")


@pytest.mark.parametrize(
    "audience",
    [
        {"default_timezone": "Mars/Olympus"},
        {"quiet_hours": "22:00-22:00"},
        {"quiet_hours": "10pm-7am"},
        {"daily_cap": -1},
        {"over_cap": "drop"},
    ],
)
def test_bad_audience_settings_are_one_line_errors(audience: dict[str, object]) -> None:
    assert config_error(env="dev", audience=audience).startswith("HERALD_AUDIENCE__")
