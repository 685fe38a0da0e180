"""The HTTP face of herald: the API and (later) the dashboard."""

from __future__ import annotations

from herald.web.app import create_app

__all__ = ["create_app"]
