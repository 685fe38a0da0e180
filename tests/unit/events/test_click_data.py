"""click.recorded, built as a plain dict for every person's click, is exactly what
``ClickRecorded`` says: the same keys in the same order, the same values and subject."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from herald.events import CATALOGUE, EventType
from herald.events.schemas import ClickRecorded
from herald.tracking.clicks import NewClick, click_events

ids = st.none() | st.integers(1, 2**62)
text = st.none() | st.text(max_size=12)
clicks = st.builds(
    NewClick,
    source=st.sampled_from(["callback", "start", "link"]),
    clicked_at=st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    promo_id=ids,
    cta=st.none() | st.integers(0, 10),
    cta_text=text,
    link_id=ids,
    telegram_user_id=ids,
    username=text,
    recipient=text,
    chat_id=text,
    message_id=ids,
    meta=st.none() | st.just({"user_agent": "x"}),
    flag=st.none() | st.sampled_from(["head", "preview"]),
    variant=st.none() | st.sampled_from("AB"),
)


@given(st.lists(clicks, max_size=5))
def test_each_event_is_what_its_model_says(batch: list[NewClick]) -> None:
    people = [c for c in batch if c.flag is None]
    events = click_events(batch)
    assert len(events) == len(people)  # a flagged hit makes no event
    for event, c in zip(events, people, strict=True):
        model = ClickRecorded(
            source=c.source,  # type: ignore[arg-type]
            promo_id=c.promo_id,
            cta=c.cta,
            cta_text=c.cta_text,
            link_id=c.link_id,
            telegram_user_id=c.telegram_user_id,
            username=c.username,
            recipient=c.recipient,
            chat_id=c.chat_id,
            message_id=c.message_id,
            clicked_at=c.clicked_at,
        )
        assert event.type is EventType.CLICK_RECORDED is CATALOGUE[event.type].TYPE
        assert list(event.data.items()) == list(model.model_dump(mode="json").items())
        assert event.subject == model.subject()
        assert event.occurred_at == c.clicked_at
    assert len({e.id for e in events}) == len(events)
