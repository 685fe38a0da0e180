"""API keys with roles, stored as SHA-256 hashes.

Keys are 32 random bytes, so a plain SHA-256 (no salt, no slow KDF) cannot be
brute-forced, and lookup is one indexed equality. The key is shown once, when
created; afterwards only its prefix identifies it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import api_keys

KEY_PREFIX = "hk_"
# Writing last_used_at on every request would make each API call a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# A key found valid is believed for this long without asking the database again: at a
# market event every alert is a request, and the lookup was a third of its cost. A
# revocation takes effect at once in the process that revoked the key, and within
# this many seconds in every other process.
AUTH_CACHE_SECONDS = 5.0
# Distinct keys remembered at most (a deployment has a handful; the bound is a guard).
AUTH_CACHE_SIZE = 1024


class Role(StrEnum):
    """Owner: everything; admin: sending, content and schedules; viewer: read only."""

    VIEWER = "viewer"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return (Role.VIEWER, Role.ADMIN, Role.OWNER).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def insert_key(
    conn: AsyncConnection, name: str, role: Role, now: datetime
) -> tuple[ApiKey, str]:
    """A new key written in the caller's transaction: the stored key and its secret."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    prefix = secret[: len(KEY_PREFIX) + 6]
    key_id = await conn.scalar(
        insert(api_keys)
        .values(
            name=name, role=role.value, prefix=prefix, key_hash=hash_key(secret), created_at=now
        )
        .returning(api_keys.c.id)
    )
    assert key_id is not None
    return ApiKey(int(key_id), name, role, prefix, now, None, None), secret


class ApiKeys:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._believed: dict[str, tuple[Principal, float]] = {}  # digest -> until when

    async def create(self, name: str, role: Role) -> tuple[ApiKey, str]:
        """Returns the stored key and the secret, which is never retrievable again."""
        async with self._db.write() as conn:
            return await insert_key(conn, name, role, self._clock.now())

    async def authenticate(self, secret: str) -> Principal | None:
        if not secret.startswith(KEY_PREFIX):
            return None
        digest = hash_key(secret)
        believed = self._believed.get(digest)
        if believed is not None and self._clock.monotonic() < believed[1]:
            return believed[0]
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(api_keys).where(
                        api_keys.c.key_hash == digest, api_keys.c.revoked_at.is_(None)
                    )
                )
            ).first()
        if row is None:
            return None
        now = self._clock.now()
        last = row.last_used_at
        if last is None or now - last > LAST_USED_RESOLUTION:
            async with self._db.write() as conn:
                await conn.execute(
                    update(api_keys).where(api_keys.c.id == row.id).values(last_used_at=now)
                )
        principal = Principal(int(row.id), row.name, Role(row.role))
        if len(self._believed) >= AUTH_CACHE_SIZE:
            self._believed.clear()
        self._believed[digest] = (principal, self._clock.monotonic() + AUTH_CACHE_SECONDS)
        return principal

    async def active(self, key_id: int, issued_at: datetime) -> Principal | None:
        """The principal of a dashboard session issued at ``issued_at``: none if the key
        is gone, revoked, or was signed out of the dashboard since."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                )
            ).first()
        if row is None or (row.signed_out_at is not None and issued_at < row.signed_out_at):
            return None
        return Principal(int(row.id), row.name, Role(row.role))

    async def sign_out(self, key_id: int) -> None:
        """End every dashboard session of the key (a copied cookie too)."""
        async with self._db.write() as conn:
            await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id)
                .values(signed_out_at=self._clock.now())
            )

    async def list(self) -> list[ApiKey]:
        async with self._db.read() as conn:
            rows = (await conn.execute(select(api_keys).order_by(api_keys.c.id))).all()
        return [
            ApiKey(
                int(r.id),
                r.name,
                Role(r.role),
                r.prefix,
                r.created_at,
                r.last_used_at,
                r.revoked_at,
            )
            for r in rows
        ]

    async def revoke(self, key_id: int) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self._clock.now())
            )
        self._believed = {d: b for d, b in self._believed.items() if b[0].key_id != key_id}
        return bool(result.rowcount)
