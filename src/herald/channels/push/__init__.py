"""The Web Push channel: a sender signing with VAPID and the map of push services' answers."""

from __future__ import annotations

from herald.channels.push.errors import PushReason, map_exception, map_response
from herald.channels.push.sender import PushSender

__all__ = ["PushReason", "PushSender", "map_exception", "map_response"]
