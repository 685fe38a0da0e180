"""The preference form's fields as Preferences: one parser for the recipient's own page
(web/audience/) and the dashboard's recipient page, so the two cannot disagree."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from starlette.datastructures import FormData

from herald.channel import Channel
from herald.preferences import ALL_CHANNELS, PreferenceRuleError, Preferences, QuietHours


@cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def preferences_from_form(form: FormData, keys: list[str]) -> Preferences:
    """The form's choices as Preferences; PreferenceRuleError names what is wrong (its
    msg a phrase key where the page has one). The dashboard's recipient page posts the
    same fields."""
    values = {str(v) for v in form.getlist("channel")}
    channels_on = {c for c in Channel if c.value in values}
    accepted = {str(v) for v in form.getlist("accept")}
    start, end = (str(form.get(name) or "").strip() for name in ("quiet_start", "quiet_end"))
    if bool(start) != bool(end):
        raise PreferenceRuleError(("quiet_hours",), "quiet_both")
    timezone = str(form.get("timezone") or "").strip() or None
    return Preferences(
        timezone=timezone,
        quiet_hours=QuietHours.parse(start, end) if start else None,
        categories={
            key: frozenset(c for c in Channel if f"{key}:{c.value}" in accepted) for key in keys
        },
        channels_off=ALL_CHANNELS - channels_on,
        unsubscribed_all=form.get("unsubscribed_all") == "1",
    )
