"""Statement lines of a bank journal, as ``booksync statement list`` shows them.

A journal's statement lines, whatever their source (a connection, a file,
a hand), include the opening line of a first sync, so their amounts add up
to the journal's booked balance in the account's currency (docs/banking.md,
"Statement lines").  Pending transactions are listed apart, from the staging
table: they are shown, never booked; their rows have the same keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from booksync.banking.models import (
    PendingTransaction,
    ProviderAccount,
    SourceKind,
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


def _lines() -> Select[StatementLine, str | None, str, SourceKind]:
    """Lines with their entry's number, their partner's name (None for most: an outer
    join) and their source's kind."""
    return (
        select(StatementLine, Entry.number, Partner.name, StatementSource.kind)
        .join(Entry, Entry.id == StatementLine.entry_id)
        .join(StatementSource, StatementSource.id == StatementLine.source_id)
        .outerjoin(Partner, Partner.id == StatementLine.partner_id)
    )


def line_row(
    line: StatementLine, number: str | None, partner: str | None, kind: str
) -> dict[str, Any]:
    """One line as ``statement list --json`` shows it.

    ``partner`` is the partner's name when the line names one, else the
    name the bank gave.  ``reconciled`` and ``matched`` are reconciliation's
    to say (booksync.app.statements fills them in); here they are the state
    of a line nothing has reconciled.
    """
    return {
        "id": line.id,
        "date": line.date.isoformat(),
        "label": line.label,
        "amount": _amount(line.amount, line.currency_code),
        "partner": partner if partner is not None else line.partner_name,
        "counterparty_iban": line.counterparty_iban,
        "reference": line.reference,
        "provider_transaction_id": line.provider_transaction_id,
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
    query = _lines().where(
        StatementLine.company_id == company.id, StatementLine.journal_id == journal.id
    )
    query = keyset_page(
        session, query, StatementLine.date, StatementLine.id, after=after, limit=limit,
        owner=StatementLine.journal_id == journal.id,
        missing=f"no statement line {after} in journal {journal.code}",
    )
    for line, number, partner, kind in session.execute(
        query, execution_options={"yield_per": BATCH}
    ):
        yield line_row(line, number, partner, kind)


def statement_line(session: Session, company: Company, line_id: int) -> dict[str, Any]:
    """One line of the company, in the shape of :func:`statement_lines`."""
    found = session.execute(
        _lines().where(StatementLine.company_id == company.id, StatementLine.id == line_id)
    ).one_or_none()
    if found is None:
        raise NotFound(f"no statement line {line_id}")
    line, number, partner, kind = found
    return line_row(line, number, partner, kind)


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


__all__ = ["bank_journal", "line_row", "pending_lines", "statement_line", "statement_lines"]
