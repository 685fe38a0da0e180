"""The delivery events' data, built as plain dicts on the hot path, is exactly what their
models say: the same keys in the same order, the same values, valid against the
schema the catalogue and the OpenAPI document publish."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from herald.channel import WEBHOOK_CHANNEL, Channel
from herald.events import CATALOGUE, EventType
from herald.events.schemas import DeliveryDeadLettered, DeliverySent
from herald.queue import Lane, Permanent, Result, Sent, State, Transient
from herald.queue.models import Delivery
from herald.queue.policy import Decision
from herald.worker.delivery_events import delivery_events

AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
PEOPLE = [str(c) for c in Channel if str(c) != WEBHOOK_CHANNEL]
text = st.text(max_size=12)


def delivery(id_: int, channel: str, lane: Lane, attempts: int, **nullable: object) -> Delivery:
    return Delivery(
        id=id_,
        lane=lane,
        channel=channel,
        recipient=str(nullable.get("recipient", "123")),
        ordering_key=None,
        payload={},
        state=State.RUNNING,
        attempts=attempts,
        max_attempts=5,
        run_at=AT,
        locked_until=None,
        locked_by="w",
        last_error=None,
        provider_message_id=None,
        idempotency_key=None,
        campaign=nullable.get("campaign"),  # type: ignore[arg-type]
        created_at=AT,
        finished_at=None,
        notification_id=nullable.get("notification_id"),  # type: ignore[arg-type]
    )


def expected(result: Result, decision: Decision, now: datetime) -> dict[str, object]:
    """The data as the models build it (what the builders replaced)."""
    d = result.delivery
    common = {
        "delivery_id": d.id,
        "channel": d.channel,
        "recipient": d.recipient,
        "lane": d.lane.label,
        "notification_id": d.notification_id,
        "campaign": d.campaign,
        "attempts": d.attempts,
    }
    if decision.state is State.SENT:
        model = DeliverySent(
            **common, provider_message_id=decision.provider_message_id, sent_at=now
        )
    else:
        reason = getattr(result.outcome, "reason", None) or "dead"
        error = decision.error or reason
        model = DeliveryDeadLettered(**common, reason=reason, error=error, dead_at=now)
    return model.model_dump(mode="json")


outcomes = st.builds(
    lambda id_, channel, lane, attempts, recipient, campaign, nid, sent, message, error: (
        Result(
            delivery(
                id_,
                channel,
                lane,
                attempts,
                recipient=recipient,
                campaign=campaign,
                notification_id=nid,
            ),
            Sent(message) if sent else Permanent(error or "x", error or "blocked"),
        ),
        Decision(State.SENT, provider_message_id=message, finished=True)
        if sent
        else Decision(State.DEAD, error=error, finished=True),
    ),
    st.integers(1, 2**62),
    st.sampled_from(PEOPLE),
    st.sampled_from(list(Lane)),
    st.integers(1, 20),
    text,
    st.none() | text,
    st.none() | st.integers(1, 2**62),
    st.booleans(),
    st.none() | text,
    st.none() | text,
)
# herald's clocks are UTC (a model would keep another offset; the builders write UTC,
# as the catalogue says the data's times are).
moments = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))


@given(st.lists(outcomes, max_size=5), moments)
def test_each_event_is_what_its_model_says(
    batch: list[tuple[Result, Decision]], now: datetime
) -> None:
    events = delivery_events(batch, now)
    assert len(events) == len(batch)
    for event, (result, decision) in zip(events, batch, strict=True):
        data = expected(result, decision, now)
        model = CATALOGUE[event.type]
        assert model.TYPE is event.type
        assert list(event.data.items()) == list(data.items())  # keys in the model's order
        assert event.subject == model.model_validate(event.data).subject()
        assert event.occurred_at == now
    assert len({e.id for e in events}) == len(events)
    assert all(e.id.startswith("evt_") and len(e.id) == 36 for e in events)


def test_retries_and_webhook_deliveries_make_no_event() -> None:
    retry = (
        Result(delivery(1, "telegram", Lane.TRANSACTIONAL, 1), Transient("502")),
        Decision(State.PENDING, run_at=AT, error="502"),
    )
    webhook = (
        Result(delivery(2, WEBHOOK_CHANNEL, Lane.TRANSACTIONAL, 1), Sent()),
        Decision(State.SENT, finished=True),
    )
    sent = (
        Result(delivery(3, "email", Lane.CAMPAIGN, 2), Sent("m")),
        Decision(State.SENT, provider_message_id="m", finished=True),
    )
    [event] = delivery_events([retry, webhook, sent], AT)
    assert (event.type, event.subject) == (EventType.DELIVERY_SENT, "delivery:3")
    assert event.data["sent_at"] == "2026-12-07T08:00:00Z"
