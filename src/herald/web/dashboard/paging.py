"""Keyset pages: ask for one row more than a page, so "next" shows only when there is one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def one_page(rows: Sequence[T], size: int) -> tuple[list[T], T | None]:
    """The rows of a page (fetched with ``limit=size + 1``) and, if more follow, the
    last one shown: the next page's cursor."""
    shown = list(rows[:size])
    return shown, (shown[-1] if len(rows) > size else None)
