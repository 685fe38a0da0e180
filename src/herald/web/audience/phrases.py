"""The recipient pages' words, in each language herald ships them in (English, German).

A small catalogue rather than gettext: a handful of sentences, and a page picks its
language from the recipient's locale (``de-AT`` -> ``de``), else English. Operators'
category names are shown as they wrote them.
"""

from __future__ import annotations

from collections.abc import Mapping

from herald.messaging.unsubscribe import language

PHRASES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "unsubscribe_title": "Unsubscribe",
        "confirm": "Stop receiving {what}?",
        "confirm_button": "Unsubscribe",
        "done_title": "You are unsubscribed",
        "done": "You will no longer receive {what}.",
        "what_all": "our news and offers",
        "what_category": "“{category}” messages",
        "by_channel": "{what} by {channel}",
        "manage": "Manage all your preferences",
        "transactional_note": "Messages about your own account (such as alerts on your "
        "positions) are not affected.",
        "invalid_title": "This link is not valid",
        "invalid": "The link may have been copied incompletely. Please use the link from "
        "your most recent message.",
        "bad_request_title": "Nothing was changed",
        "bad_request": "Please use the button on the page to unsubscribe.",
        "preferences_title": "Your preferences",
        "channels": "Receive our news and offers by",
        "categories": "Topics",
        "topic": "Topic",
        "timezone": "Time zone",
        "timezone_unset": "Not set",
        "quiet_hours": "Quiet hours (nothing is sent between these times)",
        "quiet_from": "From",
        "quiet_to": "to",
        "unsubscribe_all": "Unsubscribe from everything",
        "save": "Save",
        "saved": "Your preferences are saved.",
        "quiet_both": "Give both times of the quiet hours, or neither.",
        "email": "Email",
        "telegram": "Telegram",
        "push": "Browser notifications",
        "push_short": "Browser",
    },
    "de": {
        "unsubscribe_title": "Abmelden",
        "confirm": "Keine {what} mehr erhalten?",
        "confirm_button": "Abmelden",
        "done_title": "Sie sind abgemeldet",
        "done": "Sie erhalten keine {what} mehr.",
        "what_all": "Neuigkeiten und Angebote",
        "what_category": "Nachrichten zu „{category}“",
        "by_channel": "{what} per {channel}",
        "manage": "Alle Einstellungen verwalten",
        "transactional_note": "Nachrichten zu Ihrem eigenen Konto (etwa Hinweise zu Ihren "
        "Positionen) sind davon nicht betroffen.",
        "invalid_title": "Dieser Link ist ungültig",
        "invalid": "Der Link wurde vielleicht unvollständig kopiert. Bitte verwenden Sie den "
        "Link aus Ihrer neuesten Nachricht.",
        "bad_request_title": "Nichts wurde geändert",
        "bad_request": "Bitte melden Sie sich über die Schaltfläche auf der Seite ab.",
        "preferences_title": "Ihre Einstellungen",
        "channels": "Neuigkeiten und Angebote erhalten per",
        "categories": "Themen",
        "topic": "Thema",
        "timezone": "Zeitzone",
        "timezone_unset": "Nicht festgelegt",
        "quiet_hours": "Ruhezeiten (in dieser Zeit wird nichts gesendet)",
        "quiet_from": "Von",
        "quiet_to": "bis",
        "unsubscribe_all": "Von allem abmelden",
        "save": "Speichern",
        "saved": "Ihre Einstellungen sind gespeichert.",
        "quiet_both": "Geben Sie beide Zeiten der Ruhezeiten an oder keine.",
        "email": "E-Mail",
        "telegram": "Telegram",
        "push": "Browser-Benachrichtigungen",
        "push_short": "Browser",
    },
}


def phrases_for(locale: str | None) -> tuple[str, Mapping[str, str]]:
    """The language and its phrases for ``locale`` (English when there is none)."""
    lang = language(locale, PHRASES)
    return lang, PHRASES[lang]
