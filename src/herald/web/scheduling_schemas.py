"""The bodies that write guides, promos and schedules, shared by both faces.

The API reads them as JSON and the dashboard from its forms, so the two accept the
same input and name the same fields when they refuse it. The limits and rules are
scheduling's (``scheduling.content_rules``, the cadence's own checks); these models
only say them in pydantic's terms.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from herald.config import parse_chat_ids
from herald.db.types import MAX_ID
from herald.media.kinds import MAX_ALBUM
from herald.scheduling.cadence import Cadence, zone
from herald.scheduling.content import Button, ContentDraft, Format
from herald.scheduling.content_rules import (
    MAX_ALERT_TEXT,
    MAX_BUTTON_TEXT,
    MAX_BUTTONS,
    MAX_FOOTER,
    MAX_SOURCE,
    MAX_TITLE,
    MAX_URL,
    URL_PATTERN,
)
from herald.scheduling.options import (
    MAX_DELETE_AFTER_HOURS,
    LinkPreview,
    Pin,
    PostOptions,
    PreviewSize,
)
from herald.scheduling.schedules import (
    DEFAULT_CADENCE,
    ChatTarget,
    Schedule,
    ScheduleChanges,
    ScheduleKind,
    ScheduleSpec,
)
from herald.scheduling.variants import MAX_VARIANTS, Variant
from herald.web.schemas import RequestModel

Url = Annotated[str, Field(max_length=MAX_URL, pattern=URL_PATTERN)]
NAME_PATTERN = r"^[\w.-]+$"


class ButtonIn(RequestModel):
    text: str = Field(min_length=1, max_length=MAX_BUTTON_TEXT)
    url: Url | None = Field(None, description="a link; omit for a tracked click (promos only)")
    click: bool = Field(
        False,
        description="promos: a callback button even with a url; the click is answered "
        "with a deep link to the bot, which sends the offer and the url privately",
    )
    join_chat_id: str | None = Field(
        None,
        description="promos: invite to this group or channel (-100... or @name) with an "
        "invite link herald creates per chat posted in; its joins are counted (the bot "
        "must be an administrator there with the right to invite)",
    )

    @field_validator("join_chat_id", mode="before")
    @classmethod
    def _join(cls, value: object) -> object:
        return None if value in (None, "") else parse_chat_ids([value])[0]

    def button(self) -> Button:
        return Button(self.text, self.url, self.click, self.join_chat_id)


MediaId = Annotated[int, Field(ge=1, le=MAX_ID)]


class VariantIn(RequestModel):
    body: str = Field(min_length=1, max_length=MAX_SOURCE, description="this variant's body")
    labels: list[Annotated[str, Field(min_length=1, max_length=MAX_BUTTON_TEXT)]] = Field(
        default_factory=list,
        max_length=MAX_BUTTONS,
        description="the buttons' texts in order; those left out keep the promo's",
    )
    media: list[MediaId] | None = Field(
        None,
        max_length=MAX_ALBUM,
        description="media library ids this variant shows instead of the promo's; "
        "null or left out: the promo's, []: none",
    )

    def variant(self) -> Variant:
        media = tuple(self.media) if self.media is not None else None
        return Variant(self.body, tuple(self.labels), media)


VARIANTS_HELP = (
    "promos: an A/B test of 2-4 variants (A, B, ...), each post showing one; the same "
    "list keeps the running test, another starts a new one, [] stops testing"
)


class LinkPreviewIn(RequestModel):
    url: Url | None = Field(None, description="the link to preview (else the text's first)")
    size: PreviewSize | None = Field(None, description="small or large media (else Telegram's)")
    above_text: bool = Field(False, description="the preview above the text")

    def preview(self) -> LinkPreview:
        return LinkPreview(self.url, self.size, self.above_text)


class PinIn(RequestModel):
    notify: bool = Field(False, description="pin with a notification to the members")
    unpin_after_hours: float | None = Field(
        None, gt=0, le=366 * 24, description="unpin this long after it was sent; null: never"
    )

    def pin(self) -> Pin:
        return Pin(self.notify, self.unpin_after_hours)


class OptionsIn(RequestModel):
    """How a post is sent; a field left out (or null) is inherited: a schedule's from
    the item's, an item's from Telegram's defaults."""

    silent: bool | None = Field(None, description="sent without a notification sound")
    protect_content: bool | None = Field(None, description="no forwarding or saving")
    link_preview: bool | LinkPreviewIn | None = Field(
        None, description="false: no preview; true or an object: a preview, as described"
    )
    pin: Literal[False] | PinIn | None = Field(None, description="false: not pinned")
    delete_after_hours: Literal[False] | float | None = Field(
        None,
        description=f"delete the post this long after it was sent (at most "
        f"{MAX_DELETE_AFTER_HOURS}: Telegram's 48 hours); false: never",
    )

    @field_validator("delete_after_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if value is None or value is False:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("a number of hours, or false: never")
        if not 0 < value <= MAX_DELETE_AFTER_HOURS:
            raise ValueError(
                f"above 0 and at most {MAX_DELETE_AFTER_HOURS} hours: Telegram lets a bot "
                "delete a message only within 48 hours of sending it"
            )
        return float(value)

    def options(self) -> PostOptions:
        preview = self.link_preview
        return PostOptions(
            self.silent,
            self.protect_content,
            preview.preview() if isinstance(preview, LinkPreviewIn) else preview,
            self.pin.pin() if isinstance(self.pin, PinIn) else self.pin,
            self.delete_after_hours,
        )


OPTIONS_HELP = "silent, protect_content, link_preview (docs/scheduling.md)"

MEDIA_HELP = (
    "media library ids (POST /api/v1/media): one is a media post with the text as its "
    f"caption, 2 to {MAX_ALBUM} an album (photos and videos, or documents only)"
)

FORMAT_HELP = (
    "plain: the body is sent as written; markdown: herald's subset (docs/scheduling.md), "
    "sent as text plus entities"
)


class ContentIn(RequestModel):
    """The post's length (as posted, markup removed) and a markdown body's markup are
    checked by ``content_rules.checked``, which both faces call."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(min_length=1, max_length=MAX_SOURCE)
    format: Format = Field(Format.PLAIN, description=FORMAT_HELP)
    footer: str | None = Field(None, max_length=MAX_FOOTER)
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=MAX_BUTTONS)
    alert_text: str | None = Field(
        None, max_length=MAX_ALERT_TEXT, description="promos: the answer to a tracked click"
    )
    enabled: bool = True
    options: OptionsIn = Field(default_factory=OptionsIn, description=OPTIONS_HELP)
    variants: list[VariantIn] = Field(
        default_factory=list, max_length=MAX_VARIANTS, description=VARIANTS_HELP
    )
    media: list[MediaId] = Field(default_factory=list, max_length=MAX_ALBUM, description=MEDIA_HELP)

    def draft(self) -> ContentDraft:
        """As written; ``content_rules.checked`` says whether its kind may hold it."""
        return ContentDraft(
            title=self.title,
            body=self.body,
            footer=self.footer,
            buttons=tuple(b.button() for b in self.buttons),
            alert_text=self.alert_text,
            enabled=self.enabled,
            format=self.format,
            options=self.options.options(),
            variants=tuple(v.variant() for v in self.variants),
            media=tuple(self.media),
        )


class ContentPatch(RequestModel):
    title: str | None = Field(None, min_length=1, max_length=MAX_TITLE)
    body: str | None = Field(None, min_length=1, max_length=MAX_SOURCE)
    format: Format | None = Field(None, description=FORMAT_HELP)
    footer: str | None = Field(None, max_length=MAX_FOOTER)
    buttons: list[ButtonIn] | None = Field(None, max_length=MAX_BUTTONS)
    alert_text: str | None = Field(None, max_length=MAX_ALERT_TEXT)
    enabled: bool | None = None
    options: OptionsIn | None = Field(None, description="replaces the item's options whole")
    variants: list[VariantIn] | None = Field(
        None, max_length=MAX_VARIANTS, description=VARIANTS_HELP
    )
    media: list[MediaId] | None = Field(None, max_length=MAX_ALBUM, description=MEDIA_HELP)


class VariantsEndIn(RequestModel):
    keep: str | None = Field(
        None, pattern="^[A-D]$", description="the variant whose body and labels stay"
    )
    metric: Literal["clicks", "joins"] | None = Field(
        None,
        description="instead of keep: keep the variant the report names the winner by "
        "this measure (409 while there is none)",
    )

    @model_validator(mode="after")
    def _one_choice(self) -> VariantsEndIn:
        if (self.keep is None) == (self.metric is None):
            raise ValueError("give either keep (a variant) or metric (clicks or joins)")
        return self


class CadenceFields(RequestModel):
    interval_seconds: int | None = Field(
        None, ge=1, le=366 * 86400, description="every this many seconds (default 4 hours)"
    )
    cron: str | None = Field(None, max_length=128, description='e.g. "0 */4 * * *"')
    timezone: str | None = Field(None, max_length=64, description="IANA zone for cron; UTC")

    def cadence(self, current: Cadence) -> Cadence | None:
        """The cadence asked for, keeping what was not given from ``current``; None if
        nothing about it was given."""
        if self.interval_seconds is None and self.cron is None:
            if self.timezone is None:
                return None
            return Cadence(current.interval_seconds, current.cron, self.timezone)
        return Cadence(self.interval_seconds, self.cron, self.timezone or current.timezone)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            Cadence(cron=value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @model_validator(mode="after")
    def _one_cadence(self) -> Any:
        if self.interval_seconds is not None and self.cron is not None:
            raise ValueError("give interval_seconds or cron, not both")
        return self


class ChatIn(RequestModel):
    """A forum topic of a chat; a plain chat id is read as this without a topic."""

    chat_id: str
    topic_id: int | None = Field(None, ge=1, le=MAX_ID, description="message_thread_id")

    @field_validator("chat_id", mode="before")
    @classmethod
    def _chat_id(cls, value: object) -> str:
        return parse_chat_ids([value])[0]

    def target(self) -> ChatTarget:
        return ChatTarget(self.chat_id, self.topic_id)


def _topic_entry(entry: object) -> bool:
    return isinstance(entry, dict) or (isinstance(entry, str) and "/" in entry)


def _chat_entries(value: object) -> list[object]:
    """Plain chat ids read (and refused) as they always were; with topics among them,
    each entry as ChatIn's fields: an object, or ``"-1001234/5"`` as the dashboard's
    text writes a topic."""
    items: object = value
    if isinstance(value, str):
        text = value.strip()
        try:
            items = json.loads(text) if text.startswith("[") else text.split(",")
        except json.JSONDecodeError:
            items = None  # parse_chat_ids says what is wrong with it
        if isinstance(items, list):
            items = [i.strip() if isinstance(i, str) else i for i in items]
            items = [i for i in items if i != ""]
    if not isinstance(items, list | tuple) or not any(_topic_entry(i) for i in items):
        return [{"chat_id": chat} for chat in parse_chat_ids(value)]
    entries: list[object] = []
    for item in items:
        if isinstance(item, str) and "/" in item:
            chat, _, topic = item.partition("/")
            entries.append({"chat_id": chat.strip(), "topic_id": topic.strip()})
        elif isinstance(item, dict):
            entries.append(item)
        else:
            entries.append({"chat_id": parse_chat_ids([item])[0]})
    return entries


class ChatIdsField(RequestModel):
    @field_validator("chat_ids", mode="before", check_fields=False)
    @classmethod
    def _chat_ids(cls, value: object) -> object:
        return None if value is None else _chat_entries(value)

    def targets(self) -> list[ChatTarget] | None:
        chats: list[ChatIn] | None = getattr(self, "chat_ids", None)
        return None if chats is None else list(dict.fromkeys(c.target() for c in chats))


class ScheduleIn(CadenceFields, ChatIdsField):
    name: str = Field(min_length=1, max_length=128, pattern=NAME_PATTERN)
    kind: Literal["guides", "promos", "playlist"]
    items: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=500, description="playlist: content ids in order"
    )
    chat_ids: list[ChatIn] = Field(
        default_factory=list,
        max_length=1000,
        description='chat ids, or {"chat_id": ..., "topic_id": ...} for a forum topic',
    )
    enabled: bool = True
    post_on_start: bool = Field(False, description="post once as soon as created or resumed")
    options: OptionsIn = Field(
        default_factory=OptionsIn, description="over each item's options, field by field"
    )

    @model_validator(mode="after")
    def _playlist(self) -> ScheduleIn:
        if self.kind == "playlist" and not self.items:
            raise ValueError("a playlist schedule needs items (content ids)")
        return self

    def spec(self) -> ScheduleSpec:
        return ScheduleSpec(
            name=self.name,
            kind=ScheduleKind(self.kind),
            cadence=self.cadence(DEFAULT_CADENCE) or DEFAULT_CADENCE,
            chat_ids=self.targets() or [],
            items=self.items,
            enabled=self.enabled,
            post_on_start=self.post_on_start,
            options=self.options.options(),
        )


class SchedulePatch(CadenceFields, ChatIdsField):
    name: str | None = Field(None, min_length=1, max_length=128, pattern=NAME_PATTERN)
    items: list[Annotated[int, Field(ge=1)]] | None = Field(None, max_length=500)
    chat_ids: list[ChatIn] | None = Field(None, max_length=1000)
    enabled: bool | None = Field(None, description="false pauses, true resumes")
    post_on_start: bool | None = None
    options: OptionsIn | None = Field(None, description="replaces the schedule's options whole")

    def changes(self, current: Schedule) -> ScheduleChanges:
        return ScheduleChanges(
            name=self.name,
            cadence=self.cadence(current.cadence),
            chat_ids=self.targets(),
            items=self.items,
            enabled=self.enabled,
            post_on_start=self.post_on_start,
            options=None if self.options is None else self.options.options(),
        )
