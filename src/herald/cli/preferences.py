"""`herald categories add|list` and `herald recipients preferences show|set`
(docs/preferences.md): the API's bodies and checks, as one line per error."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.table import Table

from herald.channel import Channel
from herald.cli.common import CliError, JsonOpt, fail, out_console, print_json, run_with_runtime
from herald.messaging.recipients import Recipient
from herald.preferences import (
    ALL_CHANNELS,
    Category,
    CategoryExists,
    PreferenceRuleError,
    Preferences,
    QuietHours,
)
from herald.runtime import Runtime
from herald.web.api.preferences import CategoryOut, PreferencesOut

categories_app = typer.Typer(help="Categories of campaign messages.", no_args_is_help=True)
# `herald recipients preferences` (main.py adds it under `herald recipients`)
preferences_app = typer.Typer(help="A recipient's own preferences.", no_args_is_help=True)

ExternalId = Annotated[str, typer.Argument(help="The recipient's external id.")]
NONE = ("", "none")


@categories_app.command("add")
def add_category(
    key: Annotated[str, typer.Argument(help="a-z, 0-9, '_' and '-', e.g. promos")],
    name: Annotated[str, typer.Option(help="Shown to recipients.")],
    description: Annotated[str, typer.Option(help="What its messages are.")] = "",
    daily_cap: Annotated[
        int | None, typer.Option(help="Its own cap per recipient, channel and day.")
    ] = None,
) -> None:
    """Define a category (exit 1 if the key exists)."""

    async def action(runtime: Runtime) -> Category:
        try:
            return await runtime.categories.create(Category(key, name, description, daily_cap))
        except (CategoryExists, PreferenceRuleError) as exc:
            raise CliError(_said(exc)) from None

    typer.echo(run_with_runtime(action).key)


@categories_app.command("list")
def list_categories(as_json: JsonOpt = False) -> None:
    """Every category: key, name, its own daily cap, description."""

    async def action(runtime: Runtime) -> list[Category]:
        return await runtime.categories.list()

    found = run_with_runtime(action)
    if as_json:
        print_json([CategoryOut.of(c).model_dump(mode="json") for c in found])
        return
    table = Table(title="categories")
    for column in ("key", "name", "daily cap", "description"):
        table.add_column(column)
    for c in found:
        cap = "" if c.daily_cap is None else str(c.daily_cap)
        table.add_row(c.key, c.name, cap, c.description)
    out_console.print(table)


@preferences_app.command("show")
def show(external_id: ExternalId, as_json: JsonOpt = False) -> None:
    """The recipient's time zone, quiet hours and the channels each category may use."""

    async def action(runtime: Runtime) -> PreferencesOut:
        recipient = await _recipient(runtime, external_id)
        return await _shown(runtime, recipient)

    _print(run_with_runtime(action), as_json)


@preferences_app.command("set")
def set_preferences(
    external_id: ExternalId,
    timezone: Annotated[
        str | None, typer.Option(help='An IANA time zone, e.g. Europe/London; "none" clears.')
    ] = None,
    quiet_hours: Annotated[
        str | None, typer.Option(help='Local HH:MM-HH:MM, e.g. 22:00-07:00; "none" clears.')
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=CHANNELS: the channels a category may use, e.g. promos=telegram,email; "
            '"promos=" refuses it, "promos=all" accepts every channel. Repeatable.'
        ),
    ] = None,
    channels_off: Annotated[
        str | None,
        typer.Option(help='Channels refused for every category, comma-separated; "none" clears.'),
    ] = None,
    unsubscribed_all: Annotated[
        bool | None,
        typer.Option(
            "--unsubscribe-all/--resubscribe-all",
            help="Refuse every campaign message, or take that refusal back.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the fields given and keep the others (as the operator, source "cli")."""
    quiet = _quiet(quiet_hours) if quiet_hours is not None else None
    if timezone is not None and timezone.lower() in NONE:
        timezone = ""
    categories = dict(_category(spec) for spec in category or [])
    off = None if channels_off is None else _channels("--channels-off", channels_off)

    async def action(runtime: Runtime) -> PreferencesOut:
        recipient = await _recipient(runtime, external_id)
        current = await runtime.preferences.get(recipient.id)
        try:
            changed = replace(
                current,
                timezone=current.timezone if timezone is None else timezone or None,
                quiet_hours=current.quiet_hours if quiet_hours is None else quiet,
                categories={**current.categories, **categories},
                channels_off=current.channels_off if off is None else off,
                unsubscribed_all=(
                    current.unsubscribed_all if unsubscribed_all is None else unsubscribed_all
                ),
            )
            await runtime.preferences.put(recipient.id, changed, source="cli")
        except PreferenceRuleError as exc:
            raise CliError(_said(exc)) from None
        return await _shown(runtime, recipient)

    _print(run_with_runtime(action), as_json)


def _said(exc: Exception) -> str:
    if isinstance(exc, PreferenceRuleError):
        return f"{'.'.join(str(part) for part in exc.loc)}: {exc.msg}"
    return str(exc)


def _quiet(value: str) -> QuietHours | None:
    """None: cleared."""
    if value.lower() in NONE:
        return None
    start, _, end = value.partition("-")
    try:
        return QuietHours.parse(start, end)
    except PreferenceRuleError as exc:
        fail(f"--quiet-hours: {exc.msg} (HH:MM-HH:MM, e.g. 22:00-07:00)", 2)


def _channels(option: str, value: str) -> frozenset[Channel]:
    if value.lower() in NONE:
        return frozenset()
    if value.lower() == "all":
        return ALL_CHANNELS
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in set(Channel)]
    if unknown:
        fail(f"{option}: unknown channel {unknown[0]!r} (telegram, email, push)", 2)
    return frozenset(Channel(n) for n in names)


def _category(spec: str) -> tuple[str, frozenset[Channel]]:
    key, sep, channels = spec.partition("=")
    if not sep or not key:
        fail(f"--category: {spec!r} is not KEY=CHANNELS (e.g. promos=telegram,email)", 2)
    return key, frozenset() if not channels else _channels("--category", channels)


async def _recipient(runtime: Runtime, external_id: str) -> Recipient:
    recipient = await runtime.recipients.get(external_id)
    if recipient is None:
        raise CliError(f"no recipient {external_id!r}")
    return recipient


async def _shown(runtime: Runtime, recipient: Recipient) -> PreferencesOut:
    prefs: Preferences = await runtime.preferences.get(recipient.id)
    keys = [c.key for c in await runtime.categories.list()]
    return PreferencesOut.of(recipient.external_id, prefs, keys)


def _print(shown: PreferencesOut, as_json: bool) -> None:
    if as_json:
        print_json(shown.model_dump(mode="json"))
        return
    quiet = shown.quiet_hours
    lines = [
        f"recipient:        {shown.recipient}",
        f"time zone:        {shown.timezone or '(the default)'}",
        f"quiet hours:      {f'{quiet.start}-{quiet.end}' if quiet else '(the default)'}",
        f"unsubscribed all: {'yes' if shown.unsubscribed_all else 'no'}",
        f"channels off:     {', '.join(shown.channels_off) or 'none'}",
    ]
    for key, channels in shown.categories.items():
        lines.append(f"  {key}: {', '.join(channels) or 'refused'}")
    out_console.print("\n".join(lines), highlight=False)
