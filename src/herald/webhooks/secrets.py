"""Signing secrets and signatures, exactly as the Standard Webhooks specification says.

A secret is ``whsec_`` + base64 of random bytes; the HMAC key is the decoded bytes. A
signature is ``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``; several
(during a rotation) are sent space-separated in one ``webhook-signature`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def key_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature per secret that signs now (the new one first, then the old)."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)
