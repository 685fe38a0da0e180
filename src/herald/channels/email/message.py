"""One email delivery -> the bytes of one multipart/alternative message (RFC 5322, MIME).

Written directly rather than through ``email.message.EmailMessage``: with the SMTP
policy every header set is parsed into a header object and every body part goes
through the content manager, about 1.2 ms of CPU per message with flattening, more
than the rest of a send together. The shape is fixed (two text parts), so the bytes
are cheap to write; what needs the standard library's care still gets it:

- a header value that is not short printable ASCII (non-ASCII text, a long line) is
  folded by ``policy.SMTP`` (RFC 2047 encoded words, line folding), so only values
  that are already valid as they stand are written raw;
- every rendered value is first folded onto one line (``one_line``), so no payload can
  start a header of its own; header names are checked, and herald's own are reserved;
- bodies are 7bit when they are ASCII with lines under RFC 5321's 998, else
  quoted-printable, so the message never needs 8BITMIME.

A payload or recipient that can never be sent raises ``InvalidDelivery`` (the sender
makes it ``Permanent`` before any connection is made).
"""

from __future__ import annotations

import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.utils import format_datetime, make_msgid
from typing import Any

from herald.channels.email.errors import EmailReason
from herald.queue import Delivery, Lane

# Headers the sender sets itself; a payload may not replace them.
_RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "list-unsubscribe",
        "list-unsubscribe-post",
    }
)
# RFC 5322 field-name: printable ASCII except the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+")
# One mailbox, no display name, no whitespace (so no CR/LF), no specials.
_ADDRESS_CHARS = r"[^\s@<>,;:\"()\[\]\\]+"
_RECIPIENT = re.compile(f"{_ADDRESS_CHARS}@{_ADDRESS_CHARS}")
_UNSUBSCRIBE = re.compile(r"(?:https?://|mailto:)[^\s<>]+", re.IGNORECASE)
# A header value that may be written as it stands: printable ASCII, no edge spaces.
_RAW_VALUE = re.compile(r"[!-~](?:[ -~]*[!-~])?")
_HEADER_LINE = 78  # RFC 5322 2.1.1's recommended limit, CRLF excluded
_BODY_LINE = 998  # RFC 5322 2.1.1's and RFC 5321 4.5.3.1.6's hard limit, CRLF excluded
_SMTP = policy.SMTP


class InvalidDelivery(ValueError):
    """A delivery no SMTP server could ever accept; carries the outcome's reason."""

    def __init__(self, reason: EmailReason, error: str) -> None:
        super().__init__(error)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Rendered:
    data: bytes
    message_id: str
    smtputf8: bool  # an envelope address is not ASCII: the server must take SMTPUTF8


class MessageWriter:
    """Writes the messages of one From address (its header is folded once)."""

    def __init__(self, from_address: str) -> None:
        sender = _parse_from(from_address)
        self.envelope_from: str = sender.addr_spec
        self._msgid_domain = sender.domain
        self._from = header("From", from_address)

    def render(self, delivery: Delivery) -> Rendered:
        """The message for one delivery; raises InvalidDelivery for what can never go."""
        recipient = delivery.recipient
        if not isinstance(recipient, str) or not _RECIPIENT.fullmatch(recipient):
            raise InvalidDelivery(
                EmailReason.INVALID_RECIPIENT, f"not an email address: {recipient!r}"
            )
        payload = delivery.payload
        subject, text, html = (_required_str(payload, key) for key in ("subject", "text", "html"))
        extra = _extra_headers(payload.get("headers"))
        unsubscribe: list[str] = []
        if delivery.lane == Lane.CAMPAIGN:
            unsubscribe = _unsubscribe(payload.get("list_unsubscribe"))
        message_id = make_msgid(domain=self._msgid_domain)
        try:
            lines = [
                self._from,
                # The address matched _RECIPIENT: no whitespace or specials, one line.
                f"To: {recipient}\r\n",
                header("Subject", one_line(subject)),
                f"Date: {format_datetime(datetime.now(UTC))}\r\n",
                header("Message-ID", message_id),
            ]
            lines += [header(name, value) for name, value in extra.items()]
            if unsubscribe:
                # Folding would cut a long URI into encoded words that mail clients
                # do not read as a link; RFC 5322 allows the line up to 998.
                uris = ", ".join(f"<{uri}>" for uri in unsubscribe)
                lines.append(header("List-Unsubscribe", uris, _BODY_LINE))
                # RFC 8058 one-click needs an HTTPS URI; mailto: alone gets no Post header.
                if any(uri.lower().startswith("https://") for uri in unsubscribe):
                    lines.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        except (ValueError, TypeError) as exc:
            # The policy refuses what would corrupt the header block; never send it.
            raise InvalidDelivery(
                EmailReason.INVALID_PAYLOAD, f"cannot build message: {exc}"
            ) from None
        parts = [_part("plain", text), _part("html", html)]
        boundary = _boundary(parts)
        lines += [
            "MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n',
            "\r\n",
        ]
        for part in parts:
            lines += [f"--{boundary}\r\n", part]
        lines.append(f"--{boundary}--\r\n")
        utf8 = not (self.envelope_from.isascii() and recipient.isascii())
        return Rendered("".join(lines).encode(), message_id, utf8)


