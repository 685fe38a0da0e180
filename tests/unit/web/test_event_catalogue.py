"""The OpenAPI document names each event's data: one webhooks entry per event type."""

from __future__ import annotations

from pathlib import Path

from herald.config import Settings
from herald.events import CATALOGUE
from herald.web.app import create_app


def test_every_event_type_is_an_openapi_webhook_with_its_data_model(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", secret_key="k" * 32)
    document = create_app(settings).openapi()
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) == {str(t) for t in CATALOGUE}
    schemas = document["components"]["schemas"]
    for type_, model in CATALOGUE.items():
        body = document["webhooks"][str(type_)]["post"]["requestBody"]["content"]
        envelope = schemas[body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
        assert set(envelope["required"]) == {"type", "timestamp", "data"}
        assert envelope["properties"]["type"]["const"] == str(type_)
        assert envelope["properties"]["data"]["$ref"] == f"#/components/schemas/{model.__name__}"
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)
