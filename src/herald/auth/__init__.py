"""API keys and roles."""

from __future__ import annotations

from herald.auth.keys import ApiKey, ApiKeys, Principal, Role

__all__ = ["ApiKey", "ApiKeys", "Principal", "Role"]
