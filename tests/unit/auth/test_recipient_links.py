"""Recipient links: the token is the only credential of an unsubscribe or a preference
page, so it must round-trip, refuse any change, and never be valid for another use."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.auth.recipient_links import CATEGORY, Purpose, RecipientLinks, RecipientToken
from herald.channel import Channel
from herald.tracking.signing import Signer

SECRET = "unit-test-secret-key"
LINKS = RecipientLinks(SECRET, "https://herald.example.com/")


@given(
    purpose=st.sampled_from(Purpose),
    recipient_id=st.integers(min_value=0, max_value=10**18),
    category=st.none() | st.from_regex(CATEGORY, fullmatch=True),
    channel=st.none() | st.sampled_from(Channel),
)
def test_every_token_round_trips(
    purpose: Purpose, recipient_id: int, category: str | None, channel: Channel | None
) -> None:
    ref = RecipientToken(purpose, recipient_id, category, channel)
    assert LINKS.verify(LINKS.token(ref), purpose) == ref


def test_urls_are_built_on_the_public_url() -> None:
    unsubscribe = LINKS.unsubscribe_url(42, "promos", Channel.EMAIL)
    assert unsubscribe is not None
    assert unsubscribe.startswith("https://herald.example.com/u/u42.promos.email.")
    ref = LINKS.verify(unsubscribe.rsplit("/", 1)[1], Purpose.UNSUBSCRIBE)
    assert ref == RecipientToken(Purpose.UNSUBSCRIBE, 42, "promos", Channel.EMAIL)
    page = LINKS.preferences_url(42)
    assert page is not None and page.startswith("https://herald.example.com/preferences/p42...")


def test_without_a_public_url_there_are_no_urls() -> None:
    links = RecipientLinks(SECRET, None)
    assert links.unsubscribe_url(1, None, None) is None
    assert links.preferences_url(1) is None
    assert links.verify(links.token(RecipientToken(Purpose.PREFERENCES, 1)), Purpose.PREFERENCES)


def test_a_token_is_not_valid_for_another_purpose() -> None:
    unsubscribe = LINKS.token(RecipientToken(Purpose.UNSUBSCRIBE, 7))
    page = LINKS.token(RecipientToken(Purpose.PREFERENCES, 7))
    assert LINKS.verify(unsubscribe, Purpose.PREFERENCES) is None
    assert LINKS.verify(page, Purpose.UNSUBSCRIBE) is None
    # Re-labelled by hand, the signature no longer matches: each purpose has its own key.
    assert LINKS.verify("p" + unsubscribe[1:], Purpose.PREFERENCES) is None


def test_a_click_token_is_never_an_unsubscribe_token() -> None:
    link = Signer(SECRET).link_token(link_id=7, recipient="7")
    assert LINKS.verify(link, Purpose.UNSUBSCRIBE) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("u7.", "u8.", 1),  # another recipient
        lambda t: t.replace(".promos.", "..", 1),  # widened to every category
        lambda t: t.replace(".email.", ".telegram.", 1),  # another channel
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t + "x",
        lambda t: t[:-1],
        lambda t: "",
        lambda t: "u7..email.%00" + t[-19:],
        lambda t: "u07" + t[2:],  # a leading zero would name the same id twice
    ],
)
def test_a_changed_or_garbled_token_is_refused(change: object) -> None:
    token = LINKS.token(RecipientToken(Purpose.UNSUBSCRIBE, 7, "promos", Channel.EMAIL))
    assert callable(change)
    assert LINKS.verify(change(token), Purpose.UNSUBSCRIBE) is None


def test_another_secret_key_refuses_the_token() -> None:
    token = LINKS.token(RecipientToken(Purpose.UNSUBSCRIBE, 7))
    assert RecipientLinks("another-secret-key", None).verify(token, Purpose.UNSUBSCRIBE) is None


def test_a_category_that_cannot_go_in_a_link_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be put in a link"):
        LINKS.token(RecipientToken(Purpose.UNSUBSCRIBE, 7, "a b"))


@given(
    recipient_id=st.integers(min_value=0, max_value=10**18),
    category=st.none() | st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True),
)
def test_unsubscribe_buttons_fit_telegram_and_round_trip(
    recipient_id: int, category: str | None
) -> None:
    data = LINKS.callback_data(recipient_id, category)
    assert data is not None and len(data.encode()) <= 64
    assert LINKS.verify_callback(data) == RecipientToken(
        Purpose.UNSUBSCRIBE, recipient_id, category, Channel.TELEGRAM
    )


def test_a_button_that_would_not_fit_is_not_made_and_a_forged_one_is_refused() -> None:
    assert LINKS.callback_data(10**18, "c" * 40) is None
    data = LINKS.callback_data(7, "promos")
    assert data is not None
    assert LINKS.verify_callback(data.replace(":7:", ":8:")) is None
    assert LINKS.verify_callback(data.replace(":promos:", "::")) is None
    assert LINKS.verify_callback(Signer(SECRET).sign(7, 0)) is None
    assert (
        LINKS.verify_callback("o1:7::" + LINKS.token(RecipientToken(Purpose.UNSUBSCRIBE, 7))[-16:])
        is None
    )
