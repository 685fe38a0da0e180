"""A valid key is believed for a few seconds without a query; a revocation is seen at
once by the process that made it and within AUTH_CACHE_SECONDS by every other."""

from __future__ import annotations

from herald.auth import ApiKeys, Role
from herald.auth.keys import AUTH_CACHE_SECONDS
from herald.clock import FakeClock
from herald.db import Database


async def test_revocation_reaches_every_process_within_the_cache_time(
    db: Database, clock: FakeClock
) -> None:
    here, elsewhere = ApiKeys(db, clock), ApiKeys(db, clock)  # two processes' views
    key, secret = await here.create("ops", Role.ADMIN)
    assert (await here.authenticate(secret)) is not None
    assert (await elsewhere.authenticate(secret)) is not None

    await here.revoke(key.id)
    assert await here.authenticate(secret) is None  # at once where it was revoked
    assert await elsewhere.authenticate(secret) is not None  # still believed there...
    clock.advance(AUTH_CACHE_SECONDS + 0.1)
    assert await elsewhere.authenticate(secret) is None  # ...but not for long
