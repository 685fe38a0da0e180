"""Reading the JSON log lines that the ``json_logs`` fixture captures on stderr."""

from __future__ import annotations

import json
from typing import Any

import pytest


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every non-empty stderr line captured so far, parsed as JSON (and consumed)."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
