"""Unsubscribing and resubscribing as pure changes, and their stored rows."""

from __future__ import annotations

from datetime import time

import pytest

from herald.channel import Channel
from herald.preferences import ALL_CHANNELS, PreferenceRuleError, Preferences, QuietHours
from herald.preferences.choices import from_rows, resubscribed, rows, unsubscribed

EMAIL, TG, PUSH = Channel.EMAIL, Channel.TELEGRAM, Channel.PUSH
KNOWN = ("promos", "signals")


def test_the_defaults_accept_everything() -> None:
    p = Preferences()
    assert all(p.accepts(c, ch) for c in (None, "promos") for ch in ALL_CHANNELS)
    assert rows(p) == set()


def test_each_scope_of_unsubscribe_refuses_just_that() -> None:
    one = unsubscribed(Preferences(), "promos", EMAIL)
    assert not one.accepts("promos", EMAIL) and one.accepts("promos", TG)
    assert one.accepts("signals", EMAIL) and one.accepts(None, EMAIL)

    category = unsubscribed(Preferences(), "promos", None)
    assert not any(category.accepts("promos", ch) for ch in ALL_CHANNELS)
    assert category.accepts("signals", TG)

    channel = unsubscribed(Preferences(), None, EMAIL)
    assert not channel.accepts("signals", EMAIL) and not channel.accepts(None, EMAIL)
    assert channel.accepts("promos", TG)

    everything = unsubscribed(Preferences(), None, None)
    assert everything.unsubscribed_all
    assert not any(everything.accepts(c, ch) for c in (None, "x") for ch in ALL_CHANNELS)


def test_resubscribing_to_one_category_after_stop_keeps_the_rest_refused() -> None:
    stopped = unsubscribed(Preferences(timezone="Europe/London"), None, None)
    back = resubscribed(stopped, "promos", None, KNOWN)
    assert back.timezone == "Europe/London"
    assert all(back.accepts("promos", ch) for ch in ALL_CHANNELS)
    assert not any(back.accepts("signals", ch) for ch in ALL_CHANNELS)
    # Messages of no category were refused by the /stop; opting into promos lifts the
    # master switch only as far as promos' channels.
    assert back.accepts(None, TG)


def test_resubscribing_one_channel_of_one_category_past_a_channel_opt_out() -> None:
    no_email = unsubscribed(Preferences(), None, EMAIL)
    back = resubscribed(no_email, "signals", EMAIL, KNOWN)
    assert back.accepts("signals", EMAIL)
    assert not back.accepts("promos", EMAIL)
    assert back.accepts("promos", TG)


def test_resubscribing_everything_clears_every_refusal_but_keeps_the_zone() -> None:
    quiet = QuietHours(time(22), time(7))
    p = unsubscribed(Preferences(timezone="Asia/Tokyo", quiet_hours=quiet), "promos", PUSH)
    p = unsubscribed(p, None, EMAIL)
    back = resubscribed(p, None, None, KNOWN)
    assert back == Preferences(timezone="Asia/Tokyo", quiet_hours=quiet)


@pytest.mark.parametrize(
    "prefs",
    [
        Preferences(),
        Preferences(unsubscribed_all=True),
        Preferences(channels_off=frozenset({EMAIL, PUSH})),
        Preferences(categories={"promos": frozenset(), "signals": frozenset({TG})}),
        Preferences(categories={"promos": frozenset({EMAIL})}, channels_off=frozenset({PUSH})),
    ],
)
def test_rows_store_what_the_preferences_say(prefs: Preferences) -> None:
    back = from_rows(Preferences(), rows(prefs))
    for category in (None, "promos", "signals", "education"):
        for channel in ALL_CHANNELS:
            assert back.accepts(category, channel) == prefs.accepts(category, channel)


def test_the_time_zone_must_be_an_iana_name() -> None:
    assert Preferences(timezone="America/New_York").timezone == "America/New_York"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime"):
        with pytest.raises(PreferenceRuleError) as caught:
            Preferences(timezone=bad)
        assert caught.value.loc == ("timezone",)


def test_quiet_hours_are_read_as_hh_mm_and_must_be_a_window() -> None:
    assert QuietHours.parse("22:00", "07:30").as_text() == ("22:00", "07:30")
    with pytest.raises(PreferenceRuleError) as caught:
        QuietHours.parse("25:00", "07:00")
    assert caught.value.loc == ("quiet_hours", "start")
    with pytest.raises(PreferenceRuleError):
        QuietHours.parse("07:00", "07:00")
