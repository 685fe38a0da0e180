"""Telegram opt-out in a private chat with the bot: ``/stop``, ``/stop <category>``,
``/start`` (no payload) or ``/start <category>``, and ``/settings``; and the signed
unsubscribe button under a campaign DM.

The chat names the person: every recipient whose ``telegram_chat_id`` is this private
chat is changed (one person may be known under two external ids). ``/stop`` refuses
campaign messages on Telegram (every category, or the one named); email and push keep
their own links and page, and ``/settings`` sends the preference page, where every
channel is chosen. ``/start`` takes back what ``/stop`` refused on Telegram. Messages
about the person's own account (transactional, and required templates) never stop.
The changes go through ``OptOuts`` (source ``telegram``), which counts them.
"""

from __future__ import annotations

from herald.auth.recipient_links import RecipientLinks
from herald.channel import Channel
from herald.messaging.recipients import Recipients
from herald.preferences import CategoryStore
from herald.preferences.optouts import OptOuts, Source

UNKNOWN = (
    "I don't know this chat as one of our subscribers, so there is nothing to stop here. "
    "Messages you asked for from your account settings will still arrive."
)
STOPPED = (
    "Done: you will no longer receive {what} here on Telegram. Messages about your own "
    "account still arrive. Send /start{again} to receive them again, or /settings for "
    "all your preferences."
)
PRESSED = "Done: no more {what} here. Send /start{again} to undo."
STARTED = "Welcome back: you will receive {what} here on Telegram again."
NO_SUCH_TOPIC = "There is no topic {key!r}. Topics: {keys}."
NO_TOPICS = "There is no topic {key!r}."
SETTINGS = "Your preferences (channels, topics, time zone, quiet hours):\n{url}"
NO_PAGE = "Sorry, the preference page is not available on this server."


class TelegramOptOut:
    def __init__(
        self,
        recipients: Recipients,
        categories: CategoryStore,
        opt_outs: OptOuts,
        links: RecipientLinks,
    ) -> None:
        self._recipients = recipients
        self._categories = categories
        self._opt_outs = opt_outs
        self._links = links

    async def is_category(self, key: str) -> bool:
        return bool(key) and key in await self._categories.keys()

    async def stop(self, chat_id: int, args: str) -> str:
        ids = await self._recipients.ids_by_telegram_chat(str(chat_id))
        if not ids:
            return UNKNOWN
        key = args.split()[0].lower() if args else None
        if key is not None and (refusal := await self._unknown_topic(key)):
            return refusal
        for recipient_id in ids:
            await self._opt_outs.unsubscribe(
                recipient_id, category=key, channel=Channel.TELEGRAM, source=Source.TELEGRAM
            )
        return STOPPED.format(what=_what(key), again=f" {key}" if key else "")

    async def start(self, chat_id: int, key: str | None) -> str | None:
        """Takes back a refusal on Telegram; None when there was none (or the chat is no
        recipient's): the caller answers with its welcome."""
        changed = False
        for recipient_id in await self._recipients.ids_by_telegram_chat(str(chat_id)):
            changed |= await self._opt_outs.resubscribe(
                recipient_id, category=key, channel=Channel.TELEGRAM, source=Source.TELEGRAM
            )
        return STARTED.format(what=_what(key)) if changed else None

    async def press(self, data: str) -> str | None:
        """The unsubscribe button under a campaign DM: the category it names (or every
        one) refused on Telegram; the answer shown, or None when the data is not a
        signed button of ours (the caller rejects it as any forged press)."""
        ref = self._links.verify_callback(data)
        if ref is None or await self._recipients.get_by_id(ref.recipient_id) is None:
            return None
        key = ref.category if ref.category in await self._categories.keys() else None
        if ref.category is None or key is not None:
            await self._opt_outs.unsubscribe(
                ref.recipient_id, category=key, channel=Channel.TELEGRAM, source=Source.TELEGRAM
            )
        return PRESSED.format(what=_what(ref.category), again=f" {key}" if key else "")

    async def settings(self, chat_id: int) -> str:
        ids = await self._recipients.ids_by_telegram_chat(str(chat_id))
        if not ids:
            return UNKNOWN
        url = self._links.preferences_url(ids[0])
        return SETTINGS.format(url=url) if url is not None else NO_PAGE

    async def _unknown_topic(self, key: str) -> str | None:
        keys = sorted(await self._categories.keys())
        if key in keys:
            return None
        if not keys:
            return NO_TOPICS.format(key=key)
        return NO_SUCH_TOPIC.format(key=key, keys=", ".join(keys))


def _what(key: str | None) -> str:
    return "our news and offers" if key is None else f"messages about {key!r}"
