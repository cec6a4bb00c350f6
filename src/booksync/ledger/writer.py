"""Writes prepared entries in batches straight through the DBAPI, and numbers them.

A million-line import is dominated by per-row overhead, so the three hot
statements bypass the ORM and go through :mod:`booksync.db.bulk`, the bulk
writer the statement importer uses too: many rows per statement, values in
their stored forms, ``COPY`` on PostgreSQL where no ids come back.

Drafts are inserted entry first, then their lines.  Entries to post are
inserted the other way round: their lines first, already posted, then the
entries, numbered and posted, so that each row is written once (posting a
draft rewrites each of its lines and the entry, which took half of a bulk
import's database time).  Either way the database's triggers check the
rules again (a posted entry's lines must be there, posted, balanced and of
its company: migration 0004), so the bulk path gets no shortcut around them.
Drafts posted later (:meth:`EntryWriter.post`) go through the posting
trigger of an ``UPDATE``.

The work is split in two so that an import can overlap them (see
:class:`booksync.ledger.entries.EntryImporter`): a :class:`RowBuilder`
(``EntryWriter.rows``) turns entries into a batch's parameters without the
session, in a producer process if need be, and
:meth:`EntryWriter.write_rows` executes them on the session's connection,
filling in only the entry ids and the numbers.

Numbers are gap-free per journal and year: the ``sequence`` row is locked
(``FOR UPDATE`` on PostgreSQL; SQLite has one writer) on first use in the
transaction and written back by :meth:`EntryWriter.finish`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from sqlalchemy import Executable, func, select, update
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.orm import Session

from booksync.db.bulk import BulkSQL, Insert, Stamps, Statement, bind_processor
from booksync.ledger.models import Company, Journal, Line, Sequence
from booksync.ledger.open_items import reconcilable_account_ids, track_entries
from booksync.ledger.totals import PostedTotal

if TYPE_CHECKING:
    from booksync.ledger.entries import PreparedEntry

# SQLite keeps this many KiB of pages in memory during a bulk import (default: 2 MB),
# so the index pages a big transaction keeps touching are not spilled and read back.
# Since rows are written once (posted on insert), 32, 64 and 128 MB import
# 300,000 entries equally fast; the middle one leaves headroom for bigger books.
SQLITE_BULK_CACHE_KIB = 64 * 1024

ENTRY_COLUMNS = ("uid", "created_at", "company_id", "journal_id", "date", "ref", "reversal_of_id")
DRAFT_INSERT = Insert("entry", ENTRY_COLUMNS, {"version": 1, "state": "draft"}, "uid, id")
POSTED_INSERT = Insert(
    "entry", ("id", *ENTRY_COLUMNS, "number", "posted_at"), {"version": 1, "state": "posted"}
)
POSTED_WIDTH = POSTED_INSERT.width  # values per posted entry row
POSTED_ID, POSTED_NUMBER = 0, 8  # where a posted entry row holds its id and its number
LINE_COLUMNS = (
    "uid", "created_at", "company_id", "entry_id", "account_id", "partner_id", "debit", "credit",
    "currency_code", "amount_currency", "label", "date",
)
LINE_INSERT = Insert("line", LINE_COLUMNS, {"version": 1, "posted": False})
POSTED_LINE_INSERT = Insert("line", LINE_COLUMNS, {"version": 1, "posted": True})
LINE_WIDTH = LINE_INSERT.width  # values per line row
LINE_ENTRY_ID = 3  # where a line row holds its entry's id
LINE_ACCOUNT = 4  # where a line row holds its account's id
LINE_DEBIT = 6  # where a line row holds its debit
POST = Statement(
    "WITH posting (id, number, posted_at) AS (VALUES {rows}) "
    "UPDATE entry SET state = 'posted', number = posting.number, "
    "posted_at = posting.posted_at, version = entry.version + 1 "
    "FROM posting WHERE entry.id = posting.id",
    "({p}, {p}, {p})",
)


def defer_entry_references(conn: Connection) -> None:
    """Check lines' references to their entries at commit, in this transaction only.

    SQLite can only defer every foreign key of the transaction at once; the
    others still hold, just checked at the commit.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET CONSTRAINTS fk_line_entry_id_entry DEFERRED")
    else:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


@dataclass(slots=True)
class BatchRows:
    """A batch's statement parameters, built by :class:`RowBuilder`.

    ``entry_rows`` and ``line_rows`` hold every entry row and every line row
    end to end.  Until the entries' ids are known, a line row's entry-id slot
    holds the index of its entry in the batch, and a posted entry row's id
    and number slots are empty: :meth:`EntryWriter.write_rows` fills them in.
    """

    count: int
    post: bool
    entry_rows: list[Any]
    line_rows: list[Any]
    sequences: list[tuple[int, int]]  # posted: each entry's journal id and year, to number it
    draft_uids: list[Any]  # drafts: RETURNING gives their ids, matched by uid


