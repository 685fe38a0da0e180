"""Loopback ports for peers and processes the tests start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port nothing listens on: bound once, then released, so a server the test
    starts can take it, or a client pointed at it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
