"""Channels: one sender per way of reaching people. They know no HTTP API of ours."""

from __future__ import annotations

from herald.channels.base import Sender
from herald.channels.sandbox import SandboxSender

__all__ = ["SandboxSender", "Sender"]
