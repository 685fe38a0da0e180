"""Where an endpoint may point: never into the operator's own network by default.

A URL is refused when its host resolves to any loopback, private, link-local (cloud
metadata: 169.254.169.254, fd00:ec2::254), unspecified, multicast or otherwise
non-global address, IPv4 and IPv6 alike, an IPv4-mapped IPv6 address judged as the
IPv4 address it carries. The same rule runs at registration and again at every send
(``ForbiddenAddress`` from the sender's resolver), since DNS can change in between.
``allow_private`` (HERALD_WEBHOOKS__ALLOW_PRIVATE_NETWORKS) turns the rule off, for
tests and private deployments; it also allows plain http://, which is otherwise refused.
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import SplitResult, urlsplit

from herald.addresses import forbidden

MAX_URL_LENGTH = 2048


class ForbiddenAddress(OSError):
    """The host resolved to an address herald must not call."""


def parse_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts; ValueError (a sentence for the ``url`` field) when it cannot be
    an endpoint whatever it resolves to."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"not a URL ({exc})") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise ValueError(
            "must be an https:// URL"
            + ("" if allow_private else " (http:// needs HERALD_WEBHOOKS__ALLOW_PRIVATE_NETWORKS)")
        )
    if not parts.hostname:
        raise ValueError("has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password (they would end up in logs)")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    return parts


def default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse (ValueError naming why) a URL that is malformed or, unless
    ``allow_private``, resolves to any address ``forbidden`` names."""
    parts = parse_url(url, allow_private=allow_private)
    if allow_private:
        return
    host = parts.hostname
    assert host is not None
    try:
        addresses = await resolve(host, default_port(parts))
    except OSError as exc:
        raise ValueError(f"{host} does not resolve ({exc.strerror or exc})") from None
    for address in addresses:
        if (reason := forbidden(address)) is not None:
            raise ValueError(
                f"{host} resolves to {reason}; herald does not call private networks "
                "(HERALD_WEBHOOKS__ALLOW_PRIVATE_NETWORKS=true allows it)"
            )
