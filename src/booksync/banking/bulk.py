"""Multi-row inserts straight through the DBAPI for the statement importer.

A first sync of a busy account writes a hundred thousand statement lines
and as many aliases in one transaction.  Through the ORM's bulk path every
row pays for Python-side defaults (a UUIDv7 each), parameter processing and
statement compilation, which cost more than the database's own work.  Here
the ``uid``/``version``/``created_at`` defaults are filled in batch, values
go through each column's bind processor (looked up once) so rows read back
through the ORM like any other, and a few hundred rows travel per statement
(the ledger's :mod:`booksync.ledger.writer` does the same for entries).

Dates, datetimes and booleans repeat across a bank account's rows (a few
dozen posting days in a hundred thousand lines), so their processed values
are remembered per insert instead of formatted again for every row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table
from sqlalchemy.engine import Connection

from booksync.db.base import utcnow
from booksync.db.uuid7 import uuid7_ints

__all__ = ["BulkInsert"]

ROWS_PER_STATEMENT = 500


def _key(value: Any) -> Any:
    """A memo key: equal keys, equal processed values.

    Aware datetimes in different zones can be equal yet format differently,
    so a datetime's key carries its offset.
    """
    return (value, value.utcoffset()) if isinstance(value, dt.datetime) else value


class BulkInsert:
    """``INSERT`` of many rows of one table; ``uid``, ``version``, ``created_at`` filled in."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = conn.dialect
        self.conn = conn
        self.columns = ("uid", "version", "created_at", *columns)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._row = "(" + ", ".join([mark] * len(self.columns)) + ")"
        self._head = f"INSERT INTO {table.name} ({', '.join(self.columns)}) VALUES "
        self._sql: dict[tuple[int, bool], str] = {}
        self._uid: Callable[[int], Any] = (
            "{:032x}".format if dialect.name == "sqlite" else (lambda v: uuid.UUID(int=v))
        )
        self._process: list[tuple[int, Callable[[Any], Any], bool]] = []
        for i, name in enumerate(columns):
            kind = table.c[name].type
            process = kind.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                repeats = isinstance(kind, Date | DateTime | Boolean)
                self._process.append((i + 3, process, repeats))
        stamp = table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        now = utcnow()
        self._created = stamp(now) if stamp else now

    def _text(self, count: int, returning: bool) -> str:
        sql = self._sql.get((count, returning))
        if sql is None:
            sql = self._head + ", ".join([self._row] * count)
            if returning:
                sql += " RETURNING id, uid"
            self._sql[(count, returning)] = sql
        return sql

    def _chunks(self, rows: Sequence[Sequence[Any]]) -> Iterator[tuple[int, list[Any], list[Any]]]:
        """``(count, uids, flat parameters)`` per statement."""
        uid, created = self._uid, self._created
        memos: list[tuple[int, Callable[[Any], Any], dict[Any, Any] | None]] = [
            (index, process, {} if repeats else None) for index, process, repeats in self._process
        ]
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            uids = [uid(v) for v in uuid7_ints(len(chunk))]
            params: list[Any] = []
            for u, row in zip(uids, chunk, strict=True):
                values = [u, 1, created, *row]
                for index, process, memo in memos:
                    value = values[index]
                    if value is None:
                        continue
                    if memo is None:
                        values[index] = process(value)
                        continue
                    key = _key(value)
                    done = memo.get(key)
                    if done is None:
                        done = memo[key] = process(value)
                    values[index] = done
                params += values
            yield len(chunk), uids, params

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` (values in the order of ``columns``)."""
        for count, _, params in self._chunks(rows):
            self.conn.exec_driver_sql(self._text(count, False), tuple(params))

    def insert_returning_ids(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert ``rows`` and return their new ids in the same order.

        RETURNING order is not promised for a multi-row ``VALUES``: ids are
        matched back through the uids this insert made.
        """
        ids: list[int] = []
        for count, uids, params in self._chunks(rows):
            result = self.conn.exec_driver_sql(self._text(count, True), tuple(params))
            id_of = {returned: id_ for id_, returned in result}
            ids += [id_of[u] for u in uids]
        return ids
