"""Webhook endpoints over the HTTP API on both backends: create (the secret shown once),
read, change, delete, rotate, roles, and the refusal of URLs into private networks."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from herald.auth import Role
from herald.clock import FakeClock
from herald.config import load_settings
from herald.runtime import Runtime
from tests.support.app import serve

HOOKS = "/api/v1/webhooks"
PUBLIC = "https://93.184.216.34/hooks/herald"  # an IP literal: resolves with no network


def locs(response: Any) -> list[list[str | int]]:
    return [e["loc"] for e in response.json()["detail"]]


async def test_an_endpoint_is_created_read_changed_and_deleted(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, runtime = api
    created = await client.post(
        HOOKS,
        json={"url": PUBLIC, "events": ["delivery.*", "click.recorded"], "description": "crm"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["delivery.*", "click.recorded"] and body["enabled"] is True

    one = (await client.get(f"{HOOKS}/{body['id']}")).json()
    listed = (await client.get(HOOKS)).json()
    assert "secret" not in one and all("secret" not in e for e in listed)
    assert body["secret"] not in (await client.get(HOOKS)).text
    assert [e["id"] for e in listed] == [body["id"]]

    clock.advance(60)
    patched = await client.patch(f"{HOOKS}/{body['id']}", json={"events": ["*"], "enabled": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["events"] == ["*"] and patched.json()["enabled"] is False
    assert patched.json()["disabled_reason"] == "disabled by an operator"
    again = (await client.patch(f"{HOOKS}/{body['id']}", json={"enabled": True})).json()
    assert again["enabled"] is True and again["disabled_reason"] is None

    assert (await client.delete(f"{HOOKS}/{body['id']}")).status_code == 204
    assert (await client.get(f"{HOOKS}/{body['id']}")).status_code == 404
    assert (await client.delete(f"{HOOKS}/{body['id']}")).status_code == 404
    assert (await runtime.webhooks.all()) == []


async def test_an_endpoint_carries_its_own_limits_or_the_defaults(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = api
    body = {"url": PUBLIC, "events": ["*"], "max_in_flight": 1, "rate_per_second": 0.5}
    created = (await client.post(HOOKS, json=body)).json()
    assert created["max_in_flight"] == 1 and created["rate_per_second"] == 0.5
    one = f"{HOOKS}/{created['id']}"
    kept = (await client.patch(one, json={"description": "crm"})).json()
    assert kept["max_in_flight"] == 1 and kept["rate_per_second"] == 0.5  # absent: unchanged
    changed = (await client.patch(one, json={"max_in_flight": 8, "rate_per_second": None})).json()
    assert changed["max_in_flight"] == 8 and changed["rate_per_second"] is None
    assert (await client.get(one)).json()["max_in_flight"] == 8
    plain = (await client.post(HOOKS, json={"url": PUBLIC, "events": ["*"]})).json()
    assert plain["max_in_flight"] is None and plain["rate_per_second"] is None


REFUSED_LIMITS = [
    ({"max_in_flight": 0}, "max_in_flight"),
    ({"max_in_flight": 1001}, "max_in_flight"),
    ({"max_in_flight": 2.5}, "max_in_flight"),
    ({"max_in_flight": "4"}, "max_in_flight"),
    ({"max_in_flight": True}, "max_in_flight"),
    ({"rate_per_second": 0}, "rate_per_second"),
    ({"rate_per_second": -1}, "rate_per_second"),
    ({"rate_per_second": 10001}, "rate_per_second"),
    ({"rate_per_second": "fast"}, "rate_per_second"),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the rule, not the store
async def test_limits_out_of_range_are_refused_naming_the_field(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    created = (await client.post(HOOKS, json={"url": PUBLIC, "events": ["*"]})).json()
    for limits, field in REFUSED_LIMITS:
        refused = await client.post(HOOKS, json={"url": PUBLIC, "events": ["*"], **limits})
        assert refused.status_code == 422, (limits, refused.text)
        assert locs(refused) == [["body", field]], limits
        patched = await client.patch(f"{HOOKS}/{created['id']}", json=limits)
        assert patched.status_code == 422 and locs(patched) == [["body", field]], limits
    assert [e.max_in_flight for e in await runtime.webhooks.all()] == [None]


async def test_rotation_keeps_the_old_secret_signing_for_a_day(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, runtime = api
    first = (await client.post(HOOKS, json={"url": PUBLIC, "events": ["*"]})).json()
    rotated = await client.post(f"{HOOKS}/{first['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["secret"] != first["secret"] and second["secret"].startswith("whsec_")
    assert second["previous_secret_until"] is not None
    endpoint = await runtime.webhooks.get(first["id"])
    assert endpoint.signing_secrets(clock.now()) == [second["secret"], first["secret"]]
    clock.advance(24 * 3600)
    assert endpoint.signing_secrets(clock.now()) == [second["secret"]]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[fe80::1]/hook",
        "http://93.184.216.34/hook",
        "ftp://93.184.216.34/hook",
        "https://user:pw@93.184.216.34/hook",
    ],
)
async def test_urls_into_private_networks_are_refused_naming_url(
    api: tuple[AsyncClient, Runtime], url: str
) -> None:
    client, _ = api
    refused = await client.post(HOOKS, json={"url": url, "events": ["*"]})
    assert refused.status_code == 422, refused.text
    assert locs(refused) == [["body", "url"]]


async def test_a_change_of_url_is_checked_too(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    created = (await client.post(HOOKS, json={"url": PUBLIC, "events": ["*"]})).json()
    refused = await client.patch(f"{HOOKS}/{created['id']}", json={"url": "https://10.0.0.1/"})
    assert refused.status_code == 422 and locs(refused) == [["body", "url"]]
    assert (await client.get(f"{HOOKS}/{created['id']}")).json()["url"] == PUBLIC


async def test_unknown_event_types_are_refused_naming_events(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = api
    for events in (["delivery.sennt"], ["nothing.*"], []):
        refused = await client.post(HOOKS, json={"url": PUBLIC, "events": events})
        assert refused.status_code == 422, refused.text
        assert locs(refused)[0][:2] == ["body", "events"]


async def test_private_networks_are_allowed_when_the_setting_says_so(
    database_url: str, clock: FakeClock
) -> None:
    settings = load_settings(
        env="dev", database_url=database_url, webhooks={"allow_private_networks": True}
    )
    async with serve(settings, clock) as (client, _):
        created = await client.post(HOOKS, json={"url": "http://127.0.0.1:9/h", "events": ["*"]})
        assert created.status_code == 201, created.text


async def test_a_viewer_reads_but_does_not_change_endpoints(
    database_url: str, clock: FakeClock
) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, clock, role=Role.VIEWER) as (client, _):
        assert (await client.get(HOOKS)).status_code == 200
        refused = await client.post(HOOKS, json={"url": PUBLIC, "events": ["*"]})
        assert refused.status_code == 403
