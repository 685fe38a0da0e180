"""The dashboard's session cookie: it round-trips, and anything else is no session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from herald.auth import Role
from herald.web.dashboard.session import SessionCodec, same_token

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def codec() -> SessionCodec:
    return SessionCodec("a-secret-key-for-tests", timedelta(hours=12))


def test_a_cookie_reads_back_as_its_session(codec: SessionCodec) -> None:
    issued, cookie = codec.issue(7, Role.ADMIN, NOW)
    assert codec.read(cookie, NOW + timedelta(hours=11)) == issued
    assert len(issued.csrf) >= 32


def test_each_sign_in_gets_its_own_csrf_token(codec: SessionCodec) -> None:
    assert codec.issue(7, Role.ADMIN, NOW)[0].csrf != codec.issue(7, Role.ADMIN, NOW)[0].csrf


def test_an_expired_or_future_cookie_is_no_session(codec: SessionCodec) -> None:
    _, cookie = codec.issue(7, Role.ADMIN, NOW)
    assert codec.read(cookie, NOW + timedelta(hours=12, seconds=2)) is None
    assert codec.read(cookie, NOW - timedelta(seconds=5)) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c.replace(".", ".x", 1),
        lambda c: c.split(".")[0],
        lambda c: "",
        lambda c: "a.b.c",
        lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),
    ],
)
def test_a_tampered_or_malformed_cookie_is_no_session(codec: SessionCodec, mangle) -> None:  # type: ignore[no-untyped-def]
    _, cookie = codec.issue(7, Role.VIEWER, NOW)
    assert codec.read(mangle(cookie), NOW) is None


def test_an_edited_role_breaks_the_signature(codec: SessionCodec) -> None:
    import base64
    import json

    _, cookie = codec.issue(7, Role.VIEWER, NOW)
    body, signature = cookie.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data["r"] = "owner"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    assert codec.read(f"{forged}.{signature}", NOW) is None


def test_another_secret_key_reads_nothing(codec: SessionCodec) -> None:
    _, cookie = codec.issue(7, Role.OWNER, NOW)
    other = SessionCodec("another-secret-key", timedelta(hours=12))
    assert other.read(cookie, NOW) is None


def test_csrf_tokens_compare_exactly() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abd", "abc")
    assert not same_token("", "")
    assert not same_token(None, "abc")
