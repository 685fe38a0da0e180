"""VAPID keys: generation, the forms other tools use, pair checks and token signing."""

from __future__ import annotations

import base64
import re
import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from py_vapid import jwt as vapid_jwt

from herald.channels.push import vapid

B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def test_generate_keypair_gives_raw_scalar_and_uncompressed_point() -> None:
    private, public = vapid.generate_keypair()
    assert B64URL.match(private) and B64URL.match(public)  # base64url, no padding
    assert len(vapid.b64url_decode(private)) == 32
    raw_public = vapid.b64url_decode(public)
    assert len(raw_public) == 65 and raw_public[0] == 0x04
    assert vapid.public_key_for(private) == public
    vapid.check_pair(private, public)
    assert vapid.generate_keypair()[0] != private


def test_py_vapid_reads_our_private_key_as_the_same_key() -> None:
    """pywebpush hands the key string to py_vapid: it must derive the same public key."""
    private, public = vapid.generate_keypair()
    theirs = Vapid.from_string(private_key=private)
    point = theirs.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert vapid.b64url_encode(point) == public


def test_der_and_pem_private_keys_are_accepted() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    expected = vapid.encode_public_key(key.public_key())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    assert vapid.public_key_for(vapid.b64url_encode(der)) == expected
    assert vapid.public_key_for(pem) == expected
    # Padded standard base64 of the raw scalar, as some tools print it.
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    assert vapid.public_key_for(base64.b64encode(raw).decode()) == expected


def test_check_pair_rejects_a_mismatch() -> None:
    private, _ = vapid.generate_keypair()
    _, other_public = vapid.generate_keypair()
    with pytest.raises(ValueError, match="do not match") as info:
        vapid.check_pair(private, other_public)
    assert private not in str(info.value)


@pytest.mark.parametrize(
    ("private", "message"),
    [
        ("", "empty"),
        ("not base64 at all!!", "malformed"),
        (vapid.b64url_encode(b"\x01" * 31), "malformed"),
        (vapid.b64url_encode(b"\x00" * 32), "malformed"),  # zero is not a valid scalar
        (vapid.b64url_encode(b"\xff" * 32), "malformed"),  # beyond the curve order
    ],
)
def test_check_pair_rejects_malformed_private_keys(private: str, message: str) -> None:
    _, public = vapid.generate_keypair()
    with pytest.raises(ValueError, match=message) as info:
        vapid.check_pair(private, public)
    if private:
        assert private not in str(info.value)


def test_check_pair_rejects_non_p256_private_keys() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _, public = vapid.generate_keypair()
    with pytest.raises(ValueError, match="P-256"):
        vapid.check_pair(vapid.b64url_encode(der), public)


def test_check_pair_rejects_malformed_public_keys() -> None:
    private, public = vapid.generate_keypair()
    compressed = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    )
    with pytest.raises(ValueError, match="65-byte"):
        vapid.check_pair(private, vapid.b64url_encode(compressed))
    with pytest.raises(ValueError, match="not a point"):
        vapid.check_pair(private, vapid.b64url_encode(b"\x04" + b"\x01" * 64))
    with pytest.raises(ValueError, match="base64url"):
        vapid.check_pair(private, "%%%")
    with pytest.raises(ValueError, match="65-byte"):
        vapid.check_pair(private, public[:-4])


@pytest.mark.parametrize("subject", ["mailto:ops@example.com", "https://example.com/contact"])
def test_check_subject_accepts_contacts(subject: str) -> None:
    vapid.check_subject(subject)


@pytest.mark.parametrize("subject", ["ops@example.com", "http://example.com", "mailto:", ""])
def test_check_subject_rejects_non_contacts(subject: str) -> None:
    with pytest.raises(ValueError, match=r"mailto: address or an https://"):
        vapid.check_subject(subject)


@pytest.mark.parametrize(
    ("endpoint", "audience"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc:def", "https://fcm.googleapis.com"),
        (
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "https://updates.push.services.mozilla.com",
        ),
        ("http://127.0.0.1:8123/push/x?y=1", "http://127.0.0.1:8123"),
        ("https://user:pw@push.example.com/p", "https://push.example.com"),
    ],
)
def test_audience_is_the_endpoint_origin(endpoint: str, audience: str) -> None:
    assert vapid.audience_for(endpoint) == audience


def test_audience_rejects_non_http_endpoints() -> None:
    with pytest.raises(ValueError, match="http"):
        vapid.audience_for("ftp://push.example.com/x")


def test_authorization_header_carries_a_token_py_vapid_verifies() -> None:
    private, public = vapid.generate_keypair()
    exp = int(time.time()) + 3600
    header = vapid.authorization_header(
        vapid.load_private_key(private),
        audience="https://push.example.com",
        subject="mailto:ops@example.com",
        expires_at=exp,
    )
    match = re.fullmatch(r"vapid t=([\w.-]+), k=([\w-]+)", header)
    assert match is not None
    token, key = match.groups()
    assert key == public
    claims = vapid_jwt.decode(token, key)  # an independent ES256 verifier
    assert claims == {
        "aud": "https://push.example.com",
        "exp": exp,
        "sub": "mailto:ops@example.com",
    }
    _, other = vapid.generate_keypair()
    with pytest.raises(InvalidSignature):
        vapid_jwt.decode(token, other)
