"""Journals: listing and lookup by code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.errors import NotFound
from booksync.ledger.limits import MAX_NAME, fit_text
from booksync.ledger.models import (
    Account,
    AccountRole,
    AccountType,
    Company,
    Journal,
    JournalType,
)


def list_journals(session: Session, company: Company) -> list[Journal]:
    return list(
        session.scalars(
            select(Journal).where(Journal.company_id == company.id).order_by(Journal.code)
        )
    )


def get_journal(session: Session, company: Company, code: str) -> Journal:
    journal = session.scalar(
        select(Journal).where(Journal.company_id == company.id, Journal.code == code)
    )
    if journal is None:
        raise NotFound(f"unknown journal {code!r}")
    return journal


def _free_code(taken: set[str], start: int) -> str:
    """The first code from ``start`` upwards not in ``taken``; it is taken from then on."""
    code = start
    while str(code) in taken:
        code += 1
    taken.add(str(code))
    return str(code)


def create_bank_journal(
    session: Session, company: Company, name: str, currency: str | None = None
) -> Journal:
    """A new bank journal (``BNK1``, ``BNK2``, ...) with its own ledger accounts.

    Each bank journal books against its own bank account (money at the bank,
    code ``120000 + n``) and its own suspense account (the counterpart until
    reconciliation, ``129000 + n``), so one bank's balance never mixes with
    another's.
    """
    currency = (currency or company.currency_code).upper()
    codes = set(
        session.scalars(select(Journal.code).where(Journal.company_id == company.id))
    )
    n = 1
    while f"BNK{n}" in codes:
        n += 1
    taken = set(session.scalars(select(Account.code).where(Account.company_id == company.id)))
    label = fit_text(name.strip(), MAX_NAME) or f"Bank {n}"  # a bank's name: made to fit
    bank = Account(
        company_id=company.id,
        code=_free_code(taken, 120000 + n),
        name=f"Bank {label}"[:200],
        type=AccountType.ASSET,
        role=AccountRole.BANK,
    )
    suspense = Account(
        company_id=company.id,
        code=_free_code(taken, 129000 + n),
        name=f"Bank Suspense {label}"[:200],
        type=AccountType.ASSET,
        role=AccountRole.SUSPENSE,
        reconcile=True,
    )
    session.add_all([bank, suspense])
    session.flush()
    journal = Journal(
        company_id=company.id,
        code=f"BNK{n}",
        name=label[:200],
        type=JournalType.BANK,
        default_account_id=bank.id,
        suspense_account_id=suspense.id,
        currency_code=None if currency == company.currency_code else currency,
    )
    session.add(journal)
    session.flush()
    return journal