class RowBuilder:
    """Turns prepared entries into a batch's statement parameters, in the stored forms.

    Values are bound in the form SQLAlchemy itself stores (the column types'
    bind processors), so rows written in bulk read back through the ORM like
    any other.  It needs no session and pickles to its company and dialect,
    so a producer (thread or process) can build the next batch while the
    database writes the last one.
    """

    def __init__(self, company_id: int, dialect: Dialect) -> None:
        self.company_id = company_id
        self._dialect_url = f"{dialect.name}+{dialect.driver}://"
        self.date = bind_processor(Line.__table__.c.date, dialect)
        self.stamps = Stamps(dialect)

    def __reduce__(self) -> tuple[Callable[[int, str], RowBuilder], tuple[int, str]]:
        return _row_builder, (self.company_id, self._dialect_url)

    def __call__(self, entries: Seq[PreparedEntry], *, post: bool) -> BatchRows:
        """The parameters of ``entries``' statements, posted or as drafts."""
        cid = self.company_id
        created = self.stamps.now()
        date = self.date
        entry_uids = self.stamps.uids(len(entries))
        dates = [date(e.date) for e in entries]
        flat: list[Any] = []
        add = flat.extend
        if post:
            for u, e, day in zip(entry_uids, entries, dates, strict=True):
                add((None, u, created, cid, e.journal_id, day, e.ref, e.reversal_of_id, None,
                     created))
        else:
            for u, e, day in zip(entry_uids, entries, dates, strict=True):
                add((u, created, cid, e.journal_id, day, e.ref, e.reversal_of_id))

        lines: list[Any] = []
        add = lines.extend
        line_uids = iter(self.stamps.uids(sum(len(e.lines) for e in entries)))
        for index, (e, day) in enumerate(zip(entries, dates, strict=True)):
            for ln in e.lines:
                add(
                    (
                        next(line_uids),
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
        sequences = [(e.journal_id, e.date.year) for e in entries] if post else []
        return BatchRows(len(entries), post, flat, lines, sequences, [] if post else entry_uids)

    def pairs(
        self,
        journal_id: int,
        first: int,
        second: int,
        dates: Seq[dt.date],
        amounts: Seq[int],
        values: Seq[int],
        labels: Seq[str],
        partners: Seq[int | None],
        currency: str | None = None,
    ) -> BatchRows:
        """Posted entries of two lines each, the ``i``-th dated ``dates[i]``: account
        ``first`` is debited ``values[i]`` (company currency, not negative) when
        ``amounts[i]`` (signed, in ``currency`` when given) is not negative, else
        credited, and account ``second`` the other way; both lines carry the label and
        the partner, and in a foreign ``currency`` the amount, signed for each side.

        What :meth:`__call__` makes of such entries, built column by column without
        an object per entry or line: a bank statement's lines are a hundred thousand
        of them (docs/ledger.md, "Bank lines in bulk").
        """
        n = len(dates)
        cid, created = self.company_id, self.stamps.now()
        days = {day: self.date(day) for day in set(dates)}
        stored = [days[day] for day in dates]
        width = POSTED_WIDTH
        flat: list[Any] = [None] * (n * width)
        flat[1::width] = self.stamps.uids(n)
        flat[2::width] = flat[9::width] = [created] * n
        flat[3::width] = [cid] * n
        flat[4::width] = [journal_id] * n
        flat[5::width] = stored
        flat[6::width] = [label[:500] for label in labels]
        count, width = 2 * n, LINE_WIDTH
        lines: list[Any] = [None] * (count * width)
        lines[0::width] = self.stamps.uids(count)
        lines[1::width] = [created] * count
        lines[2::width] = [cid] * count
        places = list(range(n))
        lines[3::width] = _interleaved(places, places)
        lines[4::width] = [first, second] * n
        lines[5::width] = _interleaved(partners, partners)
        debits = [value if amount >= 0 else 0 for amount, value in zip(amounts, values,
                                                                         strict=True)]
        credits = [value - debit for value, debit in zip(values, debits, strict=True)]
        lines[6::width] = _interleaved(debits, credits)
        lines[7::width] = _interleaved(credits, debits)
        if currency is not None:
            lines[8::width] = [currency] * count
            lines[9::width] = _interleaved(amounts, [-amount for amount in amounts])
        lines[10::width] = _interleaved(labels, labels)
        lines[11::width] = _interleaved(stored, stored)
        sequences = [(journal_id, day.year) for day in dates]
        return BatchRows(n, True, flat, lines, sequences, [])


def _interleaved(first: Seq[Any], second: Seq[Any]) -> list[Any]:
    """``first[0], second[0], first[1], second[1], ...``"""
    out: list[Any] = [None] * (2 * len(first))
    out[0::2] = first
    out[1::2] = second
    return out


def _row_builder(company_id: int, dialect_url: str) -> RowBuilder:
    """A :class:`RowBuilder` made anew from what it pickles to."""
    return RowBuilder(company_id, make_url(dialect_url).get_dialect()())


class EntryWriter:
    """Inserts entries of one company within the caller's transaction, posted or as drafts."""

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
        self._sql = BulkSQL(self._dialect)
        self.rows = RowBuilder(company.id, self._dialect)
        self._saved_cache_size: int | None = None
        self._posted = PostedTotal(session, company)
        # Posted lines on these accounts become open items (docs/ledger.md,
        # "Open items and reconciliation"); a batch with none of them costs nothing more.
        self._tracked = reconcilable_account_ids(session, company.id)

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
        """Insert ``entries``, posted or as drafts; returns their ids in order."""
        return self.write_rows(self.rows(entries, post=post))

    def write_rows(self, batch: BatchRows) -> list[int]:
        """Execute a batch built by :meth:`rows`; returns the entries' ids in order."""
        if not batch.count:
            return []
        conn = self.session.connection()
        if batch.post:
            return self._insert_posted(conn, batch)
        return self._insert_drafts(conn, batch)

    def _insert_drafts(self, conn: Connection, batch: BatchRows) -> list[int]:
        """Entries first, then their lines: each line's entry exists when it arrives."""
        ids = self._sql.insert_returning_ids(conn, DRAFT_INSERT, batch.entry_rows, batch.draft_uids)
        self._insert_lines(conn, batch.line_rows, ids, LINE_INSERT)
        return ids

    def _insert_posted(self, conn: Connection, batch: BatchRows) -> list[int]:
        """Lines first, already posted, then their entries, numbered and posted.

        The database takes a posted line only for an entry that does not exist
        yet, and a posted entry only when the lines already there balance and
        belong to its company (migration 0004).  Inserting this way writes each
        row once; posting drafts would rewrite every line and every entry.
        Until the entries arrive, the lines' references to them dangle, so the
        foreign key waits for the commit, which fails if an entry never came.
        """
        self._posted.add(sum(batch.line_rows[LINE_DEBIT::LINE_WIDTH]))
        numbers = self._numbered(batch.sequences)
        ids = self._sql.new_ids(conn, "entry", batch.count)
        rows = batch.entry_rows
        rows[POSTED_ID::POSTED_WIDTH] = ids
        rows[POSTED_NUMBER::POSTED_WIDTH] = numbers
        defer_entry_references(conn)
        self._insert_lines(conn, batch.line_rows, ids, POSTED_LINE_INSERT)
        self._sql.insert(conn, POSTED_INSERT, rows)
        tracked = self._tracked
        if tracked and not tracked.isdisjoint(batch.line_rows[LINE_ACCOUNT::LINE_WIDTH]):
            track_entries(self.session, self.company, ids)
        return ids

    def _insert_lines(
        self, conn: Connection, lines: list[Any], ids: list[int], insert: Insert
    ) -> None:
        lines[LINE_ENTRY_ID::LINE_WIDTH] = [ids[i] for i in lines[LINE_ENTRY_ID::LINE_WIDTH]]
        self._sql.insert(conn, insert, lines)

    def _allocate_ids(self, conn: Connection, count: int) -> list[int]:
        """``count`` new entry ids, taken before the entries are inserted.

        PostgreSQL hands them out from the table's own sequence, as an
        insert would.  SQLite gives a new row the highest id plus one; this
        transaction holds the database's one write lock (the numbering
        counters were written first), so nobody else can take those ids.
        """
        if self._dialect.name == "postgresql":
            return list(
                conn.exec_driver_sql(
                    "SELECT nextval(pg_get_serial_sequence('entry', 'id')) "
                    "FROM generate_series(1, %s)",
                    (count,),
                ).scalars()
            )
        first = int(conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) + 1 FROM entry").scalar_one())
        return list(range(first, first + count))


    def post(self, entries: Seq[tuple[int, int, dt.date]]) -> None:
        """Number and post drafts given as ``(id, journal_id, date)``, in that order."""
        ids = [entry_id for entry_id, _, _ in entries]
        self._posted.add(
            int(self.session.scalar(
                select(func.coalesce(func.sum(Line.debit), 0)).where(Line.entry_id.in_(ids))
            ) or 0)
        )
        now = self.rows.stamps.now()
        flat: list[Any] = [now] * (3 * len(entries))
        flat[0::3] = ids
        flat[1::3] = self._numbered([(journal_id, date.year) for _, journal_id, date in entries])
        self._sql.execute(self.session.connection(), POST, flat)
        if self._tracked:
            track_entries(self.session, self.company, ids)

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

    def _numbered(self, sequences: Seq[tuple[int, int]]) -> list[str]:
        """The next numbers of the journals and years ``sequences`` names, one each, in
        order: a run of entries of one journal and year takes a run of numbers.

        New ids of posted entries are taken before the entries are inserted
        (:meth:`BulkSQL.new_ids`) after their journal's counter is locked here,
        so on SQLite the transaction holds the write lock by then.
        """
        numbers: list[str] = []
        for key, run in groupby(sequences):
            count = sum(1 for _ in run)
            counter = self._numbers.get(key)
            if counter is None:
                counter = self._numbers[key] = self._lock_sequence(*key)
            first, counter[1] = counter[1] + 1, counter[1] + count
            prefix = f"{self._codes[key[0]]}/{key[1]}/"
            numbers += [f"{prefix}{n:05d}" for n in range(first, first + count)]
        return numbers

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
