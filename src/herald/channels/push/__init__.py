"""The Web Push channel: a sender signing with VAPID and the map of push services' answers."""

from __future__ import annotations

from herald.channels.push.errors import map_exception, map_response
from herald.channels.push.sender import PushSender

__all__ = ["PushSender", "map_exception", "map_response"]
