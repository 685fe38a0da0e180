"""The names of the ways herald reaches people, as one vocabulary.

At the ground, beside ``config``, so every layer above may import it: settings,
senders, messaging, scheduling, the bot and both faces. The queue stays out of it and
keeps plain ``str`` channel names (a ``Channel`` is a ``str``, so it passes as one and
compares equal to what the database stores).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Channel(StrEnum):
    TELEGRAM = "telegram"
    EMAIL = "email"
    PUSH = "push"


# The queue channel of webhook deliveries (events to the platform's endpoints). Not a
# Channel: it reaches no person, so no notification, campaign, template or recipient
# preference may name it; only the queue, the worker and the webhooks know it.
WEBHOOK_CHANNEL: Final = "webhook"
