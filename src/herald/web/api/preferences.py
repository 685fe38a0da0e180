"""Categories, and each recipient's own preferences (docs/preferences.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field

from herald.channel import Channel
from herald.messaging.recipients import Recipient
from herald.preferences import Category, Preferences, QuietHours
from herald.preferences.categories import KEY_PATTERN
from herald.runtime import Runtime
from herald.web.deps import Admin, RuntimeDep
from herald.web.schemas import ExternalId, RequestModel, StoredText

router = APIRouter(tags=["preferences"])

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["22:00"])]


class CategoryIn(RequestModel):
    key: str = Field(pattern=KEY_PATTERN, examples=["promos"])
    name: str = Field(min_length=1, max_length=128)
    description: str = Field("", max_length=1000)
    daily_cap: int | None = Field(
        None, ge=0, le=10_000, description="messages per recipient, channel and day"
    )


class CategoryOut(BaseModel):
    key: str
    name: str
    description: str
    daily_cap: int | None
    created_at: datetime | None

    @classmethod
    def of(cls, c: Category) -> CategoryOut:
        return cls(
            key=c.key,
            name=c.name,
            description=c.description,
            daily_cap=c.daily_cap,
            created_at=c.created_at,
        )


class QuietHoursIO(RequestModel):
    start: HHMM
    end: HHMM


class PreferencesIn(RequestModel):
    timezone: str | None = Field(None, max_length=64, examples=["Europe/London"])
    quiet_hours: QuietHoursIO | None = None
    categories: dict[str, list[Channel]] = Field(
        default_factory=dict,
        description="category key -> the channels accepted for it; a category left out "
        "accepts every channel",
    )
    channels_off: list[Channel] = Field(
        default_factory=list, description="channels refused for campaign messages of any category"
    )
    unsubscribed_all: bool = False

    def preferences(self) -> Preferences:
        quiet = self.quiet_hours
        return Preferences(
            timezone=self.timezone,
            quiet_hours=QuietHours.parse(quiet.start, quiet.end) if quiet else None,
            categories={k: frozenset(v) for k, v in self.categories.items()},
            channels_off=frozenset(self.channels_off),
            unsubscribed_all=self.unsubscribed_all,
        )


class PreferencesOut(BaseModel):
    recipient: str
    timezone: str | None
    quiet_hours: QuietHoursIO | None
    categories: dict[str, list[str]] = Field(
        description="every category -> the channels its messages may use"
    )
    channels_off: list[str]
    unsubscribed_all: bool

    @classmethod
    def of(cls, external_id: str, p: Preferences, keys: list[str]) -> PreferencesOut:
        quiet = None
        if p.quiet_hours is not None:
            start, end = p.quiet_hours.as_text()
            quiet = QuietHoursIO(start=start, end=end)
        return cls(
            recipient=external_id,
            timezone=p.timezone,
            quiet_hours=quiet,
            categories={k: sorted(p.channels_for(k)) for k in sorted({*keys, *p.categories})},
            channels_off=sorted(p.channels_off),
            unsubscribed_all=p.unsubscribed_all,
        )


@router.post("/categories", status_code=status.HTTP_201_CREATED)
async def create_category(body: CategoryIn, runtime: RuntimeDep, _: Admin) -> CategoryOut:
    """Define a category (409 if the key exists)."""
    created = await runtime.categories.create(
        Category(body.key, body.name, body.description, body.daily_cap)
    )
    return CategoryOut.of(created)


@router.get("/categories")
async def list_categories(runtime: RuntimeDep) -> list[CategoryOut]:
    return [CategoryOut.of(c) for c in await runtime.categories.list()]


@router.get("/categories/{key}")
async def get_category(
    key: Annotated[StoredText, Path(max_length=64)], runtime: RuntimeDep
) -> CategoryOut:
    return CategoryOut.of(await runtime.categories.get(key))


async def _recipient(runtime: Runtime, external_id: str) -> Recipient:
    recipient = await runtime.recipients.get(external_id)
    if recipient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"recipient {external_id!r} not found")
    return recipient


@router.get("/recipients/{external_id}/preferences")
async def get_preferences(external_id: ExternalId, runtime: RuntimeDep) -> PreferencesOut:
    recipient = await _recipient(runtime, external_id)
    prefs = await runtime.preferences.get(recipient.id)
    keys = [c.key for c in await runtime.categories.list()]
    return PreferencesOut.of(external_id, prefs, keys)


@router.put("/recipients/{external_id}/preferences")
async def put_preferences(
    external_id: ExternalId, body: PreferencesIn, runtime: RuntimeDep, _: Admin
) -> PreferencesOut:
    """Replace the recipient's preferences (errors: 422 naming the field)."""
    recipient = await _recipient(runtime, external_id)
    await runtime.preferences.put(recipient.id, body.preferences(), source="api")
    return await get_preferences(external_id, runtime)
