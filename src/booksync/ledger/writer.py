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

The work is split in two so that an import can overlap them (see
:class:`booksync.ledger.entries.EntryImporter`): :meth:`EntryWriter.rows`
builds a batch's parameters without the session, in any thread, and
:meth:`EntryWriter.write_rows` executes them on the session's connection,
filling in only what the database hands back (entry ids) and the numbers.

Numbers are gap-free per journal and year: the ``sequence`` row is locked
(``FOR UPDATE`` on PostgreSQL; SQLite has one writer) on first use in the
transaction and written back by :meth:`EntryWriter.finish`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Executable, select, update
from sqlalchemy.engine import Dialect
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
    "reversal_of_id) VALUES {rows} RETURNING uid, id",
    "({p}, 1, {p}, {p}, {p}, {p}, {p}, 'draft', {p})",
)
ENTRY_WIDTH = 7  # parameters per entry row
LINE_INSERT = (
    "INSERT INTO line (uid, version, created_at, company_id, entry_id, account_id, partner_id, "
    "debit, credit, currency_code, amount_currency, label, date, posted) VALUES {rows}",
    "({p}, 1, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, FALSE)",
)
LINE_WIDTH = 12  # parameters per line row
LINE_ENTRY_ID = 3  # where a line row holds its entry's id
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


def _chunked(flat: list[Any], width: int) -> list[tuple[int, tuple[Any, ...]]]:
    """``(row count, parameters)`` per statement, from rows laid end to end in ``flat``."""
    step = ROWS_PER_STATEMENT * width
    return [
        (min(ROWS_PER_STATEMENT, (len(flat) - start) // width), tuple(flat[start : start + step]))
        for start in range(0, len(flat), step)
    ]


@dataclass(slots=True)
class BatchRows:
    """A batch's statement parameters, built by :meth:`EntryWriter.rows`.

    ``lines`` holds every line row end to end; until the entries are
    inserted, a row's entry-id slot holds the index of its entry in the
    batch, which :meth:`EntryWriter.write_rows` swaps for the real id.
    """

    entries: Seq[PreparedEntry]
    entry_uids: list[Any]
    entry_params: list[tuple[int, tuple[Any, ...]]]
    lines: list[Any]


class EntryWriter:
    """Inserts and posts entries of one company within the caller's transaction."""

    def __init__(self, session: Session, company: Company) -> None:
        self.session = session
        self.company = company
        self._company_id = company.id  # read here: :meth:`rows` must not touch the ORM
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
        return self.write_rows(self.rows(entries), post=post)

    def rows(self, entries: Seq[PreparedEntry]) -> BatchRows:
        """The parameters of ``entries``' statements; touches no session, so any thread may.

        Building them is a third of an import's Python time, which a
        producer thread can spend while the database executes the previous
        batch.
        """
        sql, cid = self._sql, self._company_id
        created = sql.stamp(utcnow())
        uid, date = sql.uid, sql.date
        entry_uids = [uid(v) for v in uuid7_ints(len(entries))]
        dates = [date(e.date) for e in entries]
        flat: list[Any] = []
        add = flat.extend
        for u, e, day in zip(entry_uids, entries, dates, strict=True):
            add((u, created, cid, e.journal_id, day, e.ref, e.reversal_of_id))
        entry_params = _chunked(flat, ENTRY_WIDTH)

        lines: list[Any] = []
        add = lines.extend
        line_uids = iter(uuid7_ints(sum(len(e.lines) for e in entries)))
        for index, (e, day) in enumerate(zip(entries, dates, strict=True)):
            for ln in e.lines:
                add(
                    (
                        uid(next(line_uids)),
                        created,
                        cid,
                        index,  # the entry's place in the batch, until its id is known
                        ln.account_id,
                        ln.partner_id,
                        ln.debit,
                        ln.credit,
                        ln.currency_code,
                        ln.amount_currency,
                        ln.label,
                        day,
                    )
                )
        return BatchRows(entries, entry_uids, entry_params, lines)

    def write_rows(self, batch: BatchRows, *, post: bool) -> list[int]:
        """Execute a batch built by :meth:`rows`; returns the entries' ids in order."""
        if not batch.entries:
            return []
        sql = self._sql
        conn = self.session.connection()
        # RETURNING order is not promised for multi-row VALUES: match ids by uid.
        id_of: dict[Any, int] = {}
        for count, params in batch.entry_params:
            id_of.update(conn.exec_driver_sql(sql.text(ENTRY_INSERT, count), params).all())
        ids = list(map(id_of.__getitem__, batch.entry_uids))
        lines = batch.lines
        lines[LINE_ENTRY_ID::LINE_WIDTH] = [ids[i] for i in lines[LINE_ENTRY_ID::LINE_WIDTH]]
        for count, params in _chunked(lines, LINE_WIDTH):
            conn.exec_driver_sql(sql.text(LINE_INSERT, count), params)
        if post:
            self.post([(i, e.journal_id, e.date) for i, e in zip(ids, batch.entries, strict=True)])
        return ids

    def post(self, entries: Seq[tuple[int, int, dt.date]]) -> None:
        """Number and post drafts given as ``(id, journal_id, date)``, in that order."""
        now = self._sql.stamp(utcnow())
        number = self._next_number
        flat: list[Any] = [now] * (3 * len(entries))
        flat[0::3] = [entry_id for entry_id, _, _ in entries]
        flat[1::3] = [number(journal_id, date.year) for _, journal_id, date in entries]
        conn = self.session.connection()
        for count, params in _chunked(flat, 3):
            conn.exec_driver_sql(self._sql.text(POST, count), params)

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