def header(name: str, value: str, limit: int = _HEADER_LINE) -> str:
    """One header field with its CRLF: as it stands when that is valid, else as
    EmailMessage writes it (parsed and folded by the SMTP policy: encoded words for
    non-ASCII, continuation lines). ``limit``: the longest line written as it stands."""
    if len(name) + 2 + len(value) <= limit and _RAW_VALUE.fullmatch(value):
        return f"{name}: {value}\r\n"
    # policy.fold() alone would pass a short non-ASCII value through unencoded.
    folded: str = _SMTP.header_factory(name, value).fold(policy=_SMTP)
    return folded


def one_line(value: str) -> str:
    """Folds a rendered value onto one line, so it can never start a header of its own.

    Templates often leave a trailing newline; refusing the message for it would be
    worse than joining the lines. ``splitlines`` covers every separator the email
    policy would refuse (CR, LF, VT, FF, U+2028...).
    """
    return " ".join(part.strip() for part in value.splitlines() if part.strip())


def _part(subtype: str, text: str) -> str:
    """One text part, headers and body; line breaks become CRLF, as set_content does."""
    lines = text.splitlines()
    if text.isascii() and all(len(line) <= _BODY_LINE for line in lines):
        cte, body = "7bit", "".join(f"{line}\r\n" for line in lines)
    else:
        raw = "".join(f"{line}\n" for line in lines).encode()
        cte = "quoted-printable"
        body = binascii.b2a_qp(raw, istext=True).decode("ascii").replace("\n", "\r\n")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {cte}\r\n\r\n{body}"
    )


def _boundary(parts: list[str]) -> str:
    while True:
        boundary = f"=_herald_{secrets.token_hex(12)}"
        if not any(boundary in part for part in parts):
            return boundary


def _parse_from(value: str) -> Address:
    parsed = policy.default.header_factory("From", value)
    addresses = parsed.addresses
    if len(addresses) != 1 or parsed.defects or not addresses[0].domain:
        raise ValueError(f"from_address must be one address with a domain, not {value!r}")
    address: Address = addresses[0]
    return address


def _required_str(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str):
        raise InvalidDelivery(EmailReason.INVALID_PAYLOAD, f"payload[{key!r}] must be a string")
    return value


def _extra_headers(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidDelivery(EmailReason.INVALID_PAYLOAD, "payload['headers'] must be an object")
    headers: dict[str, str] = {}
    seen: set[str] = set()
    for name, header_value in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise InvalidDelivery(EmailReason.INVALID_PAYLOAD, f"invalid header name {name!r}")
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidDelivery(EmailReason.INVALID_PAYLOAD, f"header {name!r} is set by herald")
        if not isinstance(header_value, str):
            raise InvalidDelivery(EmailReason.INVALID_PAYLOAD, f"header {name!r} must be a string")
        if name.lower() in seen and _SMTP.header_max_count(name) == 1:
            # What EmailMessage refused: two of a header RFC 5322 allows once (Reply-To).
            raise InvalidDelivery(
                EmailReason.INVALID_PAYLOAD, f"header {name!r} may appear only once"
            )
        seen.add(name.lower())
        headers[name] = one_line(header_value)
    return headers


def _unsubscribe(value: object) -> list[str]:
    """One URI, or a list (herald's own https URL beside a caller's mailto:)."""
    if value is None:
        return []
    given = value if isinstance(value, list) else [value]
    uris = [u.strip() for u in given if isinstance(u, str)]
    if not uris or len(uris) != len(given) or not all(map(_UNSUBSCRIBE.fullmatch, uris)):
        raise InvalidDelivery(
            EmailReason.INVALID_PAYLOAD,
            "payload['list_unsubscribe'] must be http(s): or mailto: URIs",
        )
    return uris
