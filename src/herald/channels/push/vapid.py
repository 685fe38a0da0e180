"""VAPID (RFC 8292) keys and tokens: what identifies herald to browsers' push services.

Keys travel as base64url without padding, the form the web-push ecosystem shares: the
private key is the raw 32-byte P-256 scalar (what pywebpush and web-push accept), the
public key the 65-byte uncompressed point (what browsers take as applicationServerKey).
Error messages never quote the private key, since they end up in logs and CLI output.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_JWT_HEADER = {"typ": "JWT", "alg": "ES256"}
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$", re.IGNORECASE)


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(value: str) -> bytes:
    """Decodes base64url or standard base64, padded or not (keys get pasted in any form)."""
    text = "".join(value.split()).replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64url") from None


def generate_keypair() -> tuple[str, str]:
    """A new (private, public) pair for `herald vapid generate`."""
    key = ec.generate_private_key(ec.SECP256R1())
    return encode_private_key(key), encode_public_key(key.public_key())


def encode_private_key(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))


def encode_public_key(key: ec.EllipticCurvePublicKey) -> str:
    return b64url_encode(
        key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def load_private_key(private_key: str) -> ec.EllipticCurvePrivateKey:
    """Reads a P-256 private key: raw 32-byte scalar (base64url), base64 DER, or PEM.

    DER and PEM are accepted because py_vapid's `vapid --gen` writes PEM and pywebpush
    takes DER; the raw form is what `generate_keypair` produces.
    """
    text = private_key.strip()
    if not text:
        raise ValueError("VAPID private key is empty")
    try:
        if text.startswith("-----BEGIN"):
            loaded = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) == 32:
                return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            loaded = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError, UnicodeError):
        # The underlying message may echo key material; say only what was expected.
        raise ValueError(
            "VAPID private key is malformed: expected the raw 32-byte P-256 key as "
            "base64url (as `herald vapid generate` prints), or a DER/PEM P-256 key"
        ) from None
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or not isinstance(
        loaded.curve, ec.SECP256R1
    ):
        raise ValueError("VAPID private key is not a P-256 (prime256v1) EC key")
    return loaded


def load_public_key(public_key: str) -> ec.EllipticCurvePublicKey:
    """Reads the 65-byte uncompressed point browsers use as applicationServerKey."""
    try:
        raw = b64url_decode(public_key)
    except ValueError:
        raise ValueError("VAPID public key is malformed: not valid base64url") from None
    if len(raw) != 65 or raw[0] != 0x04:
        raise ValueError(
            f"VAPID public key is malformed: expected a 65-byte uncompressed P-256 point, "
            f"got {len(raw)} bytes"
        )
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValueError("VAPID public key is malformed: not a point on P-256") from None


def public_key_for(private_key: str) -> str:
    """The applicationServerKey to give browsers for this private key."""
    return encode_public_key(load_private_key(private_key).public_key())


def check_pair(private_key: str, public_key: str) -> None:
    """Raises ValueError unless both keys are well-formed and belong together.

    Browsers subscribed with the public key; signing with any other private key makes
    every push fail with 401/403, so `herald doctor` checks this before anything is sent.
    """
    derived = public_key_for(private_key)
    load_public_key(public_key)
    if b64url_decode(derived) != b64url_decode(public_key):
        raise ValueError(
            "VAPID keys do not match: the public key is not derived from the private key "
            f"(the private key's public key is {derived})"
        )


def check_subject(subject: str) -> None:
    """RFC 8292 asks for a contact: a mailto: address or an https: URL."""
    if _MAILTO.match(subject):
        return
    parts = urlsplit(subject)
    if parts.scheme == "https" and parts.hostname:
        return
    raise ValueError(
        f"VAPID subject {subject!r} must be a mailto: address or an https:// URL "
        "(push services use it to contact the sender)"
    )


def audience_for(endpoint: str) -> str:
    """The JWT audience: the origin of the push service that holds the subscription."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("push endpoint is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def sign_jwt(key: ec.EllipticCurvePrivateKey, claims: Mapping[str, object]) -> str:
    """An ES256 JWT (JWS compact form, raw r||s signature as RFC 7518 requires)."""
    header = b64url_encode(json.dumps(_JWT_HEADER, separators=(",", ":")).encode())
    body = b64url_encode(json.dumps(dict(claims), separators=(",", ":"), sort_keys=True).encode())
    signing_input = f"{header}.{body}"
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def authorization_header(
    key: ec.EllipticCurvePrivateKey, *, audience: str, subject: str, expires_at: int
) -> str:
    """The RFC 8292 `Authorization: vapid t=<jwt>, k=<public key>` value."""
    token = sign_jwt(key, {"aud": audience, "exp": expires_at, "sub": subject})
    return f"vapid t={token}, k={encode_public_key(key.public_key())}"
