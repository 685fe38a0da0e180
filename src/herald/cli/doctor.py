"""`herald doctor`: what works with this configuration, checked for real.

Each check says ok, warn (works, but not as production wants) or fail; the exit code is
1 when any check failed, so a deploy script can gate on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass

import typer
from rich.table import Table

from herald.channel import Channel
from herald.channels.email import EmailSender
from herald.channels.push.vapid import check_pair, public_key_for
from herald.channels.telegram import TelegramCallError, TelegramSender
from herald.cli.common import JsonOpt, out_console, print_json, settings_or_exit
from herald.config import ConfigError, Settings
from herald.db import DatabaseUnavailable, migrate
from herald.db.database import safe_url
from herald.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # ok, warn, fail
    detail: str


async def run_checks(settings: Settings) -> list[Check]:
    try:
        runtime = Runtime.build(settings)
    except ConfigError as exc:  # a credential a sender refuses (a malformed key...)
        return [Check("configuration", "fail", str(exc))]
    try:
        return [
            await _database(runtime),
            await _telegram(settings, runtime.senders.get(Channel.TELEGRAM)),
            await _smtp(runtime.senders.get(Channel.EMAIL)),
            _vapid(settings),
            _public_url(settings),
        ]
    finally:
        await runtime.close()


async def _database(runtime: Runtime) -> Check:
    where = safe_url(runtime.settings.database_url)
    try:
        await runtime.db.ping()
        if not await migrate.is_current(runtime.db):
            return Check("database", "fail", f"{where} answers but is not migrated: herald migrate")
        return Check("database", "ok", f"{where}: reachable, migrated")
    except DatabaseUnavailable as exc:
        return Check("database", "fail", str(exc))


async def _telegram(settings: Settings, sender: object) -> Check:
    if not isinstance(sender, TelegramSender):
        return Check(Channel.TELEGRAM, "warn", "HERALD_TELEGRAM_BOT_TOKEN unset: sandbox")
    try:
        username = await sender.get_me()
    except TelegramCallError as exc:
        return Check(Channel.TELEGRAM, "fail", f"getMe failed: {exc}")
    detail = f"token valid: @{username} ({settings.updates_mode} updates)"
    return Check(Channel.TELEGRAM, "ok", detail)


async def _smtp(sender: object) -> Check:
    if not isinstance(sender, EmailSender):
        return Check(Channel.EMAIL, "warn", "HERALD_SMTP_HOST unset: sandbox")
    problem = await sender.check()
    where = f"{sender.host}:{sender.port} ({sender.security})"
    if problem is not None:
        return Check(Channel.EMAIL, "fail", f"{where}: {problem}")
    login = f", logged in as {sender.username}" if sender.username else ", no login"
    return Check(Channel.EMAIL, "ok", f"{where}: connected{login}")


def _vapid(settings: Settings) -> Check:
    if settings.vapid_private_key is None:
        return Check(Channel.PUSH, "warn", "HERALD_VAPID_PRIVATE_KEY unset: sandbox")
    private = settings.vapid_private_key.get_secret_value()
    if settings.vapid_public_key is None:
        public = public_key_for(private)
        return Check(Channel.PUSH, "warn", f"HERALD_VAPID_PUBLIC_KEY unset; it should be {public}")
    try:
        check_pair(private, settings.vapid_public_key)
    except ValueError as exc:
        return Check(Channel.PUSH, "fail", f"HERALD_VAPID_PUBLIC_KEY: {exc}")
    return Check(Channel.PUSH, "ok", "VAPID key pair consistent")


def _public_url(settings: Settings) -> Check:
    if settings.public_url is None:
        return Check(
            "public url",
            "warn",
            "HERALD_PUBLIC_URL unset: links are not tracked, and campaign emails carry no "
            "unsubscribe or preference links of herald's",
        )
    if not settings.public_url.startswith("https://"):
        return Check(
            "public url",
            "warn",
            f"{settings.public_url} is not https: mail providers ignore one-click "
            "unsubscribe (RFC 8058) on it",
        )
    return Check(
        "public url",
        "ok",
        f"{settings.public_url}/r/... for tracked links, /u/... and /preferences/... "
        "for unsubscribing",
    )


def doctor(as_json: JsonOpt = False) -> None:
    """Check the configuration: database, Telegram token, SMTP login, VAPID keys, URL."""
    settings = settings_or_exit()
    checks = asyncio.run(run_checks(settings))
    if as_json:
        print_json([asdict(c) for c in checks])
    else:
        table = Table(title="herald doctor")
        for column in ("check", "status", "detail"):
            table.add_column(column)
        colours = {"ok": "green", "warn": "yellow", "fail": "bold red"}
        for c in checks:
            table.add_row(c.name, f"[{colours[c.status]}]{c.status}[/]", c.detail)
        out_console.print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)
