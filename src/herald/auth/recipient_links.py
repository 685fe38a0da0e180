"""Signed links that let a recipient unsubscribe or open their preference page, no login.

The token is the credential: it names a recipient (herald's id), a category (or all),
a channel (or all) and a purpose (unsubscribe | preferences), and is HMAC-signed with
a key derived from ``HERALD_SECRET_KEY`` for that purpose alone, under a label of its
own, so a click token (``tracking.signing``) or a preference token is never valid as
an unsubscribe token. It is verified without the database.

Tokens do not expire: RFC 8058 wants the ``List-Unsubscribe`` URL of a mail read a year
later to still work, and a preference link in an old footer should too. The only way
to withdraw every link at once is to change ``HERALD_SECRET_KEY`` (which also voids
tracked links and buttons). Format, URL-safe without escaping::

    <u|p><recipient id>.<category or empty>.<channel or empty>.<signature>

An empty category means every category, an empty channel every channel. An
unsubscribe button under a campaign DM carries ``o1:<id>:<category>:<signature>``
(96 bits, under a key of its own) in its callback data, the channel Telegram. URLs need
``HERALD_PUBLIC_URL``; without it ``RecipientLinks.url`` is None and herald says so
(``herald doctor``, a line at start).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from herald.channel import Channel

SIGNATURE_CHARS = 22  # 132 bits of base64url
CATEGORY = r"[A-Za-z0-9_-]{1,64}"
_CHANNELS = "|".join(c.value for c in Channel)
_TOKEN = re.compile(
    rf"([up])(0|[1-9][0-9]{{0,18}})\.({CATEGORY})?\.({_CHANNELS})?\.([A-Za-z0-9_-]{{{SIGNATURE_CHARS}}})"
)


# An unsubscribe button under a campaign DM: Telegram's callback_data holds 64 bytes.
_BUTTON = re.compile(r"o1:(0|[1-9][0-9]{0,18}):([A-Za-z0-9_-]{0,64}):([A-Za-z0-9_-]{16})")
BUTTON_PREFIX = "o1:"
MAX_CALLBACK_BYTES = 64


class Purpose(StrEnum):
    UNSUBSCRIBE = "u"
    PREFERENCES = "p"


PATHS = {Purpose.UNSUBSCRIBE: "/u/", Purpose.PREFERENCES: "/preferences/"}


@dataclass(frozen=True, slots=True)
class RecipientToken:
    """What a verified token names. ``category`` / ``channel`` None: all of them."""

    purpose: Purpose
    recipient_id: int
    category: str | None = None
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class LinkSet:
    """A recipient's links for a caller's own messages: the preference page, and an
    unsubscribe URL from every category and from each one."""

    preferences_url: str
    unsubscribe_all_url: str
    unsubscribe_urls: dict[str, str]  # category key -> URL


class RecipientLinks:
    """Signs and verifies recipient tokens; builds their URLs on ``public_url``."""

    def __init__(self, secret_key: str, public_url: str | None) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to sign recipient links")
        root = hashlib.sha256(b"herald.recipient-links\0" + secret_key.encode()).digest()
        self._keys = {p: hmac.new(root, p.name.encode(), hashlib.sha256).digest() for p in Purpose}
        self._button_key = hmac.new(root, b"BUTTON", hashlib.sha256).digest()
        self.public_url = public_url.rstrip("/") if public_url else None

    def _mac(self, purpose: Purpose, head: str) -> str:
        mac = hmac.new(self._keys[purpose], head.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_CHARS]

    def token(self, ref: RecipientToken) -> str:
        if ref.category is not None and not re.fullmatch(CATEGORY, ref.category):
            raise ValueError(f"category {ref.category!r} cannot be put in a link")
        head = f"{ref.purpose.value}{ref.recipient_id}.{ref.category or ''}.{ref.channel or ''}"
        return f"{head}.{self._mac(ref.purpose, head)}"

    def verify(self, token: str, purpose: Purpose) -> RecipientToken | None:
        """What ``token`` names, or None when it is garbled, forged or of another purpose."""
        match = _TOKEN.fullmatch(token)
        if match is None or match[1] != purpose.value:
            return None
        head = token[: -(SIGNATURE_CHARS + 1)]
        if not hmac.compare_digest(match[5], self._mac(purpose, head)):
            return None
        return RecipientToken(
            purpose=purpose,
            recipient_id=int(match[2]),
            category=match[3],
            channel=Channel(match[4]) if match[4] else None,
        )

    def callback_data(self, recipient_id: int, category: str | None) -> str | None:
        """A Telegram unsubscribe button's data (``o1:<id>:<category>:<sig>``, the channel
        Telegram implied); None when it would not fit Telegram's 64 bytes."""
        head = f"{BUTTON_PREFIX}{recipient_id}:{category or ''}"
        data = f"{head}:{self._button_mac(head)}"
        return data if len(data.encode()) <= MAX_CALLBACK_BYTES else None

    def verify_callback(self, data: str) -> RecipientToken | None:
        """What a pressed unsubscribe button names, or None when garbled or forged."""
        match = _BUTTON.fullmatch(data)
        if match is None:
            return None
        head = data[: -(len(match[3]) + 1)]
        if not hmac.compare_digest(match[3], self._button_mac(head)):
            return None
        return RecipientToken(
            Purpose.UNSUBSCRIBE, int(match[1]), match[2] or None, Channel.TELEGRAM
        )

    def _button_mac(self, head: str) -> str:
        mac = hmac.new(self._button_key, head.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode()[:16]

    def path(self, ref: RecipientToken) -> str:
        """``ref``'s page on herald (``/u/...``, ``/preferences/...``), for herald's own pages."""
        return f"{PATHS[ref.purpose]}{self.token(ref)}"

    def url(self, ref: RecipientToken) -> str | None:
        """The https URL of ``ref``; None without ``HERALD_PUBLIC_URL``."""
        if self.public_url is None:
            return None
        return f"{self.public_url}{self.path(ref)}"

    def unsubscribe_url(
        self, recipient_id: int, category: str | None, channel: Channel | None
    ) -> str | None:
        return self.url(RecipientToken(Purpose.UNSUBSCRIBE, recipient_id, category, channel))

    def preferences_url(self, recipient_id: int) -> str | None:
        return self.url(RecipientToken(Purpose.PREFERENCES, recipient_id))

    def link_set(
        self, recipient_id: int, categories: Iterable[str], channel: Channel | None
    ) -> LinkSet | None:
        """Every link of the recipient (unsubscribing on ``channel``, None: every
        channel); None without ``HERALD_PUBLIC_URL``."""
        page = self.preferences_url(recipient_id)
        every = self.unsubscribe_url(recipient_id, None, channel)
        if page is None or every is None:
            return None
        return LinkSet(
            preferences_url=page,
            unsubscribe_all_url=every,
            unsubscribe_urls={
                key: str(self.unsubscribe_url(recipient_id, key, channel)) for key in categories
            },
        )
