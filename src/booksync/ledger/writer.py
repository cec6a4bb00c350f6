"""Writes prepared entries in batches straight through the DBAPI, and numbers them.

A million-line import is dominated by per-row overhead, so the three hot
statements bypass the ORM and SQLAlchemy's parameter processing and go to the
driver as plain SQL with positional parameters (``?`` for sqlite3, ``%s`` for
psycopg).  Each statement carries many rows (multi-row ``VALUES``), not one:
a statement that may fire a trigger must be undoable on its own, so SQLite
copies every page it touches to a statement journal first, and doing that
once per few hundred rows instead of once per row halves the import time.
Values are bound in the form SQLAlchemy itself stores (the column types' bind
processors, looked up once per writer), so rows written here read back
through the ORM like any other.

Entries are inserted as drafts, their lines added, and then posted by an
``UPDATE`` of the entries: the database's posting trigger checks each
entry's balance again and marks its lines posted, so the bulk path gets no
shortcut around the rules.

Numbers are gap-free per journal and year: the ``sequence`` row is locked
(``FOR UPDATE`` on PostgreSQL; SQLite has one writer) on first use in the
transaction and written back by :meth:`EntryWriter.finish`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from collections.abc import Sequence as Seq
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Executable, select, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from booksync.db.base import utcnow
from booksync.db.uuid7 import uuid7_ints
from booksync.ledger.models import Company, Entry, Journal, Line, Sequence

if TYPE_CHECKING:
    from booksync.ledger.entries import PreparedEntry

# Rows per statement: bound parameters stay far below SQLite's 32,766 and
# PostgreSQL's 65,535, and larger statements gain nothing measurable.
ROWS_PER_STATEMENT = 500
# SQLite keeps this many KiB of pages in memory during a bulk import (default: 2 MB),
# so the index pages a big transaction keeps touching are not spilled and read back.
SQLITE_BULK_CACHE_KIB = 128 * 1024

ENTRY_INSERT = (
    "INSERT INTO entry (uid, version, created_at, company_id, journal_id, date, ref, state, "
    "reversal_of_id) VALUES {rows} RETURNING id, uid",
    "({p}, 1, {p}, {p}, {p}, {p}, {p}, 'draft', {p})",
)
LINE_INSERT = (
    "INSERT INTO line (uid, version, created_at, company_id, entry_id, account_id, partner_id, "
    "debit, credit, currency_code, amount_currency, label, date, posted) VALUES {rows}",
    "({p}, 1, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, FALSE)",
)
POST = (
    "WITH posting (id, number, posted_at) AS (VALUES {rows}) "
    "UPDATE entry SET state = 'posted', number = posting.number, "
    "posted_at = posting.posted_at, version = entry.version + 1 "
    "FROM posting WHERE entry.id = posting.id",
    "({p}, {p}, {p})",
)


def _bind(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The function that turns a Python value into what ``column`` stores on ``dialect``."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


class _Statements:
    """The bulk statements in the driver's parameter style, and the value formats."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle == "qmark":
            self.mark = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            self.mark = "%s"
        else:  # pragma: no cover - the supported drivers are sqlite3 and psycopg
            raise NotImplementedError(f"parameter style {dialect.paramstyle}")
        self._cache: dict[tuple[str, int], str] = {}
        self.date = _bind(Line.__table__.c.date, dialect)
        self.stamp = _bind(Entry.__table__.c.created_at, dialect)  # posted_at alike
        if dialect.name == "sqlite":
            self.uid: Callable[[int], Any] = "{:032x}".format  # SQLAlchemy's CHAR(32) form
        else:
            self.uid = lambda value: uuid.UUID(int=value)

    def text(self, statement: tuple[str, str], rows: int) -> str:
        """``statement`` with ``rows`` rows of placeholders."""
        key = (statement[0], rows)
        sql = self._cache.get(key)
        if sql is None:
            row = statement[1].format(p=self.mark)
            sql = self._cache[key] = statement[0].format(rows=", ".join([row] * rows))
        return sql


