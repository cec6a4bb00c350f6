"""Writes prepared entries with SQLAlchemy Core, in batches, and numbers them.

The ORM would spend most of a million-line import building objects; Core
``executemany`` with ``RETURNING`` (SQLite >= 3.35 and PostgreSQL) keeps the
import streaming.  Entries are inserted as drafts, their lines added, and then
posted by one ``UPDATE`` per entry: the database's posting trigger checks the
balance again and marks the lines posted, so the bulk path gets no shortcut
around the rules.

Numbers are gap-free per journal and year: the ``sequence`` row is locked
(``FOR UPDATE`` on PostgreSQL; SQLite has one writer) on first use in the
transaction and written back by :meth:`EntryWriter.finish`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence as Seq
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from booksync.db.base import utcnow
from booksync.db.uuid7 import uuid7
from booksync.ledger.models import Company, Entry, Journal, Line, Sequence

if TYPE_CHECKING:
    from booksync.ledger.entries import PreparedEntry

_POST = (
    update(Entry)
    .where(Entry.id == bindparam("e_id"))
    .values(
        state="posted",
        number=bindparam("e_number"),
        posted_at=bindparam("e_posted_at"),
        version=Entry.version + 1,
    )
)


class EntryWriter:
    """Inserts and posts entries of one company within the caller's transaction."""

    def __init__(self, session: Session, company: Company) -> None:
        self.session = session
        self.company = company
        self._numbers: dict[tuple[int, int], list[int]] = {}  # (journal, year) -> [seq id, last]
        self._codes: dict[int, str] = dict(
            session.execute(
                select(Journal.id, Journal.code).where(Journal.company_id == company.id)
            )
            .tuples()
            .all()
        )
        self._dialect = session.get_bind().dialect.name

    def write(self, entries: Seq[PreparedEntry], *, post: bool) -> list[int]:
        """Insert ``entries`` (posting them when asked); returns their ids in order."""
        if not entries:
            return []
        cid = self.company.id
        now = utcnow()
        rows = [
            {
                "uid": uuid7(),
                "version": 1,
                "created_at": now,
                "company_id": cid,
                "journal_id": e.journal_id,
                "date": e.date,
                "ref": e.ref,
                "state": "draft",
                "reversal_of_id": e.reversal_of_id,
            }
            for e in entries
        ]
        result = self.session.execute(
            insert(Entry).returning(Entry.id, sort_by_parameter_order=True), rows
        )
        ids = list(result.scalars())
        lines: list[dict[str, Any]] = []
        for entry_id, e in zip(ids, entries, strict=True):
            for line in e.lines:
                lines.append(
                    {
                        "uid": uuid7(),
                        "version": 1,
                        "created_at": now,
                        "company_id": cid,
                        "entry_id": entry_id,
                        "account_id": line.account_id,
                        "partner_id": line.partner_id,
                        "debit": line.debit,
                        "credit": line.credit,
                        "label": line.label,
                        "date": e.date,
                        "posted": False,
                    }
                )
        self.session.execute(insert(Line), lines)
        if post:
            self.post([(i, e.journal_id, e.date) for i, e in zip(ids, entries, strict=True)])
        return ids

    def post(self, entries: Seq[tuple[int, int, dt.date]]) -> None:
        """Number and post drafts given as ``(id, journal_id, date)``, in that order."""
        now = utcnow()
        params = [
            {"e_id": entry_id, "e_number": self._next_number(journal_id, date.year),
             "e_posted_at": now}
            for entry_id, journal_id, date in entries
        ]
        self.session.connection().execute(_POST, params)

    def finish(self) -> None:
        """Write back the sequence counters used since the writer was made."""
        for seq_id, last in self._numbers.values():
            self.session.execute(
                update(Sequence).where(Sequence.id == seq_id).values(last_number=last)
            )
        self._numbers.clear()

    def _next_number(self, journal_id: int, year: int) -> str:
        key = (journal_id, year)
        counter = self._numbers.get(key)
        if counter is None:
            counter = self._lock_sequence(journal_id, year)
            self._numbers[key] = counter
        counter[1] += 1
        return f"{self._codes[journal_id]}/{year}/{counter[1]:05d}"

    def _lock_sequence(self, journal_id: int, year: int) -> list[int]:
        values = {"company_id": self.company.id, "journal_id": journal_id, "year": year,
                  "last_number": 0}
        if self._dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        self.session.execute(dialect_insert(Sequence).values(values).on_conflict_do_nothing())
        row = self.session.execute(
            select(Sequence.id, Sequence.last_number)
            .where(Sequence.journal_id == journal_id, Sequence.year == year)
            .with_for_update()
        ).one()
        return [row[0], row[1]]
