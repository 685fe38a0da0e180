"""API keys and roles; one-time dashboard sign-in links."""

from __future__ import annotations

from herald.auth.keys import ApiKey, ApiKeys, Principal, Role
from herald.auth.links import LinkRefused, Refusal, SignInLinks

__all__ = ["ApiKey", "ApiKeys", "LinkRefused", "Principal", "Refusal", "Role", "SignInLinks"]