def _chunks(rows: list[tuple[Any, ...]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row count, flat parameters)`` per statement's worth of ``rows``."""
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        yield len(chunk), tuple(value for row in chunk for value in row)


class EntryWriter:
    """Inserts and posts entries of one company within the caller's transaction."""

    def __init__(self, session: Session, company: Company) -> None:
        self.session = session
        self.company = company
        self._numbers: dict[tuple[int, int], list[int]] = {}  # (journal, year) -> [seq id, last]
        self._codes: dict[int, str] = {
            id_: code
            for id_, code in session.execute(
                select(Journal.id, Journal.code).where(Journal.company_id == company.id)
            )
        }
        self._dialect = session.get_bind().dialect
        self._sql = _Statements(self._dialect)
        self._saved_cache_size: int | None = None

    def tune_for_bulk(self) -> None:
        """Give SQLite a page cache that holds a big import's working set.

        Undone by :meth:`finish`; PostgreSQL needs nothing of the kind.
        """
        if self._dialect.name != "sqlite" or self._saved_cache_size is not None:
            return
        conn = self.session.connection()
        self._saved_cache_size = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")

    def write(self, entries: Seq[PreparedEntry], *, post: bool) -> list[int]:
        """Insert ``entries`` (posting them when asked); returns their ids in order."""
        if not entries:
            return []
        sql = self._sql
        conn = self.session.connection()
        cid = self.company.id
        created = sql.stamp(utcnow())
        uid = sql.uid
        dates = [sql.date(e.date) for e in entries]
        entry_uids = [uid(v) for v in uuid7_ints(len(entries))]
        rows = [
            (u, created, cid, e.journal_id, day, e.ref, e.reversal_of_id)
            for u, e, day in zip(entry_uids, entries, dates, strict=True)
        ]
        # RETURNING order is not promised for multi-row VALUES: match ids by uid.
        id_of: dict[Any, int] = {}
        for count, params in _chunks(rows):
            result = conn.exec_driver_sql(sql.text(ENTRY_INSERT, count), params)
            id_of.update((returned, id_) for id_, returned in result)
        ids = [id_of[u] for u in entry_uids]

        line_uids = iter(uuid7_ints(sum(len(e.lines) for e in entries)))
        lines = [
            (
                uid(next(line_uids)),
                created,
                cid,
                entry_id,
                ln.account_id,
                ln.partner_id,
                ln.debit,
                ln.credit,
                ln.currency_code,
                ln.amount_currency,
                ln.label,
                day,
            )
            for entry_id, e, day in zip(ids, entries, dates, strict=True)
            for ln in e.lines
        ]
        self._execute(conn, LINE_INSERT, lines)
        if post:
            self.post([(i, e.journal_id, e.date) for i, e in zip(ids, entries, strict=True)])
        return ids

    def post(self, entries: Seq[tuple[int, int, dt.date]]) -> None:
        """Number and post drafts given as ``(id, journal_id, date)``, in that order."""
        now = self._sql.stamp(utcnow())
        rows = [
            (entry_id, self._next_number(journal_id, date.year), now)
            for entry_id, journal_id, date in entries
        ]
        self._execute(self.session.connection(), POST, rows)

    def _execute(
        self, conn: Connection, statement: tuple[str, str], rows: list[tuple[Any, ...]]
    ) -> None:
        for count, params in _chunks(rows):
            conn.exec_driver_sql(self._sql.text(statement, count), params)

    def finish(self) -> None:
        """Write back the sequence counters used since the writer was made."""
        for seq_id, last in self._numbers.values():
            self.session.execute(
                update(Sequence).where(Sequence.id == seq_id).values(last_number=last)
            )
        self._numbers.clear()
        if self._saved_cache_size is not None:
            self.session.connection().exec_driver_sql(
                f"PRAGMA cache_size = {self._saved_cache_size}"
            )
            self._saved_cache_size = None

    def _next_number(self, journal_id: int, year: int) -> str:
        key = (journal_id, year)
        counter = self._numbers.get(key)
        if counter is None:
            counter = self._lock_sequence(journal_id, year)
            self._numbers[key] = counter
        counter[1] += 1
        return f"{self._codes[journal_id]}/{year}/{counter[1]:05d}"

    def _lock_sequence(self, journal_id: int, year: int) -> list[int]:
        values = {
            "company_id": self.company.id,
            "journal_id": journal_id,
            "year": year,
            "last_number": 0,
        }
        create: Executable
        if self._dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            create = pg_insert(Sequence).values(values).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            create = sqlite_insert(Sequence).values(values).on_conflict_do_nothing()
        self.session.execute(create)
        row = self.session.execute(
            select(Sequence.id, Sequence.last_number)
            .where(Sequence.journal_id == journal_id, Sequence.year == year)
            .with_for_update()
        ).one()
        return [row[0], row[1]]
