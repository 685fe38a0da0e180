"""docs/configuration.md is what the settings class says (regenerate it with
`herald config docs --write docs/configuration.md`)."""

from __future__ import annotations

from pathlib import Path

from herald.config import Settings
from herald.config_docs import render

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_the_committed_file_matches_the_settings() -> None:
    assert DOC.read_text() == render(), (
        "docs/configuration.md is stale: run `herald config docs --write docs/configuration.md`"
    )


def test_every_setting_is_documented_with_a_meaning() -> None:
    text = render()
    for name in Settings.model_fields:
        assert f"`HERALD_{name.upper()}" in text
    rows = [line for line in text.splitlines() if line.startswith("| `HERALD_")]
    assert all(not line.endswith("|  |") for line in rows)
