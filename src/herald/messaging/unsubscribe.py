"""herald's own unsubscribe on campaign messages: the List-Unsubscribe URL and a footer
on email, a signed unsubscribe button under a Telegram DM.

Every campaign email carries herald's signed one-click URL (RFC 8058) for its recipient,
category and channel, and a footer with the preference page and the same unsubscribe
link, in both parts, in the recipient's language where the catalogue has it. A caller's
``mailto:`` stays beside herald's URL; a caller's https URL is used only when herald
cannot make its own (no ``HERALD_PUBLIC_URL``): one-click must reach one place.
Transactional email never gets them: it is not held back by preferences, so a link that
promised to stop it would lie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from herald.auth.recipient_links import RecipientLinks
from herald.channel import Channel

# language -> (preferences, unsubscribe); English is the fallback. The second is also
# the label of the unsubscribe button under a campaign DM.
FOOTER: dict[str, tuple[str, str]] = {
    "en": ("Manage your email preferences", "Unsubscribe"),
    "de": ("E-Mail-Einstellungen verwalten", "Abmelden"),
}
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def language(locale: str | None, available: Any, default: str = "en") -> str:
    """The catalogue's language for ``locale`` (``de-AT`` -> ``de``), else ``default``."""
    if locale:
        wanted = locale.replace("_", "-").lower()
        for candidate in (wanted, wanted.split("-")[0]):
            if candidate in available:
                return candidate
    return default


@dataclass(frozen=True, slots=True)
class Addressee:
    """Whose message it is, in which language, and of which category (None: all)."""

    recipient_id: int
    locale: str | None
    category: str | None


def add_unsubscribe(
    payload: dict[str, Any], links: RecipientLinks, to: Addressee, caller_uri: str | None
) -> None:
    """Sets the email ``payload``'s List-Unsubscribe URIs and appends the footer."""
    unsubscribe = links.unsubscribe_url(to.recipient_id, to.category, Channel.EMAIL)
    preferences = links.preferences_url(to.recipient_id)
    uris = [unsubscribe] if unsubscribe else []
    if caller_uri and (unsubscribe is None or caller_uri.lower().startswith("mailto:")):
        uris.append(caller_uri)
    if uris:
        payload["list_unsubscribe"] = uris
    if unsubscribe is None or preferences is None:
        return
    manage, leave = FOOTER[language(to.locale, FOOTER)]
    payload["text"] = f"{payload['text']}\n\n--\n{manage}: {preferences}\n{leave}: {unsubscribe}"
    footer = (
        '<p style="font-size:12px;color:#6b7280;text-align:center;">'
        f'<a href="{escape(preferences)}">{escape(manage)}</a> &middot; '
        f'<a href="{escape(unsubscribe)}">{escape(leave)}</a></p>'
    )
    html = str(payload["html"])
    ends = list(_BODY_END.finditer(html))
    at = ends[-1].start() if ends else len(html)
    payload["html"] = f"{html[:at]}{footer}\n{html[at:]}"


def add_unsubscribe_button(payload: dict[str, Any], links: RecipientLinks, to: Addressee) -> None:
    """A last row under a Telegram campaign DM: one signed button that unsubscribes the
    recipient from ``category`` (None: every one) on Telegram (bot/opt_out.py answers)."""
    data = links.callback_data(to.recipient_id, to.category)
    if data is None:
        return
    _, leave = FOOTER[language(to.locale, FOOTER)]
    rows = list(payload.get("buttons") or [])
    payload["buttons"] = [*rows, [{"text": leave, "callback_data": data}]]
