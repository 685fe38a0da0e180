"""One safe MarkdownV2 message builder for every scheduled post.

Everything given to the builder is plain text and is escaped here, so a title or a
body full of ``_*[]()~`>#+-=|{}.!\\`` reaches the chat exactly as written, and no
content can add formatting or links of its own. The result is a Telegram payload
the TelegramSender sends as it is.
"""

from __future__ import annotations

from typing import Any, Protocol

from herald.messaging.templates.markdown import Markdown, markdown_escape
from herald.scheduling.content import ContentItem

PARSE_MODE = "MarkdownV2"


class ButtonSigner(Protocol):
    """What a post needs to make its buttons' clicks countable (``tracking.Signer``).

    A protocol rather than an import: click tracking is built on what scheduling posts
    (it resolves a token to a promo's button), so scheduling must not import it back.
    """

    def sign(self, promo_id: int, cta: int) -> str: ...

    def link_token(self, *, content_id: int | None = None, cta: int | None = None) -> str: ...


class SafeMarkdownV2Message:
    """Bold title, body, italic footer and a column of buttons, all escaped."""

    def __init__(self) -> None:
        self._blocks: list[Markdown] = []
        self._buttons: list[dict[str, str]] = []

    def title(self, text: str) -> SafeMarkdownV2Message:
        if text.strip():
            self._blocks.append(Markdown("*") + text.strip() + Markdown("*"))
        return self

    def body(self, text: str) -> SafeMarkdownV2Message:
        if text.strip():
            self._blocks.append(markdown_escape(text.strip()))
        return self

    def footer(self, text: str | None) -> SafeMarkdownV2Message:
        if text and text.strip():
            self._blocks.append(Markdown("_") + text.strip() + Markdown("_"))
        return self

    def link_button(self, text: str, url: str) -> SafeMarkdownV2Message:
        self._buttons.append({"text": text, "url": url})
        return self

    def callback_button(self, text: str, data: str) -> SafeMarkdownV2Message:
        self._buttons.append({"text": text, "callback_data": data})
        return self

    @property
    def text(self) -> str:
        return str(Markdown("\n\n").join(self._blocks))

    def payload(self) -> dict[str, Any]:
        """The sender's payload: button texts are not markup, so they stay as written."""
        payload: dict[str, Any] = {"text": self.text, "parse_mode": PARSE_MODE}
        if self._buttons:
            payload["buttons"] = [[button] for button in self._buttons]
        return payload


def render_post(
    item: ContentItem, signer: ButtonSigner, public_url: str | None = None
) -> dict[str, Any]:
    """The Telegram payload of a guide or promo.

    Callback CTAs get signed callback data; with a ``public_url`` links go through
    ``{public_url}/r/<token>``, so their clicks are counted too.
    """
    message = SafeMarkdownV2Message().title(item.title).body(item.body).footer(item.footer)
    for index, button in enumerate(item.buttons):
        if button.callback:
            message.callback_button(button.text, signer.sign(item.id, index))
        elif public_url and item.id:
            token = signer.link_token(content_id=item.id, cta=index)
            message.link_button(button.text, f"{public_url}/r/{token}")
        else:
            assert button.url is not None
            message.link_button(button.text, button.url)
    return message.payload()


def preview(
    item: ContentItem, signer: ButtonSigner, public_url: str | None = None
) -> dict[str, Any]:
    """The payload, and the text as a chat shows it once Telegram has parsed the markup."""
    shown = [p.strip() for p in (item.title, item.body, item.footer or "") if p.strip()]
    return {**render_post(item, signer, public_url), "plain_text": "\n\n".join(shown)}
