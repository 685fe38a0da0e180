"""HMAC verification of ``/r/`` link tokens and ``/start`` payloads, as properties.

tests/unit/tracking/test_signing.py covers callback data (tampering, other keys,
malformed and arbitrary text); end to end, forged tokens and presses are refused in
tests/integration/tracking/test_clicks.py. What is left: link tokens and /start
payloads for any ids and recipients, any one-character change refused, a signature
made for one use (callback, start, link) refused for another, and any text refused
without raising; a link token naming the chat it was sent to verifies with that chat. Pure: no app.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from herald.tracking.signing import SIGNATURE_CHARS, Click, LinkRef, Signer

SIGNER = Signer("signed-tokens-test-key-0123456789abcdef")
OTHER = Signer("another-deployment-key-0123456789abcdef")
ids = st.integers(min_value=0, max_value=10**18 - 1)
ctas = st.integers(min_value=0, max_value=999)
recipients = st.none() | st.text(min_size=1, max_size=60)
# the chat a scheduled post's link was sent to: a chat id as herald stores it
chats = st.none() | st.from_regex(r"-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,31}", fullmatch=True)
TOKEN_CHARS = string.ascii_letters + string.digits + "-_.~@"


@st.composite
def link_tokens(draw: st.DrawFn) -> tuple[str, LinkRef]:
    recipient = draw(recipients)
    if draw(st.booleans()):
        content_id, cta, chat = draw(ids), draw(ctas), draw(chats)
        token = SIGNER.link_token(content_id=content_id, cta=cta, recipient=recipient, chat=chat)
        return token, LinkRef(content_id, cta, None, recipient, chat=chat)
    link_id = draw(ids)
    token = SIGNER.link_token(link_id=link_id, recipient=recipient)
    return token, LinkRef(None, None, link_id, recipient)


@given(made=link_tokens())
def test_a_link_token_names_exactly_what_was_signed(made: tuple[str, LinkRef]) -> None:
    token, ref = made
    assert SIGNER.verify_link(token) == ref
    assert OTHER.verify_link(token) is None  # another deployment's key


@given(made=link_tokens(), data=st.data())
def test_any_one_character_changed_is_refused(
    made: tuple[str, LinkRef], data: st.DataObject
) -> None:
    token, _ = made
    i = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    other = data.draw(st.sampled_from(TOKEN_CHARS).filter(lambda c: c != token[i]))
    assert SIGNER.verify_link(token[:i] + other + token[i + 1 :]) is None


@given(made=link_tokens(), cut=st.integers(min_value=1, max_value=20))
def test_a_shortened_or_extended_token_is_refused(made: tuple[str, LinkRef], cut: int) -> None:
    token, _ = made
    assert SIGNER.verify_link(token[:-cut]) is None
    assert SIGNER.verify_link(token + "A" * cut) is None
    assert SIGNER.verify_link(token[cut:]) is None


@given(promo_id=ids, cta=ctas)
def test_a_signature_is_good_for_its_own_use_only(promo_id: int, cta: int) -> None:
    """Callback data, /start payloads and link tokens sign the same "id:cta" text under
    different keys: none can be turned into another."""
    callback_sig = SIGNER.sign(promo_id, cta)[-SIGNATURE_CHARS:]
    start_sig = SIGNER.start_payload(promo_id, cta)[-SIGNATURE_CHARS:]
    link_sig = SIGNER.link_token(content_id=promo_id, cta=cta)[-SIGNATURE_CHARS:]
    assert len({callback_sig, start_sig, link_sig}) == 3
    assert SIGNER.verify_start(f"p{promo_id}_{cta}_{start_sig}") == Click(promo_id, cta)
    for sig in (callback_sig, link_sig):
        assert SIGNER.verify_start(f"p{promo_id}_{cta}_{sig}") is None
    for sig in (callback_sig, start_sig):
        assert SIGNER.verify_link(f"c{promo_id}.{cta}.{sig}") is None
    for sig in (start_sig, link_sig):
        assert SIGNER.verify(f"c1:{promo_id}:{cta}:{sig}") is None


@given(text=st.text(max_size=200) | st.text(alphabet=TOKEN_CHARS, max_size=200))
def test_any_text_is_refused_without_raising(text: str) -> None:
    assert SIGNER.verify_link(text) is None
    assert SIGNER.verify_start(text) is None
