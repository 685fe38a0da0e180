"""The dashboard's session cookie: who logged in, with which role, and the CSRF token.

A browser logs in once with an API key; herald answers with a cookie that names the
key (never its secret), signed with an HMAC keyed by ``HERALD_SECRET_KEY``, so the
cookie cannot be forged or edited, and it expires. The key itself is checked again on
every request, so revoking it ends its sessions at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from herald.auth import Role

COOKIE = "herald_session"
LOGIN_COOKIE = "herald_login"  # the login form's CSRF token, before there is a session


@dataclass(frozen=True, slots=True)
class Session:
    key_id: int
    role: Role
    csrf: str
    issued_at: datetime


class SessionCodec:
    def __init__(self, secret_key: str, max_age: timedelta) -> None:
        self._key = hashlib.sha256(b"herald.dashboard.session\0" + secret_key.encode()).digest()
        self.max_age = max_age

    def issue(self, key_id: int, role: Role, now: datetime) -> tuple[Session, str]:
        millis = math.ceil(now.timestamp() * 1000)  # never before now: see ApiKeys.active
        issued = datetime.fromtimestamp(millis / 1000, tz=now.tzinfo)
        session = Session(key_id, role, secrets.token_urlsafe(24), issued)
        body = json.dumps(
            {"k": key_id, "r": role.value, "c": session.csrf, "t": millis},
            separators=(",", ":"),
        ).encode()
        encoded = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        return session, f"{encoded}.{self._sign(encoded)}"

    def read(self, cookie: str | None, now: datetime) -> Session | None:
        """The session, or None for a missing, forged, malformed or expired cookie."""
        if not cookie or cookie.count(".") != 1:
            return None
        encoded, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(encoded)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            issued = datetime.fromtimestamp(int(data["t"]) / 1000, tz=now.tzinfo)
            session = Session(int(data["k"]), Role(data["r"]), str(data["c"]), issued)
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None
        if not timedelta(0) <= now - issued <= self.max_age + timedelta(seconds=1):
            return None
        return session

    def _sign(self, encoded: str) -> str:
        digest = hmac.new(self._key, encoded.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a form's CSRF token with the one expected."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())
