"""What one Throttle check costs (the /r/ hot path makes one per request).

Two cases: keys that are all remembered, and a flood of distinct keys larger than
``max_keys``, so each check also evicts the least recently seen key. Best of five
rounds. Run: ``.venv/bin/python bench/throttle.py``.
"""

from __future__ import annotations

import time

from herald.web.throttle import Throttle


def per_check(throttle: Throttle, keys: list[str]) -> float:
    rounds = []
    for r in range(5):
        started = time.perf_counter()
        for i, key in enumerate(keys):
            throttle.check(key, r + i * 1e-5)
        rounds.append((time.perf_counter() - started) / len(keys))
    return min(rounds)


def main() -> None:
    keys = [f"10.0.{i >> 8}.{i & 255}" for i in range(20_000)]
    known = Throttle(per_second=50.0, burst=500, max_keys=100_000)
    flood = Throttle(per_second=50.0, burst=500, max_keys=10_000)
    print("| case | us per check |\n| --- | ---: |")
    print(f"| 20,000 remembered keys | {per_check(known, keys) * 1e6:.2f} |")
    print(f"| 20,000 keys, max_keys 10,000 (evicting) | {per_check(flood, keys) * 1e6:.2f} |")


if __name__ == "__main__":
    main()
