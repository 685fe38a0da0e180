"""herald: Telegram-first notifications, scheduled posting and click tracking."""

from __future__ import annotations

__version__ = "0.1.0"
