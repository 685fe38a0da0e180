"""``/start <payload>``: the private half of a CTA with an offer link.

A press of such a CTA in a group is answered with a deep link to the bot; Telegram
opens the private chat and sends ``/start <payload>``. The payload is signed, so only
offers herald put on a button can be asked for; the user gets the promo and its link
(a tracked ``/r/`` link naming them, when ``HERALD_PUBLIC_URL`` is set).
"""

from __future__ import annotations

from typing import Any

from herald.scheduling.content import Kind
from herald.scheduling.post import PostMessage, post_body
from herald.tracking.signing import Signer
from herald.tracking.targets import Targets

WELCOME = (
    "Hi! I post trading guides and offers in the community's groups. "
    "Press a button under one of our posts to get its offer here."
)
EXPIRED = "Sorry, this offer is no longer available."


class Offers:
    def __init__(self, signer: Signer, targets: Targets, public_url: str | None) -> None:
        self._signer = signer
        self._targets = targets
        self._public_url = public_url

    async def reply(self, payload: str, user_id: int | None) -> str | dict[str, Any]:
        """What /start answers: the offer the payload names, else a welcome."""
        if not payload:
            return WELCOME
        click = self._signer.verify_start(payload)
        if click is None:
            return EXPIRED
        promo = await self._targets.content(click.promo_id)
        if promo is None or promo.kind is not Kind.PROMO or click.cta >= len(promo.buttons):
            return EXPIRED
        button = promo.buttons[click.cta]
        if button.url is None:
            return promo.alert_text or EXPIRED
        url = button.url
        if self._public_url:
            recipient = f"tg:{user_id}" if user_id is not None else None
            token = self._signer.link_token(
                content_id=promo.id, cta=click.cta, recipient=recipient, variant=click.variant
            )
            url = f"{self._public_url}/r/{token}"
        message = PostMessage().title(promo.title).body(post_body(promo.body, promo.format))
        return message.link_button(button.text, url).payload()
