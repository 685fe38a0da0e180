"""The bot's side of Telegram: updates (long polling or webhook), commands, callbacks.

Named ``bot`` rather than ``telegram`` so that it never shadows python-telegram-bot's
``telegram`` package in a reader's mind; the Bot API itself is ``channels.telegram``.
"""
