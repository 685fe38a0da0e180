"""Which user agents and headers say a /r/ hit was no person (pure checks)."""

from __future__ import annotations

import pytest

from herald.tracking.humans import ClickFlag, agent_verdict, prefetched

BROWSERS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Telegram-iOS",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
)


@pytest.mark.parametrize("agent", BROWSERS)
def test_browsers_are_people(agent: str) -> None:
    assert agent_verdict(agent) is None


@pytest.mark.parametrize(
    ("agent", "flag", "matched"),
    [
        ("TelegramBot (like TwitterBot)", ClickFlag.PREVIEW, "TelegramBot"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1)", ClickFlag.CRAWLER, "Googlebot"),
        ("facebookexternalhit/1.1", ClickFlag.CRAWLER, "facebookexternalhit"),
        ("curl/8.5.0", ClickFlag.CRAWLER, "curl"),
        ("python-httpx/0.27.0", ClickFlag.CRAWLER, "python-httpx"),
    ],
)
def test_known_robots_are_flagged_with_what_matched(
    agent: str, flag: ClickFlag, matched: str
) -> None:
    assert agent_verdict(agent) == (flag, matched)


def test_prefetch_headers() -> None:
    assert prefetched({"sec-purpose": "prefetch;prerender"})
    assert prefetched({"purpose": "prefetch"})
    assert not prefetched({"accept-language": "en"})
