"""herald's unsubscribe on a campaign email's payload: the header's URIs (a caller's
mailto beside herald's URL, a caller's https only without one) and the footer, placed
before </body> and in the recipient's language."""

from __future__ import annotations

from typing import Any

from herald.auth.recipient_links import RecipientLinks
from herald.messaging.unsubscribe import Addressee, add_unsubscribe, language

LINKS = RecipientLinks("unit-test-secret-key", "https://herald.example.com")


def _payload(html: str = "<html><body><p>Hi</p></body></html>") -> dict[str, Any]:
    return {"subject": "s", "text": "Hi", "html": html}


def test_the_footer_goes_before_the_body_ends_in_the_recipient_s_language() -> None:
    payload = _payload()
    add_unsubscribe(payload, LINKS, Addressee(5, "de-AT", "promos"), None)
    [url] = payload["list_unsubscribe"]
    assert url.startswith("https://herald.example.com/u/u5.promos.email.")
    assert payload["text"].startswith("Hi\n\n--\nE-Mail-Einstellungen verwalten: ")
    assert payload["text"].endswith(f"Abmelden: {url}")
    html = payload["html"]
    assert html.endswith("</p>\n</body></html>")
    assert f'<a href="{url}">Abmelden</a>' in html


def test_a_caller_s_mailto_stays_beside_and_an_https_url_only_without_herald_s() -> None:
    payload = _payload()
    add_unsubscribe(payload, LINKS, Addressee(5, None, None), "mailto:a@b.c")
    assert payload["list_unsubscribe"][1:] == ["mailto:a@b.c"]
    other = _payload()
    add_unsubscribe(other, LINKS, Addressee(5, None, None), "https://a.b/u")
    assert len(other["list_unsubscribe"]) == 1
    without = _payload()
    no_url = RecipientLinks("unit-test-secret-key", None)
    add_unsubscribe(without, no_url, Addressee(5, None, None), "https://a.b/u")
    assert without == {**_payload(), "list_unsubscribe": ["https://a.b/u"]}


def test_languages_fall_back_to_english() -> None:
    assert language("de_CH", {"en", "de"}) == "de"
    assert language("fr", {"en", "de"}) == "en"
    assert language(None, {"en", "de"}) == "en"
