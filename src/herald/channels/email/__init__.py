"""The email channel: a sender over SMTP, the message it writes and the map of its errors."""

from __future__ import annotations

from herald.channels.email.errors import EmailReason, outcome_for
from herald.channels.email.sender import SECURITY_MODES, EmailSender, Security

__all__ = ["SECURITY_MODES", "EmailReason", "EmailSender", "Security", "outcome_for"]
