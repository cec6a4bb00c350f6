"""Writes a statement source's new lines: posted entries, lines, aliases.

The one path every source books through (a sync's importer, a line entered
by hand, a statement file), inside the caller's transaction: the lines'
entries go through the ledger's :class:`EntryWriter` (numbered, posted,
checked by the database's triggers), then the statement lines and their
aliases through multi-row inserts, since a first sync writes a hundred
thousand of each (see :mod:`booksync.db.bulk`).  A line's aliases are
written with it, so a line never exists without the ids that keep it from
being booked twice.

Every step takes the batch column by column: the entries' rows come from
:meth:`JournalBooking.rows`, the statement lines' columns are the new
lines' fields side by side (one ``zip``), the values every line shares are
given once, and the lines' ids are taken before they are inserted, so the
insert returns nothing (docs/ledger.md, "Bank lines in bulk").
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine, StatementSource, TransactionAlias
from booksync.db.bulk import BulkInsert, Same
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
        late_to_open: bool = False,
    ) -> None:
        assert source.journal_id == journal.id
        self.session = session
        self.company_id = company.id
        self.source = source
        self.journal_id = journal.id
        self.booking = JournalBooking(session, company, journal, currency,
                                      late_to_open=late_to_open)
        self.currency = self.booking.currency
        self.writer = writer

    def write(self, lines: Sequence[NewLine], run_id: int | None = None) -> list[int]:
        """Statement lines (posted entries, aliases) for ``lines``; their ids in order."""
        if not lines:
            return []
        entry_ids = self.writer.write_rows(self.booking.rows(lines, self.writer.rows))
        (dates, amounts, labels, value_dates, instants, partners, names, ibans, references,
         ids, opening, raw) = zip(*lines, strict=True)
        line_ids = _bulk(self.session, StatementLine).insert_columns(
            len(lines),
            [
                Same(self.company_id),
                Same(self.journal_id),
                Same(self.source.id),
                Same(self.source.provider_account_id),
                Same(run_id),
                entry_ids,
                dates,
                value_dates,
                instants,
                amounts,
                Same(self.currency),
                [label[:500] for label in labels],
                partners,
                names,
                ibans,
                references,
                [own[0] if own else None for own in ids],
                opening,
                raw,
            ],
            ids=True,
        )
        self.add_aliases(
            [(line_id, tid) for line_id, own in zip(line_ids, ids, strict=True) for tid in own]
        )
        return line_ids

    def add_aliases(self, pairs: Sequence[tuple[int, str]]) -> None:
        """More ids of this source for lines it booked: ``(line id, transaction id)``."""
        if pairs:
            line_ids, tids = zip(*pairs, strict=True)
            _bulk(self.session, TransactionAlias).insert_columns(
                len(pairs), [Same(self.company_id), Same(self.source.id), line_ids, tids]
            )


__all__ = ["ALIAS_COLUMNS", "LINE_COLUMNS", "StatementWriter"]
