"""Messaging: what herald says and how it is dressed for each channel.

``herald.messaging.templates`` turns a template name and variables into a ready-to-send
email, Telegram message or push notification, escaping every variable for its target.
"""
