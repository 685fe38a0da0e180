"""Which database errors mean "the database is away" (503) and which are bugs (500)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from herald.db import DatabaseUnavailable, is_outage


def test_connection_failures_are_an_outage() -> None:
    assert is_outage(ConnectionRefusedError(111, "refused"))
    assert is_outage(DatabaseUnavailable("cannot connect"))
    assert is_outage(OperationalError("SELECT 1", {}, Exception("server closed")))
    assert is_outage(InterfaceError("SELECT 1", {}, Exception("connection is closed")))


def test_a_violated_constraint_is_a_bug_not_an_outage() -> None:
    assert not is_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_outage(ValueError("no"))
