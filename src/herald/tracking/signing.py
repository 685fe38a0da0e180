"""Signed callback data for tracked CTA buttons.

Telegram clients can send any callback_data they like, so a click is believed only
when its data carries an HMAC (keyed by ``HERALD_SECRET_KEY``) over the promo and CTA
it names. The format is ``c1:<promo id>:<cta index>:<signature>``: at most 64 bytes for
any promo id below 10^18, as the Bot API requires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

PREFIX = "c1"
SIGNATURE_CHARS = 16  # 96 bits of base64url: forging one is out of reach
MAX_CALLBACK_BYTES = 64
_FORMAT = re.compile(r"c1:(0|[1-9][0-9]{0,17}):(0|[1-9][0-9]{0,2}):([A-Za-z0-9_-]{16})")


@dataclass(frozen=True, slots=True)
class Click:
    """What a verified callback names: a promo and the index of one of its CTAs."""

    promo_id: int
    cta: int


class CallbackSigner:
    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to sign callback data")
        self._key = hashlib.sha256(b"herald.callback\0" + secret_key.encode()).digest()

    def _signature(self, promo_id: int, cta: int) -> str:
        mac = hmac.new(self._key, f"{promo_id}:{cta}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_CHARS]

    def sign(self, promo_id: int, cta: int) -> str:
        data = f"{PREFIX}:{promo_id}:{cta}:{self._signature(promo_id, cta)}"
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        return data

    def verify(self, data: str) -> Click | None:
        """The click ``data`` names, or None when it is malformed or forged."""
        match = _FORMAT.fullmatch(data)
        if match is None:
            return None
        promo_id, cta = int(match[1]), int(match[2])
        if not hmac.compare_digest(match[3], self._signature(promo_id, cta)):
            return None
        return Click(promo_id, cta)
