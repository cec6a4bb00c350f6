"""Statement lines of a bank journal, as ``booksync statement list`` shows them.

A journal's statement lines, whatever their source (a connection, a file,
a hand), include the opening line of a first sync, so their amounts add up
to the journal's booked balance in the account's currency (docs/banking.md,
"Statement lines").  Pending transactions are listed apart, from the staging
table: they are shown, never booked; their rows have the same keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from booksync.banking.models import (
    PendingTransaction,
    ProviderAccount,
    StatementLine,
    StatementSource,
)
from booksync.ledger.errors import NotFound
from booksync.ledger.listing import BATCH, keyset_page
from booksync.ledger.models import Company, Entry, Partner
from booksync.money import CURRENCIES, format_minor
from booksync.statements.sources import bank_journal

UNDATED = dt.date(1, 1, 1)  # where pending transactions without a date sort


def _amount(minor: int, currency: str) -> str:
    return format_minor(minor, CURRENCIES[currency][0])


LINE_COLUMNS = (
    StatementLine.id,
    StatementLine.date,
    StatementLine.label,
    StatementLine.amount,
    StatementLine.currency_code,
    Partner.name,
    StatementLine.partner_name,
    StatementLine.counterparty_iban,
    StatementLine.reference,
    StatementLine.provider_transaction_id,
    StatementSource.kind,
    Entry.number,
)
"""What a listed line is made of, in the order :func:`line_row` reads a row: a plain
select of these columns, not of whole lines, since a listing shows a dozen of a
line's two dozen columns and building an ORM object per row cost more than the query."""
WIDTH = len(LINE_COLUMNS)


def lines_query() -> Select[*tuple[Any, ...]]:
    """:data:`LINE_COLUMNS` of lines with their entry, their partner (None for most: an
    outer join) and their source; a caller adds its conditions and columns after them."""
    return (
        select(*LINE_COLUMNS)
        .join(Entry, Entry.id == StatementLine.entry_id)
        .join(StatementSource, StatementSource.id == StatementLine.source_id)
        .outerjoin(Partner, Partner.id == StatementLine.partner_id)
    )


def line_row(row: Sequence[Any]) -> dict[str, Any]:
    """One line as ``statement list --json`` shows it, from a row of :func:`lines_query`.

    ``partner`` is the partner's name when the line names one, else the
    name the bank gave.  ``reconciled`` and ``matched`` are reconciliation's
    to say (booksync.app.statements fills them in); here they are the state
    of a line nothing has reconciled.
    """
    ident, day, label, minor, currency, partner, named, iban, reference, tx, kind, number = (
        row[:WIDTH]
    )
    return {
        "id": ident,
        "date": day.isoformat(),
        "label": label,
        "amount": _amount(minor, currency),
        "partner": partner if partner is not None else named,
        "counterparty_iban": iban,
        "reference": reference,
        "provider_transaction_id": tx,
        "source": str(kind),
        "entry": number,
        "reconciled": False,
        "matched": [],
    }


def statement_lines(
    session: Session,
    company: Company,
    code: str,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Booked lines of a bank journal by date, then id; ``entry`` is the entry's number.

    Read in batches; ``after`` (a line's ``id``) and ``limit`` give one page.
    """
    journal = bank_journal(session, company, code)
    query = lines_query().where(
        StatementLine.company_id == company.id, StatementLine.journal_id == journal.id
    )
    query = keyset_page(
        session, query, StatementLine.date, StatementLine.id, after=after, limit=limit,
        owner=StatementLine.journal_id == journal.id,
        missing=f"no statement line {after} in journal {journal.code}",
    )
    for row in session.execute(query, execution_options={"yield_per": BATCH}):
        yield line_row(row)


def statement_line(session: Session, company: Company, line_id: int) -> dict[str, Any]:
    """One line of the company, in the shape of :func:`statement_lines`."""
    found = session.execute(
        lines_query().where(StatementLine.company_id == company.id, StatementLine.id == line_id)
    ).one_or_none()
    if found is None:
        raise NotFound(f"no statement line {line_id}")
    return line_row(found)


def pending_lines(
    session: Session,
    company: Company,
    code: str,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The staged pending transactions of the accounts linked to a bank journal.

    By date (undated ones first, on every database), then id; paged like
    :func:`statement_lines`.
    """
    journal = bank_journal(session, company, code)
    day = func.coalesce(PendingTransaction.date, UNDATED)
    query = (
        select(PendingTransaction)
        .join(ProviderAccount, ProviderAccount.id == PendingTransaction.provider_account_id)
        .where(
            PendingTransaction.company_id == company.id, ProviderAccount.journal_id == journal.id
        )
    )
    query = keyset_page(
        session, query, day, PendingTransaction.id, after=after, limit=limit,
        owner=PendingTransaction.company_id == company.id,
        missing=f"no pending transaction {after} in journal {journal.code}",
    )
    for tx in session.scalars(query, execution_options={"yield_per": BATCH}):
        yield {
            "id": tx.id,
            "date": tx.date.isoformat() if tx.date else None,
            "label": tx.label,
            "amount": _amount(tx.amount, tx.currency_code),
            "partner": tx.partner_name,
            "counterparty_iban": None,
            "reference": None,
            "provider_transaction_id": tx.transaction_id,
            "source": "online",
            "entry": None,
            "reconciled": False,
            "matched": [],
        }


__all__ = [
    "LINE_COLUMNS",
    "WIDTH",
    "bank_journal",
    "line_row",
    "lines_query",
    "pending_lines",
    "statement_line",
    "statement_lines",
]
