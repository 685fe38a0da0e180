"""The names of the ways herald reaches people, as one vocabulary.

At the ground, beside ``config``, so every layer above may import it: settings,
senders, messaging, scheduling, the bot and both faces. The queue stays out of it and
keeps plain ``str`` channel names (a ``Channel`` is a ``str``, so it passes as one and
compares equal to what the database stores).
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"
    EMAIL = "email"
    PUSH = "push"
