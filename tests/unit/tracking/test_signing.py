"""Signed callback data: Telegram clients can send any callback_data, so only data this
server signed may count as a click, and it must fit the Bot API's 64 bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.tracking.signing import LINKS_REMEMBERED, MAX_CALLBACK_BYTES, Click, Signer

SIGNER = Signer("unit-test-secret-key")
MAX_PROMO_ID = 10**18 - 1


@pytest.mark.parametrize(
    ("promo_id", "cta"), [(0, 0), (1, 0), (7, 3), (123456, 42), (MAX_PROMO_ID, 999)]
)
def test_sign_then_verify_round_trips(promo_id: int, cta: int) -> None:
    data = SIGNER.sign(promo_id, cta)
    assert data.startswith(f"c1:{promo_id}:{cta}:")
    assert SIGNER.verify(data) == Click(promo_id=promo_id, cta=cta)


@given(
    promo_id=st.integers(min_value=0, max_value=MAX_PROMO_ID),
    cta=st.integers(min_value=0, max_value=999),
)
def test_round_trip_and_size_for_any_id(promo_id: int, cta: int) -> None:
    data = SIGNER.sign(promo_id, cta)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert SIGNER.verify(data) == Click(promo_id, cta)


def test_largest_data_fits_the_bot_api_limit() -> None:
    """Telegram refuses callback_data over 64 bytes."""
    data = SIGNER.sign(MAX_PROMO_ID, 999)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES == 64


def test_signing_is_deterministic_across_instances() -> None:
    """Every replica with the same key must accept data another replica signed."""
    other = Signer("unit-test-secret-key")
    assert other.sign(7, 1) == SIGNER.sign(7, 1)
    assert other.verify(SIGNER.sign(7, 1)) == Click(7, 1)


def test_a_different_key_does_not_verify() -> None:
    data = SIGNER.sign(7, 1)
    assert Signer("another-secret-key").verify(data) is None
    assert Signer("unit-test-secret-key ").verify(data) is None


def test_tampered_promo_id_fails() -> None:
    _, promo, cta, sig = SIGNER.sign(7, 1).split(":")
    assert SIGNER.verify(f"c1:8:{cta}:{sig}") is None
    assert SIGNER.verify(f"c1:{promo}7:{cta}:{sig}") is None


def test_tampered_cta_fails() -> None:
    _, promo, _cta, sig = SIGNER.sign(7, 1).split(":")
    assert SIGNER.verify(f"c1:{promo}:2:{sig}") is None
    assert SIGNER.verify(f"c1:{promo}:0:{sig}") is None


def test_tampered_signature_fails() -> None:
    data = SIGNER.sign(7, 1)
    head, sig = data.rsplit(":", 1)
    for i in range(len(sig)):
        swapped = "A" if sig[i] != "A" else "B"
        assert SIGNER.verify(f"{head}:{sig[:i]}{swapped}{sig[i + 1 :]}") is None
    assert SIGNER.verify(f"{head}:{sig[:-1]}") is None
    assert SIGNER.verify(f"{head}:{sig}A") is None
    if sig != sig.lower():
        assert SIGNER.verify(f"{head}:{sig.lower()}") is None


def test_signature_of_one_click_does_not_verify_another() -> None:
    sig = SIGNER.sign(7, 1).rsplit(":", 1)[1]
    assert SIGNER.verify(f"c1:1:7:{sig}") is None


@pytest.mark.parametrize(
    "data",
    [
        "",
        ":",
        ":::",
        "c1",
        "c1:",
        "c1:7",
        "c1:7:1",
        "c1:7:1:",
        "garbage",
        "c2:7:1:AAAAAAAAAAAAAAAA",
        "C1:7:1:AAAAAAAAAAAAAAAA",
        "c1:-7:1:AAAAAAAAAAAAAAAA",
        "c1:7:-1:AAAAAAAAAAAAAAAA",
        "c1:7:1:AAAAAAAAAAAAAAA=",
        "c1:7:1:AAAAAAAAAAAAAAAA:extra",
        "c1:7::1:AAAAAAAAAAAAAAAA",
        "c1:x:1:AAAAAAAAAAAAAAAA",
        "c1:7:1000:AAAAAAAAAAAAAAAA",
        "c1:1000000000000000000:1:AAAAAAAAAAAAAAAA",
        "c1:7:1:ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ",
        "c1:7:1:🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂",
        "\x00c1:7:1:AAAAAAAAAAAAAAAA",
        "c1:7:1:" + "A" * 10_000,
        "x" * 100_000,
        "c1:" + "9" * 5000 + ":1:AAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_data_is_none(data: str) -> None:
    """Anything a client makes up is refused quietly, never an exception."""
    assert SIGNER.verify(data) is None


@pytest.mark.parametrize("wrap", ["{} ", " {}", "{}\n", "\n{}", "{}\x00"])
def test_valid_data_with_extra_characters_around_it_fails(wrap: str) -> None:
    assert SIGNER.verify(wrap.format(SIGNER.sign(7, 1))) is None


@given(st.text())
def test_arbitrary_text_never_raises_and_is_not_a_click(data: str) -> None:
    assert SIGNER.verify(data) is None


def test_non_ascii_digits_are_refused() -> None:
    """Only the canonical ASCII form this server produces should verify."""
    sig = SIGNER.sign(7, 1).rsplit(":", 1)[1]
    assert SIGNER.verify(f"c1:\u0667:1:{sig}") is None  # ARABIC-INDIC DIGIT SEVEN


@pytest.mark.parametrize("key", ["", None])
def test_empty_key_is_refused(key: str | None) -> None:
    """Signing with no key would let anyone forge clicks."""
    with pytest.raises(ValueError, match="secret key is required"):
        Signer(key)  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", ["A", "B", "C", "D"])
def test_a_variant_is_named_by_every_kind_of_data_and_signed_with_it(variant: str) -> None:
    data = SIGNER.sign(MAX_PROMO_ID, 999, variant)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert SIGNER.verify(data) == Click(MAX_PROMO_ID, 999, variant)
    assert SIGNER.verify_start(SIGNER.start_payload(7, 1, variant)) == Click(7, 1, variant)
    ref = SIGNER.verify_link(
        SIGNER.link_token(content_id=7, cta=1, variant=variant, recipient="tg:5")
    )
    assert ref is not None and (ref.content_id, ref.cta, ref.variant, ref.recipient) == (
        7, 1, variant, "tg:5",
    )  # fmt: skip
    # another variant under the same signature is a forgery
    other = "A" if variant != "A" else "B"
    assert SIGNER.verify(data.replace(f":999{variant}:", f":999{other}:")) is None
    assert SIGNER.verify(data.replace(f":999{variant}:", ":999:")) is None


def test_data_without_a_variant_verifies_as_before() -> None:
    assert SIGNER.verify(SIGNER.sign(7, 1)) == Click(7, 1, None)
    ref = SIGNER.verify_link(SIGNER.link_token(content_id=7, cta=1))
    assert ref is not None and ref.variant is None
    assert SIGNER.verify(SIGNER.sign(7, 1).replace(":1:", ":1E:")) is None  # no variant E


def test_link_verification_is_remembered_per_token_within_its_bound() -> None:
    """Verified link tokens are kept (a bounded LRU): the answer is the same as a fresh
    signer's, a forged token stays refused next to its genuine one, and no more than
    LINKS_REMEMBERED tokens are kept however many are seen."""
    signer = Signer("unit-test-secret-key")
    fresh = Signer("unit-test-secret-key")
    token = signer.link_token(link_id=7, recipient="trader-7")
    forged = token[:-1] + ("A" if not token.endswith("A") else "B")
    for _ in range(2):
        assert signer.verify_link(token) == fresh.verify_link(token) is not None
        assert signer.verify_link(forged) is None
    for link_id in range(LINKS_REMEMBERED + 100):
        assert signer.verify_link(signer.link_token(link_id=link_id)) is not None
    remembered = signer._verified_links.cache_info()
    assert remembered.currsize == remembered.maxsize == LINKS_REMEMBERED
    assert signer.verify_link(token) == fresh.verify_link(token)  # evicted, verified again


@pytest.mark.parametrize("chat", ["-1001234567890", "@trading_room"])
def test_a_link_names_its_post_by_chat_and_run_signed_with_the_rest(chat: str) -> None:
    token = SIGNER.link_token(content_id=7, cta=1, variant="B", chat=chat, run=4521)
    assert token.startswith(f"c7.1B~{chat}~4521.")
    ref = SIGNER.verify_link(token)
    assert ref is not None and (ref.chat, ref.run, ref.variant) == (chat, 4521, "B")
    assert SIGNER.verify_link(token.replace("~4521.", "~4522.")) is None  # another post
    assert SIGNER.verify_link(token.replace("~4521.", ".")) is None  # the run dropped
    # a token of a chat but no run (posted before links named it) verifies as before
    older = SIGNER.verify_link(SIGNER.link_token(content_id=7, cta=1, chat=chat))
    assert older is not None and (older.chat, older.run) == (chat, None)
    with pytest.raises(ValueError, match="only beside its chat"):
        SIGNER.link_token(content_id=7, cta=1, run=4521)


def test_naming_the_post_costs_one_character_and_the_run_ids_digits() -> None:
    chat = "-1001234567890"
    without = SIGNER.link_token(content_id=123456, cta=2, variant="A", chat=chat)
    with_run = SIGNER.link_token(content_id=123456, cta=2, variant="A", chat=chat, run=987654)
    assert (len(without), len(with_run)) == (42, 49)
