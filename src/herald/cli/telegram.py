"""`herald telegram set-webhook URL` and `delete-webhook`."""

from __future__ import annotations

from typing import Annotated

import typer

from herald.channels.telegram.errors import TelegramCallError
from herald.cli.common import CliError, out_console, run_with_runtime
from herald.runtime import Runtime

telegram_app = typer.Typer(help="The bot's webhook.", no_args_is_help=True)


def _bot(runtime: Runtime) -> object:
    if runtime.bot is None:
        raise CliError("HERALD_TELEGRAM_BOT_TOKEN: not set, so there is no bot to configure")
    return runtime.bot


@telegram_app.command("set-webhook")
def set_webhook(
    url: Annotated[str, typer.Argument(help="Public https URL ending in /telegram/webhook.")],
) -> None:
    """Tell Telegram to POST updates to URL, with HERALD_TELEGRAM_WEBHOOK_SECRET."""
    if not url.startswith("https://"):
        raise typer.BadParameter("Telegram only delivers to https:// URLs", param_hint="URL")

    async def action(runtime: Runtime) -> None:
        _bot(runtime)
        assert runtime.bot is not None
        secret = runtime.settings.telegram_webhook_secret
        if secret is None:
            raise CliError("HERALD_TELEGRAM_WEBHOOK_SECRET: set it first (serve checks it)")
        try:
            await runtime.bot.set_webhook(url, secret.get_secret_value())
        except TelegramCallError as exc:
            raise CliError(f"setWebhook failed: {exc}") from None

    run_with_runtime(action, require_migrated=False)
    out_console.print(
        f"webhook set to {url}; run serve with HERALD_TELEGRAM_UPDATES=webhook", highlight=False
    )


@telegram_app.command("delete-webhook")
def delete_webhook() -> None:
    """Stop webhook delivery (long polling works again)."""

    async def action(runtime: Runtime) -> None:
        _bot(runtime)
        assert runtime.bot is not None
        try:
            await runtime.bot.delete_webhook()
        except TelegramCallError as exc:
            raise CliError(f"deleteWebhook failed: {exc}") from None

    run_with_runtime(action, require_migrated=False)
    out_console.print("webhook deleted", highlight=False)
