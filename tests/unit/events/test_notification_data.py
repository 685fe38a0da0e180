"""notification.delivered, built as a plain dict for every delivered alert, is exactly
what ``NotificationDelivered`` says: the same keys in the same order, the same values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from hypothesis import given
from hypothesis import strategies as st

from herald.channel import WEBHOOK_CHANNEL, Channel
from herald.events import CATALOGUE, EventType, iso
from herald.events.schemas import ChannelError, NotificationDelivered
from herald.messaging.notification_events import delivered_event

PEOPLE = [str(c) for c in Channel if str(c) != WEBHOOK_CHANNEL]


class Row(NamedTuple):  # what the delivered mark's RETURNING gives
    id: int
    template: str
    channel: str
    delivery_id: int


@given(
    st.builds(
        Row, st.integers(1, 2**62), st.text(max_size=12), st.sampled_from(PEOPLE), st.integers(1)
    ),
    st.none() | st.text(max_size=12),
    st.dictionaries(st.sampled_from(PEOPLE), st.text(max_size=20), max_size=3),
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_delivered_is_what_its_model_says(
    row: Row, recipient: str | None, fallbacks: dict[str, str], now: datetime
) -> None:
    event = delivered_event(row, recipient, fallbacks, now, iso(now), "evt_1")
    model = NotificationDelivered(
        notification_id=row.id,
        recipient=recipient,
        template=row.template,
        channel=row.channel,  # type: ignore[arg-type]
        delivery_id=row.delivery_id,
        fallbacks=[ChannelError(channel=c, error=e) for c, e in fallbacks.items()],  # type: ignore[arg-type]
        delivered_at=now,
    )
    assert list(event.data.items()) == list(model.model_dump(mode="json").items())
    assert (event.type, event.subject) == (EventType.NOTIFICATION_DELIVERED, model.subject())
    assert CATALOGUE[event.type] is NotificationDelivered
    assert (event.occurred_at, event.id) == (now, "evt_1")
