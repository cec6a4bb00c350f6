"""Writes a statement source's new lines: posted entries, lines, aliases.

The one path every source books through (a sync's importer, a line entered
by hand, statement files later), inside the caller's transaction: the
lines' entries go through the ledger's :class:`EntryWriter` (numbered,
posted, checked by the database's triggers), then the statement lines and
their aliases through multi-row inserts, since a first sync writes a hundred
thousand of each (see :mod:`booksync.db.bulk`).  A line's aliases are
written with it, so a line never exists without the ids that keep it from
being booked twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine, StatementSource, TransactionAlias
from booksync.db.bulk import BulkInsert
from booksync.ledger.models import Company, Journal
from booksync.ledger.writer import EntryWriter
from booksync.statements.booking import JournalBooking, NewLine

LINE_COLUMNS = (
    "company_id",
    "journal_id",
    "source_id",
    "provider_account_id",
    "sync_run_id",
    "entry_id",
    "date",
    "value_date",
    "transacted_at",
    "amount",
    "currency_code",
    "label",
    "partner_id",
    "partner_name",
    "counterparty_iban",
    "reference",
    "provider_transaction_id",
    "is_opening",
    "raw",
)
ALIAS_COLUMNS = ("company_id", "source_id", "statement_line_id", "transaction_id")


def _bulk(session: Session, model: type[StatementLine | TransactionAlias]) -> BulkInsert:
    table = model.__table__
    assert isinstance(table, Table)
    columns = LINE_COLUMNS if model is StatementLine else ALIAS_COLUMNS
    return BulkInsert(session.connection(), table, columns)


class StatementWriter:
    """Books new lines of one source in its journal, within the caller's transaction.

    ``writer``: one shared by every source booking in the same transaction,
    so the journals and the company's posted total are read once; whoever
    made it calls its ``finish``.
    """

    def __init__(
        self,
        session: Session,
        company: Company,
        source: StatementSource,
        journal: Journal,
        writer: EntryWriter,
        *,
        currency: str | None = None,
    ) -> None:
        assert source.journal_id == journal.id
        self.session = session
        self.company_id = company.id
        self.source = source
        self.journal_id = journal.id
        self.booking = JournalBooking(session, company, journal, currency)
        self.currency = self.booking.currency
        self.writer = writer

    def write(self, lines: Sequence[NewLine], run_id: int | None = None) -> list[int]:
        """Statement lines (posted entries, aliases) for ``lines``; their ids in order."""
        if not lines:
            return []
        entry_ids = self.writer.write(self.booking.entries(lines), post=True)
        cid, journal_id, source_id = self.company_id, self.journal_id, self.source.id
        account_id, currency = self.source.provider_account_id, self.currency
        rows = [
            (
                cid,
                journal_id,
                source_id,
                account_id,
                run_id,
                entry_id,
                line.date,
                line.value_date,
                line.transacted_at,
                line.amount,
                currency,
                line.label[:500],
                line.partner_id,
                line.partner_name,
                line.counterparty_iban,
                line.reference,
                line.ids[0] if line.ids else None,
                line.is_opening,
                line.raw,
            )
            for line, entry_id in zip(lines, entry_ids, strict=True)
        ]
        line_ids = _bulk(self.session, StatementLine).insert_returning_ids(rows)
        self.add_aliases(
            [
                (line_id, tid)
                for line, line_id in zip(lines, line_ids, strict=True)
                for tid in line.ids
            ]
        )
        return line_ids

    def add_aliases(self, pairs: Sequence[tuple[int, str]]) -> None:
        """More ids of this source for lines it booked: ``(line id, transaction id)``."""
        if pairs:
            cid, source_id = self.company_id, self.source.id
            _bulk(self.session, TransactionAlias).insert(
                [(cid, source_id, line_id, tid) for line_id, tid in pairs]
            )


__all__ = ["ALIAS_COLUMNS", "LINE_COLUMNS", "StatementWriter"]
