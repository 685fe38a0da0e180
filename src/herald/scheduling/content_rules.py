"""What a guide or a promo may hold: text limits and the rules of each kind.

Only a promo's buttons may be tracked clicks (a button without a url, or one marked
``click``) and only a promo has an alert text (the answer shown when its tracked
button is pressed). The API and the dashboard both check drafts here, so the two
faces accept the same content and name the same field when they refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from herald.scheduling.content import Button, ContentDraft, ContentItem, Kind

MAX_TEXT = 4000  # Telegram allows 4096 characters once the markup is parsed
MAX_TITLE = 256
MAX_FOOTER = 512
MAX_ALERT_TEXT = 200  # Telegram's limit for a callback answer
MAX_BUTTONS = 8
MAX_BUTTON_TEXT = 64
MAX_URL = 2048
URL_PATTERN = r"^(https?|tg)://\S+$"
TOO_LONG = f"title, body and footer together exceed {MAX_TEXT} characters"


class ContentRuleError(ValueError):
    """A draft this kind of content may not hold; ``loc`` names the field (from the
    draft's root: ``("buttons", 0, "url")``), for the API's 422 and the form's error."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


def fits(title: str, body: str, footer: str | None) -> bool:
    return len(title) + len(body) + len(footer or "") <= MAX_TEXT


def _alert_text(kind: Kind, alert_text: str | None) -> None:
    if kind is Kind.GUIDE and alert_text is not None:
        raise ContentRuleError(
            ("alert_text",), "only a promo has an alert text (the answer to a tracked click)"
        )


def _buttons(kind: Kind, buttons: Sequence[Button]) -> None:
    if kind is not Kind.GUIDE:
        return
    for index, button in enumerate(buttons):
        if button.url is None:
            raise ContentRuleError(
                ("buttons", index, "url"), "a guide's buttons are links: url is required"
            )
        if button.click:
            raise ContentRuleError(
                ("buttons", index, "click"), "a guide's buttons are links, never tracked"
            )


def checked(kind: Kind, draft: ContentDraft) -> ContentDraft:
    """The draft, if this kind may hold it; else ContentRuleError naming the field."""
    _alert_text(kind, draft.alert_text)
    _buttons(kind, draft.buttons)
    if not fits(draft.title, draft.body, draft.footer):
        raise ContentRuleError((), TOO_LONG)
    return draft


def checked_changes(kind: Kind, current: ContentItem, changes: Mapping[str, Any]) -> None:
    """Some fields changed (``buttons`` as Button values): the item they make must
    still be valid for its kind."""
    _alert_text(kind, changes.get("alert_text"))
    if changes.get("buttons") is not None:
        _buttons(kind, changes["buttons"])
    title = changes.get("title", current.title)
    body = changes.get("body", current.body)
    if not fits(title, body, changes.get("footer", current.footer)):
        raise ContentRuleError((), TOO_LONG)
