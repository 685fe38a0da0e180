"""Recipients and their browser push subscriptions."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, EmailStr, Field, field_validator

from herald.channel import Channel
from herald.db.types import MAX_ID
from herald.messaging.recipients import PushSubscription, Recipient, RecipientFields
from herald.web.deps import Admin, RuntimeDep
from herald.web.schemas import ExternalId, RequestModel

router = APIRouter(tags=["recipients"])


class RecipientIn(RequestModel):
    email: EmailStr | None = None
    telegram_chat_id: (
        Annotated[int, Field(ge=-(10**20), le=10**20)]
        | Annotated[str, Field(pattern=r"^(-?\d{1,20}|@[A-Za-z]\w{4,31})$")]
        | None
    ) = Field(None, description="numeric chat id (negative for groups) or @channelusername")
    locale: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")] | None = None
    channels: list[Channel] = Field(
        default_factory=list, description="preferred order; empty means push, email, telegram"
    )
    opted_out: list[Channel] = Field(default_factory=list)

    @field_validator("channels", "opted_out")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists each channel at most once")
        return value


class PushSubscriptionKeys(BaseModel):
    p256dh: str = Field(description="base64url P-256 public key (65 bytes)")
    auth: str = Field(description="base64url auth secret (16 bytes)")

    @field_validator("p256dh")
    @classmethod
    def _p256dh(cls, value: str) -> str:
        raw = _b64url(value)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("must be an uncompressed P-256 public key (65 bytes, base64url)")
        return value

    @field_validator("auth")
    @classmethod
    def _auth(cls, value: str) -> str:
        if len(_b64url(value)) != 16:
            raise ValueError("must be a 16-byte auth secret (base64url)")
        return value


class PushSubscriptionIn(RequestModel):
    """The browser's PushSubscription.toJSON()."""

    endpoint: str = Field(max_length=2048)
    keys: PushSubscriptionKeys
    expirationTime: int | None = None

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        parts = urlsplit(value)
        if not parts.hostname or parts.scheme not in ("https", "http"):
            raise ValueError("must be an https URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("must be an https URL (http only for a local push service)")
        return value


class PushSubscriptionOut(BaseModel):
    id: int
    endpoint: str
    created_at: datetime

    @classmethod
    def of(cls, s: PushSubscription) -> PushSubscriptionOut:
        return cls(id=s.id, endpoint=s.endpoint, created_at=s.created_at)


class RecipientOut(BaseModel):
    external_id: str
    email: str | None
    telegram_chat_id: str | None
    telegram_unreachable_since: datetime | None
    telegram_unreachable_reason: str | None
    locale: str | None
    channels: list[str]
    opted_out: list[str]
    push_subscriptions: list[PushSubscriptionOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: Recipient) -> RecipientOut:
        return cls(
            external_id=r.external_id,
            email=r.email,
            telegram_chat_id=r.telegram_chat_id,
            telegram_unreachable_since=r.telegram_unreachable_at,
            telegram_unreachable_reason=r.telegram_unreachable_reason,
            locale=r.locale,
            channels=list(r.channels),
            opted_out=list(r.opted_out),
            push_subscriptions=[PushSubscriptionOut.of(s) for s in r.push_subscriptions],
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


def _b64url(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("is not base64url") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _not_found(external_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"recipient {external_id!r} not found")


@router.put("/recipients/{external_id}")
async def put_recipient(
    external_id: ExternalId, body: RecipientIn, runtime: RuntimeDep, response: Response, _: Admin
) -> RecipientOut:
    """Create or replace a recipient (fields left out are cleared)."""
    chat = body.telegram_chat_id
    recipient, created = await runtime.recipients.put(
        external_id,
        RecipientFields(
            email=str(body.email) if body.email else None,
            telegram_chat_id=str(chat) if chat is not None else None,
            locale=body.locale,
            channels=tuple(body.channels),
            opted_out=tuple(body.opted_out),
        ),
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return RecipientOut.of(recipient)


@router.get("/recipients/{external_id}")
async def get_recipient(external_id: ExternalId, runtime: RuntimeDep) -> RecipientOut:
    recipient = await runtime.recipients.get(external_id)
    if recipient is None:
        raise _not_found(external_id)
    return RecipientOut.of(recipient)


@router.delete("/recipients/{external_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_recipient(external_id: ExternalId, runtime: RuntimeDep, _: Admin) -> None:
    if not await runtime.recipients.delete(external_id):
        raise _not_found(external_id)


@router.post("/recipients/{external_id}/push-subscriptions", status_code=status.HTTP_201_CREATED)
async def add_push_subscription(
    external_id: ExternalId, body: PushSubscriptionIn, runtime: RuntimeDep, _: Admin
) -> PushSubscriptionOut:
    subscription = await runtime.recipients.add_push_subscription(
        external_id, body.endpoint, body.keys.p256dh, body.keys.auth
    )
    if subscription is None:
        raise _not_found(external_id)
    return PushSubscriptionOut.of(subscription)


@router.delete(
    "/recipients/{external_id}/push-subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def remove_push_subscription(
    external_id: ExternalId,
    subscription_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    runtime: RuntimeDep,
    _: Admin,
) -> None:
    if not await runtime.recipients.remove_push_subscription(external_id, subscription_id):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"recipient {external_id!r} has no push subscription {subscription_id}",
        )
