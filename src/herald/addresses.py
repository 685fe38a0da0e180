"""Which IP addresses herald may call on an operator's behalf: the one rule behind the
webhooks' URLs and the media library's fetches, so neither becomes a way into the
operator's own network.

At the ground, beside ``channel``: ``media`` sits below ``webhooks`` in the layers and
both need it.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def forbidden(address: str) -> str | None:
    """Why ``address`` may not be called, or None when it is a global address (an
    IPv4-mapped IPv6 address judged as the IPv4 address it carries)."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "private", "link_local", "unspecified", "multicast", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None
