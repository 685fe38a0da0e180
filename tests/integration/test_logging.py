"""Structured logs: JSON lines in prod, worker context on every delivery line, no secrets."""

from __future__ import annotations

import logging

import pytest
import structlog

from herald.clock import FakeClock
from herald.queue import DeliveryQueue, NewDelivery, Permanent, Transient
from herald.worker import ChannelPlan, Worker
from tests.support.logs import log_lines
from tests.support.senders import ScriptedSender


async def test_worker_lines_carry_delivery_channel_lane_and_attempt(
    json_logs: pytest.CaptureFixture[str], queue: DeliveryQueue, clock: FakeClock
) -> None:
    sender = ScriptedSender("telegram", clock, {"1": [Transient("502")], "2": [Permanent("403")]})
    for r in ("1", "2"):
        await queue.enqueue(NewDelivery("telegram", r, {}))
    await Worker(queue, {"telegram": ChannelPlan(sender)}).drain()

    events = {e["event"]: e for e in log_lines(json_logs)}
    for name in ("delivery_retry", "delivery_dead_lettered"):
        event = events[name]
        assert {"delivery_id", "channel", "lane", "attempt"} <= event.keys()
        assert (event["channel"], event["lane"], event["attempt"]) == (
            "telegram",
            "transactional",
            1,
        )


def test_secrets_bound_to_a_log_line_are_redacted(json_logs: pytest.CaptureFixture[str]) -> None:
    structlog.get_logger("t").info("login", password="hunter2", api_token="abc123", user="ann")
    logging.getLogger("uvicorn.error").info("from the standard library")

    out = log_lines(json_logs)
    assert out[0]["password"] == "***"
    assert out[0]["api_token"] == "***"
    assert out[0]["user"] == "ann"
    assert out[1]["event"] == "from the standard library"
    assert out[1]["logger"] == "uvicorn.error"


def test_a_bot_token_in_any_log_line_is_masked(json_logs: pytest.CaptureFixture[str]) -> None:
    token = "123456789:AAHfakeFAKEfakeFAKEfakeFAKEfake_abcde"
    logging.getLogger("httpx").warning(f"HTTP Request: POST https://api.telegram.org/bot{token}/x")
    structlog.get_logger("t").info(
        "sending", url=f"https://api.telegram.org/bot{token}/sendMessage"
    )

    text = json_logs.readouterr().err
    assert token not in text
    assert text.count("<bot-token>") == 2
