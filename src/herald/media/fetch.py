"""Fetching a file an operator registered by URL, without opening a way into their network.

herald fetches the URL once, checks what it got like an upload and keeps the bytes: a
type is proved by content, and a file that changed after the check can never reach a
chat. The fetch refuses any address that is not public (loopback, private, link-local
(cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved), unless
``HERALD_MEDIA_ALLOW_PRIVATE_URLS`` allows them: every hop (redirects too) is resolved
here, checked, and the connection is pinned to the checked addresses, so a name that
resolves differently a moment later (DNS rebinding) still goes nowhere else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from herald.addresses import forbidden
from herald.media.kinds import MediaRefused

FIELD = "url"
MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 30.0
_REDIRECTS = (301, 302, 303, 307, 308)
_HINT = "set HERALD_MEDIA_ALLOW_PRIVATE_URLS=true to allow it"


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    name: str
    url: str  # where the bytes came from, after redirects


@dataclass
class _Pinned(AbstractResolver):
    """Answers only the addresses ``vet`` checked for each host."""

    hosts: dict[str, list[ResolveResult]] = field(default_factory=dict)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.hosts:
            raise OSError(f"{host} was not checked")
        return [{**r, "port": port} for r in self.hosts[host]]

    async def close(self) -> None:
        return None


async def _vet(url: URL, resolver: _Pinned, allow_private: bool) -> None:
    """Refuse a URL whose host is, or resolves to, an address that is not public."""
    if url.scheme not in ("http", "https") or not url.host:
        raise MediaRefused(FIELD, "must be an http or https URL")
    host = url.host
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        if not allow_private and forbidden(str(literal)) is not None:
            raise MediaRefused(FIELD, f"{host} is not a public address; {_HINT}")
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise MediaRefused(FIELD, f"{host} does not resolve ({exc.strerror or exc})") from None
    found: list[ResolveResult] = []
    for family, _type, proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not allow_private and forbidden(str(address)) is not None:
            raise MediaRefused(
                FIELD, f"{host} resolves to {address}, not a public address; {_HINT}"
            )
        found.append(
            {"hostname": host, "host": str(sockaddr[0]), "port": port, "family": family,
             "proto": proto, "flags": socket.AI_NUMERICHOST}
        )  # fmt: skip
    resolver.hosts[host] = found


async def fetch(url: str, *, max_bytes: int, allow_private: bool = False) -> Fetched:
    """The file at ``url`` (at most ``max_bytes``, else MediaRefused with too_large), or
    MediaRefused naming the url and why."""
    try:
        target = URL(url)
    except ValueError:
        raise MediaRefused(FIELD, "not a URL") from None
    resolver = _Pinned()
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False) as s:
        for _hop in range(MAX_REDIRECTS + 1):
            await _vet(target, resolver, allow_private)
            try:
                async with s.get(target, allow_redirects=False) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        target = target.join(URL(response.headers["Location"]))
                        continue
                    if response.status != 200:
                        raise MediaRefused(FIELD, f"the URL answered {response.status}")
                    data = await _read(response, max_bytes)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise MediaRefused(FIELD, f"could not fetch it ({type(exc).__name__})") from None
            name = target.name or target.host or "file"
            return Fetched(data, name, str(target))
    raise MediaRefused(FIELD, f"more than {MAX_REDIRECTS} redirects")


async def _read(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if (response.content_length or 0) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> MediaRefused:
    return MediaRefused(
        FIELD, f"the file is over {max_bytes // (1024 * 1024)} MB (the Bot API's limit)",
        too_large=True,
    )  # fmt: skip
