"""A request's intake rows sent with its COMMIT: one round trip where the record took two.

An audited request used to send its record (the ``audit_intake`` INSERT) and then its COMMIT, each a
round trip; on a small write that second round trip was most of what auditing cost the writer (the
socket write, the wake-ups, asyncpg's statement handling: bench/audit/RESULTS.md, session 8). Here the
INSERT and the COMMIT go as one simple-protocol query, ``INSERT …; COMMIT``: PostgreSQL runs them in
order inside the request's open transaction, and if the INSERT fails the COMMIT is not run (the rest of a
simple query is skipped after an error), so the transaction is rolled back and nothing of it is kept.

The simple protocol takes no parameters, so the values are written as SQL literals: every value is a
string (or NULL) quoted as an escape string (``E'…'``: a backslash and a quote are doubled), which reads
the same whatever ``standard_conforming_strings`` says; a value holding a NUL (which no literal can carry)
is never sent this way (the caller keeps the parameterised path).

SQLAlchemy holds the request's asyncpg transaction and commits it with ``COMMIT``; the record rides on it
by standing in for that transaction (:class:`_CommitWithRecords`) until the commit. That touches two
private attributes (SQLAlchemy's adapter ``_transaction``, asyncpg's ``_top_xact``), checked before use:
when either is not what this module expects, it declines and the caller writes the record as before.
``tests/audit/test_intake_on_commit.py`` checks that a connection is reused correctly after both ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import asyncpg
from asyncpg.transaction import Transaction

_ATTRIBUTE = "_transaction"  # SQLAlchemy's asyncpg adapter: the asyncpg transaction it commits


def literal(value: Any) -> str:
    """``value`` (a string, or None) as a PostgreSQL escape-string literal."""
    if value is None:
        return "NULL"
    text = str(value)
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def insert_sql(prefix: str, rows: Sequence[Sequence[Any]]) -> str | None:
    """``prefix`` (``INSERT INTO t (cols) VALUES``) with ``rows`` as literals, or None when a value holds
    a NUL (no literal can carry it: the parameterised path refuses it as before)."""
    sql = prefix + ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
    return None if "\x00" in sql else sql


class _CommitWithRecords:
    """Stands in for the request's asyncpg transaction: commits it with the records in the same query."""

    def __init__(self, driver: asyncpg.Connection, transaction: Transaction, sql: str) -> None:
        self._driver = driver
        self._transaction = transaction
        self._sql = sql

    async def commit(self) -> None:
        try:
            await self._driver.execute(self._sql + "; COMMIT")
        except BaseException:
            # The INSERT (or the COMMIT) failed: the server's transaction is aborted, not ended. End it
            # through asyncpg's own transaction so the connection goes back to the pool clean.
            if self._driver.is_in_transaction() and not self._driver.is_closed():
                await self._transaction.rollback()
            raise
        # Committed by the query: asyncpg's transaction object never saw it, so it must stop being the
        # connection's top transaction, or the next BEGIN would become a SAVEPOINT.
        if getattr(self._driver, "_top_xact", None) is self._transaction:
            self._driver._top_xact = None  # type: ignore[attr-defined]

    async def rollback(self) -> None:
        await self._transaction.rollback()


def ride_on_commit(adapter: Any, driver: asyncpg.Connection, sql: str) -> bool:
    """Make the request's commit send ``sql`` then COMMIT in one query. False (nothing changed) when the
    connection is not in the shape this relies on: the caller then writes the record itself."""
    transaction: object = getattr(adapter, _ATTRIBUTE, None)
    if not isinstance(transaction, Transaction):
        return False
    if getattr(driver, "_top_xact", None) is not transaction or not driver.is_in_transaction():
        return False
    setattr(adapter, _ATTRIBUTE, _CommitWithRecords(driver, cast(Transaction, transaction), sql))
    return True
