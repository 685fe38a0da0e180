"""The catalogue as schemas: one model per event type, its example valid, its docs current
(regenerate them with `herald events docs --write docs/webhooks.md`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from herald.cli.main import app
from herald.events import CATALOGUE, EventType
from herald.events import docs as catalogue
from herald.events.schemas import DeliverySent, EventData

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_every_event_type_has_its_model() -> None:
    assert set(CATALOGUE) == set(EventType)
    assert all(model.TYPE is type_ for type_, model in CATALOGUE.items())


@pytest.mark.parametrize("model", CATALOGUE.values(), ids=lambda m: str(m.TYPE))
def test_the_example_is_valid_data_and_its_event_round_trips(model: type[EventData]) -> None:
    example = model.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    data = model.model_validate(example)
    event = data.event(AT)
    assert (event.type, event.occurred_at) == (model.TYPE, AT)
    assert event.subject == data.subject() and event.subject.split(":")[0] in model.SUBJECT
    assert model.model_validate(event.data) == data  # what is recorded reads back


def test_data_that_does_not_match_its_schema_is_refused() -> None:
    good = {
        "delivery_id": 1,
        "channel": "email",
        "recipient": "a@example.com",
        "lane": "transactional",
        "notification_id": None,
        "campaign": None,
        "attempts": 1,
        "provider_message_id": None,
        "sent_at": AT,
    }
    assert DeliverySent(**good).event(AT).data["sent_at"] == "2026-12-07T08:00:00Z"
    with pytest.raises(ValidationError):
        DeliverySent(**{**good, "channel": "fax"})
    with pytest.raises(ValidationError):
        DeliverySent(**good, unexpected=1)


def test_the_committed_catalogue_matches_the_models() -> None:
    assert catalogue.section(DOC.read_text()) == catalogue.render(), (
        "docs/webhooks.md's catalogue is stale: run `herald events docs --write docs/webhooks.md`"
    )


def test_regenerating_keeps_the_rest_of_the_document() -> None:
    old = f"{catalogue.BEGIN}\nold\n{catalogue.END}"
    document = f"# Webhooks\n\nhand-written\n\n{old}\n\n## After\n"
    replaced = catalogue.replace(document)
    assert replaced.startswith("# Webhooks\n\nhand-written\n\n")
    assert replaced.endswith(f"{catalogue.END}\n\n## After\n")
    assert catalogue.section(replaced) == catalogue.render()
    assert catalogue.replace(replaced) == replaced
    assert catalogue.section(catalogue.replace("# Empty\n")) == catalogue.render()


def test_the_cli_writes_the_section_into_a_file_and_prints_it(tmp_path: Path) -> None:
    target = tmp_path / "webhooks.md"
    target.write_text("# Webhooks\n\n## Endpoints\n\nby hand\n")
    written = CliRunner().invoke(app, ["events", "docs", "--write", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text().startswith("# Webhooks\n\n## Endpoints\n\nby hand\n\n")
    assert catalogue.section(target.read_text()) == catalogue.render()
    printed = CliRunner().invoke(app, ["events", "docs"])
    assert printed.output == catalogue.render()
