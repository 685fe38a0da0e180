"""Which database errors mean "the database is away" (503) and which are bugs (500)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from herald.db import DatabaseUnavailable
from herald.web.errors import database_down


def test_connection_failures_are_an_outage() -> None:
    assert database_down(ConnectionRefusedError(111, "refused"))
    assert database_down(DatabaseUnavailable("cannot connect"))
    assert database_down(OperationalError("SELECT 1", {}, Exception("server closed")))
    assert database_down(InterfaceError("SELECT 1", {}, Exception("connection is closed")))


def test_a_violated_constraint_is_a_bug_not_an_outage() -> None:
    assert not database_down(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_down(ValueError("no"))
