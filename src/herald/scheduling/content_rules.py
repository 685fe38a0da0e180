"""What a guide or a promo may hold: text limits and the rules of each kind.

Only a promo's buttons may be tracked clicks (a button without a url, or one marked
``click``) and only a promo has an alert text (the answer shown when its tracked
button is pressed). A markdown body must convert (``scheduling.markup``), and the post
must fit Telegram's limit as Telegram counts it: code points of the text as posted
(title, body and footer, markup removed). The API and the dashboard both check drafts
here, so the two faces accept the same content and name the same field when they
refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from herald.media import MediaLibrary
from herald.media.kinds import MAX_ALBUM, album_refusal
from herald.scheduling.content import Button, ContentDraft, ContentItem, Format, Kind
from herald.scheduling.markup import MarkupError
from herald.scheduling.post import posted_text
from herald.scheduling.variants import MAX_VARIANTS, MIN_VARIANTS, Variant

MAX_TEXT = 4096  # a message's text, in code points once the markup is removed
MAX_CAPTION = 1024  # a media message's caption, counted alike
MAX_SOURCE = 4 * MAX_TEXT  # a body as written: markup and link urls take room too
MAX_TITLE = 256
MAX_FOOTER = 512
MAX_ALERT_TEXT = 200  # Telegram's limit for a callback answer
MAX_BUTTONS = 8
MAX_BUTTON_TEXT = 64
MAX_URL = 2048
URL_PATTERN = r"^(https?|tg)://\S+$"


class ContentRuleError(ValueError):
    """A draft this kind of content may not hold; ``loc`` names the field (from the
    draft's root: ``("buttons", 0, "url")``), for the API's 422 and the form's error."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


def fits_text(text: str) -> bool:
    """Whether Telegram takes ``text`` (as posted) as a message's text."""
    return len(text) <= MAX_TEXT


def fits_caption(text: str) -> bool:
    """Whether Telegram takes ``text`` (as posted) as a media message's caption."""
    return len(text) <= MAX_CAPTION


def _posted(
    title: str,
    body: str,
    footer: str | None,
    body_format: Format,
    field: tuple[str | int, ...] = ("body",),
    media: Sequence[int] = (),
) -> None:
    """The post these parts make must convert and fit a message (a caption when it
    carries media); the error names the body (the part with the markup, and the one
    that is long)."""
    try:
        text = posted_text(title, body, footer, body_format)
    except MarkupError as exc:
        raise ContentRuleError(field, str(exc)) from exc
    if media and not fits_caption(text):
        raise ContentRuleError(
            field,
            f"the caption would be {len(text)} characters (title, body and footer as "
            f"posted, markup removed); Telegram allows {MAX_CAPTION} under media",
        )
    if not fits_text(text):
        raise ContentRuleError(
            field,
            f"the post would be {len(text)} characters (title, body and footer as posted, "
            f"markup removed); Telegram allows {MAX_TEXT}",
        )


def _alert_text(kind: Kind, alert_text: str | None) -> None:
    if kind is Kind.GUIDE and alert_text is not None:
        raise ContentRuleError(
            ("alert_text",), "only a promo has an alert text (the answer to a tracked click)"
        )


def _buttons(kind: Kind, buttons: Sequence[Button]) -> None:
    for index, button in enumerate(buttons):
        if button.join_chat_id is None:
            continue
        if kind is not Kind.PROMO:
            raise ContentRuleError(
                ("buttons", index, "join_chat_id"), "only a promo's buttons invite to a chat"
            )
        if button.url is not None or button.click:
            raise ContentRuleError(
                ("buttons", index, "join_chat_id"),
                "a join button's link is herald's invite link: give no url and no click",
            )
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


def _variants(
    kind: Kind,
    variants: Sequence[Variant],
    title: str,
    footer: str | None,
    body_format: Format,
    buttons: Sequence[Button],
    media: Sequence[int] = (),
) -> None:
    """A promo's test: 2-4 variants, each a post that fits (a caption under the media
    it shows), with at most one label per button."""
    if not variants:
        return
    if kind is not Kind.PROMO:
        raise ContentRuleError(("variants",), "only a promo has A/B variants")
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise ContentRuleError(
            ("variants",), f"a test has {MIN_VARIANTS} to {MAX_VARIANTS} variants"
        )
    for index, variant in enumerate(variants):
        shown = variant.shown_media(tuple(media))
        _posted(title, variant.body, footer, body_format, ("variants", index, "body"), shown)
        if len(variant.labels) > len(buttons):
            raise ContentRuleError(
                ("variants", index, "labels"),
                f"{len(variant.labels)} labels for {len(buttons)} buttons",
            )


def checked(kind: Kind, draft: ContentDraft) -> ContentDraft:
    """The draft, if this kind may hold it; else ContentRuleError naming the field."""
    _alert_text(kind, draft.alert_text)
    _buttons(kind, draft.buttons)
    _posted(draft.title, draft.body, draft.footer, draft.format, media=draft.media)
    _variants(
        kind, draft.variants, draft.title, draft.footer, draft.format, draft.buttons, draft.media
    )
    return draft


def checked_changes(kind: Kind, current: ContentItem, changes: Mapping[str, Any]) -> None:
    """Some fields changed (``buttons`` as Button values): the item they make must
    still be valid for its kind."""
    _alert_text(kind, changes.get("alert_text"))
    if changes.get("buttons") is not None:
        _buttons(kind, changes["buttons"])
    title = changes.get("title", current.title)
    footer = changes.get("footer", current.footer)
    body_format = Format(changes.get("format", current.format))
    media = changes.get("media", current.media)
    _posted(title, changes.get("body", current.body), footer, body_format, media=media)
    running = current.testing.variants if current.testing else ()
    variants = changes["variants"] if changes.get("variants") is not None else running
    buttons = changes["buttons"] if changes.get("buttons") is not None else current.buttons
    _variants(kind, variants, title, footer, body_format, buttons, media)


async def check_media(
    library: MediaLibrary, ids: Sequence[int], variants: Sequence[Variant] | None = None
) -> None:
    """The media a post names must exist and, two or more, make an album Telegram
    takes (photos and videos, or documents only; no animation); ContentRuleError names
    the field (``("media", index)`` for a missing one). Each variant's own media are
    checked alike (``("variants", n, "media", index)``)."""
    await _check_media(library, ids, ("media",))
    for n, variant in enumerate(variants or ()):
        if variant.media:
            await _check_media(library, variant.media, ("variants", n, "media"))


async def _check_media(
    library: MediaLibrary, ids: Sequence[int], field: tuple[str | int, ...]
) -> None:
    if not ids:
        return
    if len(ids) > MAX_ALBUM:
        raise ContentRuleError(field, f"at most {MAX_ALBUM} media in one post (an album)")
    found = await library.many(ids)
    for index, media_id in enumerate(ids):
        if media_id not in found:
            raise ContentRuleError((*field, index), f"no media {media_id} in the library")
    if len(ids) > 1 and (why := album_refusal([found[i].kind for i in ids])):
        raise ContentRuleError(field, why)
