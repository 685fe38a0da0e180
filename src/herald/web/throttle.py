"""A per-key token bucket for the HTTP face: brute force on sign-in, floods on ``/r/``.

A pure policy value: the caller passes the (monotonic) time in, so tests need no
clock and the hot path pays for no call. Each check is a few dictionary operations
(O(1), no lock, no await: it runs on the event loop between awaits, so no two checks
interleave). The number of keys is bounded: past ``max_keys`` the least recently
seen key is forgotten, so a flood from many addresses costs bounded memory, and a
forgotten key only comes back with a full bucket, which is what an idle key has.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# Refill arithmetic leaves tokens like 0.9999999999; count those as whole.
_EPSILON = 1e-9


class Throttle:
    """``check(key, now)``: 0 if ``key`` may go on now (a token is spent), else the
    seconds until it may. A refused call spends nothing: a client that waits as told
    gets through, and hammering does not push its own wait further out.
    """

    __slots__ = ("_buckets", "burst", "max_keys", "per_second")

    def __init__(self, per_second: float, burst: int, max_keys: int = 100_000) -> None:
        if per_second <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("per_second must be > 0, burst and max_keys >= 1")
        self.per_second = float(per_second)
        self.burst = burst
        self.max_keys = max_keys
        # key -> [tokens, updated]; least recently seen first.
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    @classmethod
    def per_minute(
        cls, count: float, burst: int | None = None, max_keys: int = 100_000
    ) -> Throttle:
        """``count`` calls a minute, at most ``burst`` (default: ``count``, at least 1) at once."""
        size = burst if burst is not None else max(1, int(count))
        return cls(count / 60.0, size, max_keys)

    def check(self, key: str, now: float) -> float:
        buckets = self._buckets
        state = buckets.get(key)
        if state is None:
            if len(buckets) >= self.max_keys:
                buckets.popitem(last=False)
            buckets[key] = [self.burst - 1.0, now]
            return 0.0
        buckets.move_to_end(key)
        tokens, updated = state
        if now > updated:
            tokens = min(self.burst, tokens + (now - updated) * self.per_second)
            state[1] = now
        if tokens >= 1.0 - _EPSILON:
            state[0] = tokens - 1.0
            return 0.0
        state[0] = tokens
        return (1.0 - tokens) / self.per_second

    def __len__(self) -> int:
        """How many keys are remembered (at most ``max_keys``)."""
        return len(self._buckets)


@lru_cache(maxsize=4096)
def _ipv6_key(host: str) -> str:
    """An IPv6 client's /64: one subscriber holds a whole /64, and would otherwise have
    2**64 keys to spread a flood over (an IPv4-mapped address is its IPv4 address)."""
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False).network_address) + "/64"


def client_key(connection: Mapping[str, Any]) -> str:
    """Whom a request counts against: its address (uvicorn puts the X-Forwarded-For one
    there for a proxy it trusts), an IPv6 one by its /64. ``connection`` is a request or
    its bare ASGI scope (a Starlette request reads as its scope)."""
    client = connection.get("client")
    host: str = client[0] if client else ""
    return _ipv6_key(host) if ":" in host else host
