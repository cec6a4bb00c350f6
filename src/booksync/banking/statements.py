"""Statement lines of a bank journal, as ``booksync statement list`` shows them.

A journal's statement lines include the opening line of a first sync, so
their amounts add up to the journal's booked balance in the account's
currency (docs/banking.md, "Statement lines").  Pending transactions are listed
apart, from the staging table: they are shown, never booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.banking.models import PendingTransaction, ProviderAccount, StatementLine
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import get_journal
from booksync.ledger.listing import BATCH, keyset_page
from booksync.ledger.models import Company, Entry, Journal, JournalType
from booksync.money import CURRENCIES, format_minor

UNDATED = dt.date(1, 1, 1)  # where pending transactions without a date sort


def bank_journal(session: Session, company: Company, code: str) -> Journal:
    journal = get_journal(session, company, code)
    if journal.type != JournalType.BANK:
        raise LedgerError(f"journal {journal.code} is not a bank journal")
    return journal


def _amount(minor: int, currency: str) -> str:
    return format_minor(minor, CURRENCIES[currency][0])


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
    query = (
        select(StatementLine, Entry.number)
        .join(Entry, Entry.id == StatementLine.entry_id)
        .where(StatementLine.company_id == company.id, StatementLine.journal_id == journal.id)
    )
    query = keyset_page(
        session, query, StatementLine.date, StatementLine.id, after=after, limit=limit,
        owner=StatementLine.journal_id == journal.id,
        missing=f"no statement line {after} in journal {journal.code}",
    )
    for line, number in session.execute(query, execution_options={"yield_per": BATCH}):
        yield {
            "id": line.id,
            "date": line.date.isoformat(),
            "label": line.label,
            "amount": _amount(line.amount, line.currency_code),
            "partner": line.partner_name,
            "provider_transaction_id": line.provider_transaction_id,
            "entry": number,
            "reconciled": line.reconciled,
        }


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
            "provider_transaction_id": tx.transaction_id,
            "entry": None,
            "reconciled": False,
        }


__all__ = ["bank_journal", "pending_lines", "statement_lines"]
