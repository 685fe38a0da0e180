"""herald_unsubscribes_total counts what a recipient newly refused, each scope named
at its broadest: leaving everything is one unsubscribe, not one per category."""

from __future__ import annotations

import pytest

from herald.channel import Channel
from herald.preferences import Preferences
from herald.preferences.optouts import newly_refused

E, T, P = Channel.EMAIL, Channel.TELEGRAM, Channel.PUSH
NOTHING = Preferences()


@pytest.mark.parametrize(
    ("before", "after", "counted"),
    [
        (NOTHING, NOTHING, []),
        (NOTHING, Preferences(unsubscribed_all=True), [("all", "all")]),
        (Preferences(unsubscribed_all=True), Preferences(unsubscribed_all=True), []),
        (Preferences(unsubscribed_all=True), Preferences(channels_off=frozenset({E})), []),
        (NOTHING, Preferences(channels_off=frozenset({P})), [("all", "push")]),
        (
            NOTHING,
            Preferences(categories={"promos": frozenset({T})}),
            [("promos", "email"), ("promos", "push")],
        ),
        (NOTHING, Preferences(categories={"promos": frozenset()}), [("promos", "all")]),
        # push off for all, promos' email off: two refusals, promos' push is not a third
        (
            NOTHING,
            Preferences(categories={"promos": frozenset({T})}, channels_off=frozenset({P})),
            [("all", "push"), ("promos", "email")],
        ),
        # a category already refused on email, now on every channel
        (
            Preferences(categories={"promos": frozenset({T, P})}),
            Preferences(categories={"promos": frozenset()}),
            [("promos", "all")],
        ),
        # taking something back is not an unsubscribe
        (Preferences(categories={"promos": frozenset()}), NOTHING, []),
    ],
)
def test_what_is_counted(
    before: Preferences, after: Preferences, counted: list[tuple[str, str]]
) -> None:
    assert newly_refused(before, after) == counted
