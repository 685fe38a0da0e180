"""One-time dashboard sign-in links, which `herald serve` prints in dev mode.

A newcomer sees the dashboard without first creating a key in a second terminal. The
link's token is stored as its SHA-256, like an API key's; using it creates a key of
the link's role (its secret never shown) for the dashboard session to stand on, so
the session is an API-key session in every other respect: its CSRF token, its
expiry, "Keys" lists it and revoking it signs the browser out.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update

from herald.auth.keys import Principal, Role, hash_key, insert_key
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import sign_in_links

LINK_PREFIX = "hl_"
LINK_LIFETIME = timedelta(minutes=15)
LINK_KEY_NAME = "dashboard sign-in link"


class Refusal(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class LinkRefused(Exception):
    """The token is not (or no longer) a way in; ``reason`` says which."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


class SignInLinks:
    def __init__(self, db: Database, clock: Clock, lifetime: timedelta = LINK_LIFETIME) -> None:
        self._db = db
        self._clock = clock
        self.lifetime = lifetime

    async def create(self, role: Role = Role.OWNER) -> str:
        """A new link's token, valid once within ``lifetime``; never retrievable again."""
        token = LINK_PREFIX + secrets.token_urlsafe(32)
        now = self._clock.now()
        async with self._db.write() as conn:
            await conn.execute(
                insert(sign_in_links).values(
                    token_hash=hash_key(token),
                    role=role.value,
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return token

    async def check(self, token: str) -> Refusal | None:
        """Why ``token`` would be refused, or None if it would sign in (nothing is used)."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(sign_in_links).where(sign_in_links.c.token_hash == _digest(token))
                )
            ).first()
        return _refusal(row, self._clock.now())

    async def redeem(self, token: str) -> Principal:
        """Use the link: the principal of the key created for its session, or LinkRefused.

        The key and the link's use commit together, and the use is conditional on the
        link being unused, so two presses at once sign in one browser, not two.
        """
        t = sign_in_links
        now = self._clock.now()
        async with self._db.write() as conn:
            row = (await conn.execute(select(t).where(t.c.token_hash == _digest(token)))).first()
            refusal = _refusal(row, now)
            if row is None or refusal is not None:
                raise LinkRefused(refusal or Refusal.UNKNOWN)
            role = Role(row.role)
            key, _ = await insert_key(conn, LINK_KEY_NAME, role, now)
            used = await conn.execute(
                update(t)
                .where(t.c.id == row.id, t.c.used_at.is_(None))
                .values(used_at=now, key_id=key.id)
            )
            if used.rowcount != 1:
                raise LinkRefused(Refusal.USED)  # rolls the key back
        return Principal(key.id, key.name, role)


def _digest(token: str) -> str:
    # Anything else is not ours: hash a fixed value so no row can match.
    return hash_key(token if token.startswith(LINK_PREFIX) else "")


def _refusal(row: Any, now: datetime) -> Refusal | None:
    if row is None:
        return Refusal.UNKNOWN
    if row.used_at is not None:
        return Refusal.USED
    if now >= row.expires_at:
        return Refusal.EXPIRED
    return None
