"""`herald webhooks add|list|show|update|delete|rotate-secret|test`: the webhooks API
from the shell. A secret is printed by add and rotate-secret only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from herald.cli.common import (
    CliError,
    JsonOpt,
    fail,
    out_console,
    print_json,
    run_with_runtime,
)
from herald.runtime import Runtime
from herald.webhooks import Attempt, Endpoint, EndpointNotFound, NewEndpoint, WebhookRuleError

webhooks_app = typer.Typer(
    help="Webhook endpoints: the platform's URLs that hear herald's events.",
    no_args_is_help=True,
)
IdArg = Annotated[int, typer.Argument(help="Endpoint id (see `herald webhooks list`).", min=1)]
EventsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--event", "-e", help="An event type, a prefix such as delivery.*, or * (repeatable)."
    ),
]
MaxInFlightOpt = Annotated[
    int | None,
    typer.Option(help="Requests in flight at once to this endpoint (default: the settings')."),
]
RateOpt = Annotated[
    float | None,
    typer.Option("--rate", help="Requests per second to this endpoint (default: the settings')."),
]
T = TypeVar("T")


def _run(action: Callable[[Runtime], Awaitable[T]]) -> T:
    """``action`` with the webhooks' refusals as one line each."""

    async def checked(runtime: Runtime) -> T:
        try:
            return await action(runtime)
        except (WebhookRuleError, EndpointNotFound) as exc:
            raise CliError(str(exc)) from None

    return run_with_runtime(checked)


def _json(e: Endpoint) -> dict[str, Any]:
    """The endpoint as the API answers it: never a secret."""
    shown = {k: v for k, v in asdict(e).items() if "secret" not in k and k != "previous_expires_at"}
    return shown | {"previous_secret_until": e.previous_secret_until}


def _state(e: Endpoint) -> str:
    return "enabled" if e.enabled else f"disabled ({e.disabled_reason})"


def _limits(e: Endpoint, runtime: Runtime) -> str:
    """Its limits, each the endpoint's own or the settings' default."""
    hooks = runtime.settings.webhooks
    in_flight = e.max_in_flight or hooks.endpoint_concurrency
    rate = e.rate_per_second or hooks.endpoint_rate_per_second
    return (
        f"{in_flight} in flight ({'own' if e.max_in_flight else 'default'}), "
        f"{rate:g}/s ({'own' if e.rate_per_second else 'default'})"
    )


def _with_secret(endpoint: Endpoint, secret: str, as_json: bool, what: str) -> None:
    if as_json:
        print_json(_json(endpoint) | {"secret": secret})
        return
    out_console.print(f"webhook {endpoint.id} {what}: {endpoint.url}", highlight=False)
    out_console.print(f"secret (shown once, store it now): {secret}", highlight=False)


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The https:// URL events are posted to.")],
    events: EventsOpt = None,
    description: Annotated[str, typer.Option(help="What the endpoint is for.")] = "",
    max_in_flight: MaxInFlightOpt = None,
    rate: RateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an endpoint (events: every one unless --event is given)."""

    async def action(runtime: Runtime) -> tuple[Endpoint, str]:
        return await runtime.webhooks.create(
            NewEndpoint(url, events or ["*"], description, max_in_flight, rate)
        )

    endpoint, secret = _run(action)
    _with_secret(endpoint, secret, as_json, "added")


@webhooks_app.command("list")
def list_endpoints(as_json: JsonOpt = False) -> None:
    """Every endpoint: URL, events, state."""
    found = _run(lambda runtime: runtime.webhooks.all())
    if as_json:
        print_json([_json(e) for e in found])
        return
    table = Table(title="webhooks")
    for column in ("id", "url", "events", "state", "description"):
        table.add_column(column)
    for e in found:
        table.add_row(str(e.id), e.url, ", ".join(e.events), _state(e), e.description)
    out_console.print(table)


@webhooks_app.command("show")
def show(
    endpoint_id: IdArg,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Recent attempts to show.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """One endpoint and its recent attempts (time, status, latency, the answer's start)."""

    async def action(runtime: Runtime) -> tuple[Endpoint, list[Attempt], str]:
        endpoint = await runtime.webhooks.get(endpoint_id)
        attempts = await runtime.webhooks.attempts(endpoint_id, limit)
        return endpoint, attempts, _limits(endpoint, runtime)

    endpoint, attempts, limits = _run(action)
    if as_json:
        print_json(_json(endpoint) | {"attempts": [asdict(a) for a in attempts]})
        return
    out_console.print(
        f"webhook {endpoint.id}: {endpoint.url}\nevents: {', '.join(endpoint.events)}\n"
        f"state: {_state(endpoint)}\nlimits: {limits}",
        highlight=False,
    )
    table = Table(title="recent attempts")
    for column in ("when", "event", "status", "ms", "answer or error"):
        table.add_column(column)
    for a in attempts:
        table.add_row(
            a.attempted_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            a.event_type,
            str(a.status or "-"),
            f"{a.latency_ms:.0f}",
            (a.response if a.ok else a.error or a.response)[:80],
        )
    out_console.print(table)


@webhooks_app.command("update")
def update(
    endpoint_id: IdArg,
    url: Annotated[str | None, typer.Option(help="A new URL.")] = None,
    events: EventsOpt = None,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Resume or stop deliveries.")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
    max_in_flight: MaxInFlightOpt = None,
    rate: RateOpt = None,
    default_limits: Annotated[
        bool, typer.Option(help="Drop the endpoint's own limits: the settings' apply.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change the URL, the events (replacing them), the state, the description or the
    endpoint's own limits."""
    if default_limits and (max_in_flight is not None or rate is not None):
        fail("--default-limits drops both limits: give it alone", 2)
    limits: dict[str, Any] = {}
    if default_limits:
        limits = {"max_in_flight": None, "rate_per_second": None}
    if max_in_flight is not None:
        limits["max_in_flight"] = max_in_flight
    if rate is not None:
        limits["rate_per_second"] = rate

    async def action(runtime: Runtime) -> Endpoint:
        return await runtime.webhooks.update(
            endpoint_id,
            url=url,
            events=events,
            enabled=enable,
            description=description,
            **limits,
        )

    endpoint = _run(action)
    if as_json:
        print_json(_json(endpoint))
        return
    out_console.print(f"webhook {endpoint.id}: {endpoint.url}, {_state(endpoint)}", highlight=False)


@webhooks_app.command("delete")
def delete(endpoint_id: IdArg) -> None:
    """Delete the endpoint and its attempts (queued deliveries to it become dead letters)."""
    _run(lambda runtime: runtime.webhooks.delete(endpoint_id))
    out_console.print(f"webhook {endpoint_id} deleted", highlight=False)


@webhooks_app.command("rotate-secret")
def rotate_secret(endpoint_id: IdArg, as_json: JsonOpt = False) -> None:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    endpoint, secret = _run(lambda runtime: runtime.webhooks.rotate(endpoint_id))
    _with_secret(endpoint, secret, as_json, "has a new secret (the old one signs for 24 h)")


@webhooks_app.command("test")
def test(endpoint_id: IdArg) -> None:
    """Queue a webhook.test event to this endpoint alone (a worker sends it)."""
    event_id = _run(lambda runtime: runtime.fanout.test(endpoint_id))
    out_console.print(f"webhook.test queued to webhook {endpoint_id}: {event_id}", highlight=False)
