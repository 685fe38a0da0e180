"""Schemathesis against the app's own OpenAPI schema: every operation, three callers.

Each generated request (valid and invalid ones) is sent with no key, with a viewer
key and with an owner key, in that order: none of them gets a 5xx, without a key every
/api/v1 operation is a 401, and a viewer's request that could change something is a
403 (the same request that, as the owner, goes on to do it). On SQLite and on
PostgreSQL (which refuses text SQLite keeps: NUL characters, lone surrogates), on the
app from ``create_app`` through its ASGI interface.

The operations are driven one by one with ``as_strategy`` rather than through
schemathesis' pytest plugin: its fixture-built schemas read a pytest-internal attribute
that pytest 9 no longer has, and one app with the case generated once and sent three
times keeps the run short.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from herald.auth import ApiKeys, Role
from herald.clock import SystemClock
from herald.config import Settings, load_settings
from herald.db import Database, migrate
from herald.web import create_app

API = "/api/v1"
# POSTs under /api/v1 that render something and store nothing: a viewer may use them.
READ_ONLY_POSTS = {
    f"{API}/templates/{{name}}/preview",
    f"{API}/guides/preview",
    f"{API}/promos/preview",
}
BODY_NOT_JSON = '{"detail":"There was an error parsing the body"}'
CALLERS = ("none", "viewer", "owner")  # the owner last: its requests may delete things
# Examples per operation and generation mode. No shrinking: a failing example is
# reported as found, with its request in the message (shrinking it through the app
# costs more than the whole run).
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 30, schemathesis.GenerationMode.NEGATIVE: 15}
# On SQLite a third of them: it keeps what PostgreSQL refuses, so nearly every fault
# either run can find the PostgreSQL run finds too, and the pair took about 12 minutes
# of the suite's two processes (a third of the suite).
SQLITE_SHARE = 3
FUZZ = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    database=None,
)


async def _keys(settings: Settings) -> dict[str, str]:
    """Migrate, then an owner and a viewer key (the app's own loop does not exist yet)."""
    db = Database(settings.database_url)
    try:
        await migrate.upgrade(db)
        keys = ApiKeys(db, SystemClock())
        return {r.value: (await keys.create(f"fuzz {r}", r))[1] for r in (Role.OWNER, Role.VIEWER)}
    finally:
        await db.dispose()


def required_status(caller: str, method: str, path: str) -> int | None:
    """The status ``caller`` must get whatever the input, when there is one."""
    if not path.startswith(API + "/"):
        return None
    if caller == "none":
        return 401
    if caller == "viewer" and method != "GET" and path not in READ_ONLY_POSTS:
        return 403
    return None


def unparsable_body(response: schemathesis.Response) -> bool:
    """FastAPI decodes a JSON body before it runs any dependency, the key check too: a
    body that is not JSON is a 400 (not UTF-8) or a 422 (json_invalid) whoever sends
    it, and nothing runs."""
    if response.status_code == 400:
        return bool(response.text == BODY_NOT_JSON)
    if response.status_code == 422:
        detail = response.json().get("detail")
        return isinstance(detail, list) and [e.get("type") for e in detail] == ["json_invalid"]
    return False


@pytest.mark.slow  # minutes: every operation, 45 examples, three callers
def test_no_server_error_and_keys_and_roles_hold(database_url: str) -> None:
    app_settings = load_settings(
        env="dev", database_url=database_url, public_url="https://herald.example.com"
    )
    keys = asyncio.run(_keys(app_settings))
    headers = {c: {"Authorization": f"Bearer {keys[c]}"} if c in keys else {} for c in CALLERS}
    # The app owns its runtime; schemathesis runs the lifespan on a loop of its own and
    # ends it after the test (its plugin's teardown hook).
    app = create_app(app_settings, run_worker=False, run_scheduler=False, poll_updates=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    failures: list[str] = []
    operations = 0
    share = SQLITE_SHARE if database_url.startswith("sqlite") else 1
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the schema is valid OpenAPI
        operation = result.ok()
        operations += 1
        for mode, examples in EXAMPLES.items():
            try:
                fuzz(operation, mode, max(1, examples // share), headers)
            except Unsatisfiable:
                pass  # nothing of the operation can be made invalid (no parameter, no body)
            except Exception as exc:  # every operation is tried, and all failures reported
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    assert operations > 40  # the schema was read
    assert not failures, "\n\n".join(failures)


def fuzz(
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
    mode: schemathesis.GenerationMode,
    examples: int,
    headers: dict[str, dict[str, str]],
) -> None:
    """Each generated case sent as every caller, checked for each."""
    method, path = operation.method.upper(), operation.path

    @settings(FUZZ, max_examples=examples)
    @given(case=operation.as_strategy(mode))
    def send(case: schemathesis.Case[Any]) -> None:
        for caller in CALLERS:
            sent = headers[caller]
            response = case.call(headers=sent)
            case.validate_response(response, checks=[not_a_server_error])
            # A negative case may drop or mangle the Authorization header itself: the
            # request then carries no valid key, whoever sent it.
            if response.request.headers.get("Authorization") != sent.get("Authorization"):
                caller = "none"
            wanted = required_status(caller, method, path)
            assert wanted in (None, response.status_code) or unparsable_body(response), (
                f"as {caller}: {wanted} expected, got {response.status_code} "
                f"for {case.as_curl_command()}: {response.text[:300]}"
            )

    send()
