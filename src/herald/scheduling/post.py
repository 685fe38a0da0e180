"""One builder for every scheduled post: text plus Telegram entities, no parse mode.

The title is bold and the footer italic by entities over text taken as written, and a
body is either plain text or already converted from markdown (``scheduling.markup``).
Telegram is given nothing to parse, so no title, body or footer can fail to parse or
add formatting it was not meant to have. The result is a payload the TelegramSender
sends as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from herald.channels.telegram.media_post import BUTTONS_TEXT, MEDIA
from herald.scheduling.content import ContentItem, Format
from herald.scheduling.markup import Entity, Formatted, to_entities, utf16_length
from herald.scheduling.options import PostOptions

SEPARATOR = "\n\n"
# The payload's key for what follows a sent post (pin, unpin, delete): the sender sends
# only the Bot API's parameters it knows, so Telegram never sees it.
AFTERWARDS = "herald_afterwards"
# What a join button links to where no invite link is given (previews): the real one is
# made for each chat it is posted in (``scheduling.invites``).
PREVIEW_INVITE_LINK = "https://t.me/+invite-link-made-when-posted"


class ButtonSigner(Protocol):
    """What a post needs to make its buttons' clicks countable (``tracking.Signer``).

    A protocol rather than an import: click tracking is built on what scheduling posts
    (it resolves a token to a promo's button), so scheduling must not import it back.
    """

    def sign(self, promo_id: int, cta: int, variant: str | None = None) -> str: ...

    def link_token(
        self,
        *,
        content_id: int | None = None,
        cta: int | None = None,
        variant: str | None = None,
        chat: str | None = None,
        run: int | None = None,
    ) -> str: ...


class PostMessage:
    """Bold title, body, italic footer and a column of buttons, as text and entities."""

    def __init__(self) -> None:
        self._blocks: list[Formatted] = []
        self._buttons: list[dict[str, str]] = []

    def _add(self, block: Formatted) -> PostMessage:
        if block.text:
            self._blocks.append(block)
        return self

    def title(self, text: str) -> PostMessage:
        return self._add(_whole(text.strip(), "bold"))

    def body(self, text: str | Formatted) -> PostMessage:
        return self._add(
            text.stripped() if isinstance(text, Formatted) else Formatted(text.strip())
        )

    def footer(self, text: str | None) -> PostMessage:
        return self._add(_whole((text or "").strip(), "italic"))

    def link_button(self, text: str, url: str) -> PostMessage:
        self._buttons.append({"text": text, "url": url})
        return self

    def callback_button(self, text: str, data: str) -> PostMessage:
        self._buttons.append({"text": text, "callback_data": data})
        return self

    def formatted(self) -> Formatted:
        """The blocks joined, each one's entities moved to where it lands."""
        parts: list[str] = []
        entities: list[Entity] = []
        at = 0
        for block in self._blocks:
            if parts:
                parts.append(SEPARATOR)
                at += len(SEPARATOR)
            parts.append(block.text)
            entities += [e.shifted(at) for e in block.entities]
            at += utf16_length(block.text)
        return Formatted("".join(parts), tuple(entities))

    def payload(self) -> dict[str, Any]:
        """The sender's payload: ``parse_mode`` null, so Telegram reads only the entities."""
        formatted = self.formatted()
        payload: dict[str, Any] = {"text": formatted.text, "parse_mode": None}
        if formatted.entities:
            payload["entities"] = [e.to_json() for e in formatted.entities]
        if self._buttons:
            payload["buttons"] = [[button] for button in self._buttons]
        return payload


def post_body(body: str, body_format: Format) -> str | Formatted:
    """A body as PostMessage takes it: markdown converted (MarkupError if malformed)."""
    return to_entities(body) if body_format is Format.MARKDOWN else body


def posted_text(title: str, body: str, footer: str | None, body_format: Format) -> str:
    """The text a post of these parts shows, as Telegram counts its length."""
    message = PostMessage().title(title).body(post_body(body, body_format)).footer(footer)
    return message.formatted().text


def _whole(text: str, kind: str) -> Formatted:
    return Formatted(text, (Entity(kind, 0, utf16_length(text)),) if text else ())


def render_post(
    item: ContentItem,
    signer: ButtonSigner,
    public_url: str | None = None,
    options: PostOptions | None = None,
    variant: str | None = None,
    joins: Mapping[str, str] | None = None,
    chat: str | None = None,
    run: int | None = None,
) -> dict[str, Any]:
    """The Telegram payload of a guide or promo, sent with ``options`` (the item's own
    when none are given: a schedule passes its overrides over them).

    Callback CTAs get signed callback data; with a ``public_url`` links go through
    ``{public_url}/r/<token>``, so their clicks are counted too. With ``variant`` (a
    running A/B test's A-D) the post shows that variant and its buttons' data name it.
    A join button links to ``joins[its target chat]``, the invite link for the chat the
    post goes to (not through ``/r/``: Telegram opens it, and the join is what counts).
    With ``chat`` (the chat the post goes to) tracked links name it, so their clicks
    count in that chat's figures, and with ``run`` (the run posting it) the post too.
    """
    if variant is not None and item.testing is not None:
        item = item.as_variant(item.testing.variant(variant))
    body = post_body(item.body, item.format)
    message = PostMessage().title(item.title).body(body).footer(item.footer)
    for index, button in enumerate(item.buttons):
        if button.join_chat_id is not None:
            link = (joins or {}).get(button.join_chat_id, PREVIEW_INVITE_LINK)
            message.link_button(button.text, link)
        elif button.callback:
            message.callback_button(button.text, signer.sign(item.id, index, variant))
        elif public_url and item.id:
            token = signer.link_token(
                content_id=item.id, cta=index, variant=variant, chat=chat, run=run
            )
            message.link_button(button.text, f"{public_url}/r/{token}")
        else:
            assert button.url is not None
            message.link_button(button.text, button.url)
    sent = options or item.options
    payload = message.payload() | sent.telegram()
    if item.media:
        # A media post: the text is the caption; an album's buttons follow under the
        # title, a short message that says what they are about (docs/scheduling.md).
        payload[MEDIA] = list(item.media)
        payload.pop("link_preview_options", None)
        if len(item.media) > 1 and item.buttons:
            payload[BUTTONS_TEXT] = item.title.strip()
    if afterwards := sent.afterwards():
        payload[AFTERWARDS] = afterwards
    return payload


def tracks_links(item: ContentItem, public_url: str | None) -> bool:
    """Whether ``render_post`` puts ``/r/`` links in the item's post (links that name
    the chat they are sent to, so each chat's post is its own payload)."""
    return bool(public_url) and any(
        b.url is not None and not b.callback and b.join_chat_id is None for b in item.buttons
    )


def preview(
    item: ContentItem, signer: ButtonSigner, public_url: str | None = None
) -> dict[str, Any]:
    """The payload, and its text as a chat shows it (the same text: nothing is parsed)."""
    payload = render_post(item, signer, public_url)
    return {**payload, "plain_text": payload["text"]}
