"""`herald webhooks ...` as real subprocesses on one SQLite file: the secret printed by
add and rotate-secret only, JSON on stdout, and refusals as one line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import herald, herald_env, single_error

PUBLIC = "https://93.184.216.34/hooks/herald"


def test_an_endpoint_from_add_to_delete(tmp_path: Path) -> None:
    env = herald_env(tmp_path / "h.db")

    def run(*args: str) -> str:
        result = herald(*args, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("migrate")
    added = json.loads(
        run("webhooks", "add", PUBLIC, "-e", "delivery.*", "--max-in-flight", "2", "--json")
    )
    assert added["secret"].startswith("whsec_") and added["events"] == ["delivery.*"]
    assert added["max_in_flight"] == 2 and added["rate_per_second"] is None
    hook = str(added["id"])

    listed = run("webhooks", "list", "--json")
    assert [e["id"] for e in json.loads(listed)] == [added["id"]]
    assert added["secret"] not in listed
    shown = run("webhooks", "show", hook)
    assert PUBLIC in shown and "delivery.*" in shown and added["secret"] not in shown
    assert "limits: 2 in flight (own), 20/s (default)" in shown

    disabled = json.loads(
        run("webhooks", "update", hook, "--disable", "-e", "*", "--rate", "0.5", "--json")
    )
    assert disabled["enabled"] is False and disabled["events"] == ["*"]
    assert disabled["max_in_flight"] == 2 and disabled["rate_per_second"] == 0.5
    defaults = json.loads(run("webhooks", "update", hook, "--default-limits", "--json"))
    assert defaults["max_in_flight"] is None and defaults["rate_per_second"] is None
    too_many = herald("webhooks", "update", hook, "--max-in-flight", "0", env=env, cwd=tmp_path)
    assert too_many.returncode == 1
    assert single_error(too_many) == "error: max_in_flight: a whole number from 1 to 1000, or null"
    rotated = json.loads(run("webhooks", "rotate-secret", hook, "--json"))
    assert rotated["secret"] != added["secret"] and rotated["previous_secret_until"]
    assert "webhook.test queued" in run("webhooks", "test", hook)
    assert f"webhook {hook} deleted" in run("webhooks", "delete", hook)

    refused = herald("webhooks", "add", "https://10.0.0.1/h", env=env, cwd=tmp_path)
    assert refused.returncode == 1 and refused.stdout == ""
    assert single_error(refused).startswith(
        "error: url: 10.0.0.1 resolves to 10.0.0.1 is a private"
    )
    missing = herald("webhooks", "show", hook, env=env, cwd=tmp_path)
    assert missing.returncode == 1 and f"no webhook endpoint {hook}" in single_error(missing)
