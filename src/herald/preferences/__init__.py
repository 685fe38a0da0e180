"""Audience controls: categories of campaign messages and what each recipient chose
(time zone, quiet hours, the categories and channels they accept); see
docs/preferences.md. Sits above the worker and below messaging and scheduling, which
tag what they queue with a category."""

from __future__ import annotations

from herald.preferences.categories import Category, CategoryExists, CategoryNotFound, CategoryStore
from herald.preferences.model import (
    ALL_CHANNELS,
    PreferenceRuleError,
    Preferences,
    QuietHours,
    zone,
)
from herald.preferences.store import PreferenceStore

__all__ = [
    "ALL_CHANNELS",
    "Category",
    "CategoryExists",
    "CategoryNotFound",
    "CategoryStore",
    "PreferenceRuleError",
    "PreferenceStore",
    "Preferences",
    "QuietHours",
    "zone",
]
