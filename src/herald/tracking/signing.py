"""Signed click data: callback buttons, /start deep links and tracked links.

Telegram clients can send any callback_data they like and anyone can type a URL, so a
click is believed only when what it carries is signed with an HMAC keyed by
``HERALD_SECRET_KEY`` (a key of its own per use, so a token of one kind is never valid
as another). Formats, each at most 64 characters for the ids herald uses:

- callback data ``c1:<promo>:<cta>:<sig>`` (Telegram's limit is 64 bytes);
- a /start payload ``p<promo>_<cta>_<sig>`` (deep links allow ``[A-Za-z0-9_-]{1,64}``);
- a link token ``c<content>.<cta>[.<recipient>].<sig>`` for a content button, or
  ``l<link>[.<recipient>].<sig>`` for a link registered through the API; the recipient
  is base64url. The token names what was stored, never a URL: ``/r/`` can only send a
  browser where herald itself stored the target.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

PREFIX = "c1"
SIGNATURE_CHARS = 16  # 96 bits of base64url: forging one is out of reach
MAX_CALLBACK_BYTES = 64
_ID = r"(0|[1-9][0-9]{0,17})"
_CTA = r"(0|[1-9][0-9]{0,2})"
_SIG = r"([A-Za-z0-9_-]{16})"
_CALLBACK = re.compile(rf"c1:{_ID}:{_CTA}:{_SIG}")
_START = re.compile(rf"p{_ID}_{_CTA}_{_SIG}")
_LINK = re.compile(rf"(?:c{_ID}\.{_CTA}|l{_ID})(?:\.([A-Za-z0-9_-]{{1,400}}))?\.{_SIG}")


@dataclass(frozen=True, slots=True)
class Click:
    """What verified data names: a promo and the index of one of its CTAs."""

    promo_id: int
    cta: int


@dataclass(frozen=True, slots=True)
class LinkRef:
    """What a verified link token names: a content button or a registered link."""

    content_id: int | None
    cta: int | None
    link_id: int | None
    recipient: str | None


class Signer:
    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to sign click data")
        root = hashlib.sha256(b"herald.signing\0" + secret_key.encode()).digest()
        self._keys = {
            use: hmac.new(root, use.encode(), hashlib.sha256).digest()
            for use in ("callback", "start", "link")
        }

    def _mac(self, use: str, text: str) -> str:
        mac = hmac.new(self._keys[use], text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_CHARS]

    def _valid(self, use: str, text: str, signature: str) -> bool:
        return hmac.compare_digest(signature, self._mac(use, text))

    # -- callback buttons ---------------------------------------------------------------

    def sign(self, promo_id: int, cta: int) -> str:
        """The callback_data of a promo's tracked CTA."""
        data = f"{PREFIX}:{promo_id}:{cta}:{self._mac('callback', f'{promo_id}:{cta}')}"
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        return data

    def verify(self, data: str) -> Click | None:
        """The click callback ``data`` names, or None when it is malformed or forged."""
        match = _CALLBACK.fullmatch(data)
        if match is None or not self._valid("callback", f"{match[1]}:{match[2]}", match[3]):
            return None
        return Click(int(match[1]), int(match[2]))

    # -- /start deep links --------------------------------------------------------------

    def start_payload(self, promo_id: int, cta: int) -> str:
        return f"p{promo_id}_{cta}_{self._mac('start', f'{promo_id}:{cta}')}"

    def verify_start(self, payload: str) -> Click | None:
        match = _START.fullmatch(payload)
        if match is None or not self._valid("start", f"{match[1]}:{match[2]}", match[3]):
            return None
        return Click(int(match[1]), int(match[2]))

    # -- tracked links --------------------------------------------------------------------

    def link_token(
        self,
        *,
        content_id: int | None = None,
        cta: int | None = None,
        link_id: int | None = None,
        recipient: str | None = None,
    ) -> str:
        if (content_id is None or cta is None) == (link_id is None):
            raise ValueError("a link token names a content button or a registered link")
        head = f"c{content_id}.{cta}" if link_id is None else f"l{link_id}"
        if recipient is not None:
            head += "." + base64.urlsafe_b64encode(recipient.encode()).decode().rstrip("=")
        return f"{head}.{self._mac('link', head)}"

    def verify_link(self, token: str) -> LinkRef | None:
        match = _LINK.fullmatch(token)
        if match is None:
            return None
        head = token[: -(SIGNATURE_CHARS + 1)]
        if not self._valid("link", head, match[5]):
            return None
        recipient = None
        if match[4] is not None:
            try:
                padded = match[4] + "=" * (-len(match[4]) % 4)
                recipient = base64.urlsafe_b64decode(padded).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
        return LinkRef(
            content_id=int(match[1]) if match[1] is not None else None,
            cta=int(match[2]) if match[2] is not None else None,
            link_id=int(match[3]) if match[3] is not None else None,
            recipient=recipient,
        )
