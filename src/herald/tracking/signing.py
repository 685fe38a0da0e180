"""Signed click data: callback buttons, /start deep links and tracked links.

Telegram clients can send any callback_data they like and anyone can type a URL, so a
click is believed only when what it carries is signed with an HMAC keyed by
``HERALD_SECRET_KEY`` (a key of its own per use, so a token of one kind is never valid
as another). Formats, each at most 64 characters for the ids herald uses:

- callback data ``c1:<promo>:<cta>[<variant>]:<sig>`` (Telegram's limit is 64 bytes);
- a /start payload ``p<promo>_<cta>[<variant>]_<sig>`` (deep links allow
  ``[A-Za-z0-9_-]{1,64}``);
- a link token ``c<content>.<cta>[<variant>][~<chat>[~<run>]][.<recipient>].<sig>`` for
  a content button, or ``l<link>[.<recipient>].<sig>`` for a link registered through the
  API; the recipient is base64url. The token names what was stored, never a URL:
  ``/r/`` can only send a browser where herald itself stored the target.

``<variant>`` (A-D) is the A/B variant of the post the button was on, so a click says
which variant was clicked however it arrives; ``<chat>`` (a chat id as herald stores
it, ``-100...`` or ``@name``) is the chat a scheduled post's link was sent to, so a
link click counts in that chat's figures as a press does, and ``<run>`` the schedule run
that posted it there: (run, chat) is the post in the post log, which a press finds by
its message (a link is made before Telegram gives the message its id). Data without
them, as posted before, verifies as it always did.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache

PREFIX = "c1"
SIGNATURE_CHARS = 16  # 96 bits of base64url: forging one is out of reach
MAX_CALLBACK_BYTES = 64
LINKS_REMEMBERED = 4096  # distinct link tokens whose verification is kept
_ID = r"(0|[1-9][0-9]{0,17})"
_CTA = r"(0|[1-9][0-9]{0,2})"
_VARIANT = r"([A-D])?"
_SIG = r"([A-Za-z0-9_-]{16})"
_CALLBACK = re.compile(rf"c1:{_ID}:{_CTA}{_VARIANT}:{_SIG}")
_START = re.compile(rf"p{_ID}_{_CTA}{_VARIANT}_{_SIG}")
_CHAT = r"-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,31}"  # config's chat ids
_LINK = re.compile(
    rf"(?:c{_ID}\.{_CTA}{_VARIANT}(?:~({_CHAT})(?:~{_ID})?)?|l{_ID})"
    rf"(?:\.([A-Za-z0-9_-]{{1,400}}))?\.{_SIG}"
)


@dataclass(frozen=True, slots=True)
class Click:
    """What verified data names: a promo and the index of one of its CTAs."""

    promo_id: int
    cta: int
    variant: str | None = None  # the A/B variant the button was posted in


@dataclass(frozen=True, slots=True)
class LinkRef:
    """What a verified link token names: a content button or a registered link."""

    content_id: int | None
    cta: int | None
    link_id: int | None
    recipient: str | None
    variant: str | None = None
    chat: str | None = None  # the chat the post with this link was sent to
    run: int | None = None  # the schedule run that posted it there: (run, chat) is the post


class Signer:
    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to sign click data")
        root = hashlib.sha256(b"herald.signing\0" + secret_key.encode()).digest()
        self._keys = {
            use: hmac.new(root, use.encode(), hashlib.sha256).digest()
            for use in ("callback", "start", "link")
        }
        # /r/ verifies a token on every click, and a popular post's link is one token
        # clicked thousands of times: each distinct token's answer (a forged one's None
        # too) is kept, a bounded number of them, so the HMAC runs once per token.
        self._verified_links = lru_cache(maxsize=LINKS_REMEMBERED)(self._verify_link)

    def _mac(self, use: str, text: str) -> str:
        mac = hmac.digest(self._keys[use], text.encode(), "sha256")
        return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_CHARS]

    def _valid(self, use: str, text: str, signature: str) -> bool:
        return hmac.compare_digest(signature, self._mac(use, text))

    # -- callback buttons ---------------------------------------------------------------

    def sign(self, promo_id: int, cta: int, variant: str | None = None) -> str:
        """The callback_data of a promo's tracked CTA (in ``variant`` of a test)."""
        named = f"{cta}{variant or ''}"
        data = f"{PREFIX}:{promo_id}:{named}:{self._mac('callback', f'{promo_id}:{named}')}"
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        return data

    def verify(self, data: str) -> Click | None:
        """The click callback ``data`` names, or None when it is malformed or forged."""
        return self._click("callback", _CALLBACK.fullmatch(data))

    def _click(self, use: str, match: re.Match[str] | None) -> Click | None:
        if match is None:
            return None
        promo, cta, variant, signature = match.groups()
        if not self._valid(use, f"{promo}:{cta}{variant or ''}", signature):
            return None
        return Click(int(promo), int(cta), variant)

    # -- /start deep links --------------------------------------------------------------

    def start_payload(self, promo_id: int, cta: int, variant: str | None = None) -> str:
        named = f"{cta}{variant or ''}"
        return f"p{promo_id}_{named}_{self._mac('start', f'{promo_id}:{named}')}"

    def verify_start(self, payload: str) -> Click | None:
        return self._click("start", _START.fullmatch(payload))

    # -- tracked links --------------------------------------------------------------------

    def link_token(
        self,
        *,
        content_id: int | None = None,
        cta: int | None = None,
        link_id: int | None = None,
        recipient: str | None = None,
        variant: str | None = None,
        chat: str | None = None,
        run: int | None = None,
    ) -> str:
        if (content_id is None or cta is None) == (link_id is None):
            raise ValueError("a link token names a content button or a registered link")
        if chat is not None and (link_id is not None or not re.fullmatch(_CHAT, chat)):
            raise ValueError(f"a content button's link names a chat id, not {chat!r}")
        head = f"c{content_id}.{cta}{variant or ''}" if link_id is None else f"l{link_id}"
        if run is not None and chat is None:
            raise ValueError("a link names the run that posted it only beside its chat")
        if chat is not None:
            head += f"~{chat}" + (f"~{run}" if run is not None else "")
        if recipient is not None:
            head += "." + base64.urlsafe_b64encode(recipient.encode()).decode().rstrip("=")
        return f"{head}.{self._mac('link', head)}"

    def verify_link(self, token: str) -> LinkRef | None:
        """What ``token`` names, or None when it is malformed or forged."""
        return self._verified_links(token)

    def _verify_link(self, token: str) -> LinkRef | None:
        match = _LINK.fullmatch(token)
        if match is None:
            return None
        content, cta, variant, chat, run, link, encoded, signature = match.groups()
        head = token[: -(SIGNATURE_CHARS + 1)]
        if not self._valid("link", head, signature):
            return None
        recipient = None
        if encoded is not None:
            try:
                padded = encoded + "=" * (-len(encoded) % 4)
                recipient = base64.urlsafe_b64decode(padded).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
        return LinkRef(
            content_id=int(content) if content is not None else None,
            cta=int(cta) if cta is not None else None,
            link_id=int(link) if link is not None else None,
            recipient=recipient,
            variant=variant,
            chat=chat,
            run=int(run) if run is not None else None,
        )
