"""The bank reconciliation report of one bank journal (docs/reconciliation.md,
"Bank reconciliation report").

It puts side by side what the books say the bank holds, what the bank last
said it holds, and what stands between the two: statement lines not yet
reconciled (their money sits on the journal's suspense account) and payments
registered but not yet seen on the bank (their money sits on an outstanding
receipts or payments account).  Every figure is in the journal's currency,
since that is the one the bank's balance and the statement lines are in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session

from booksync.banking.models import ProviderAccount, StatementLine
from booksync.documents.models import Payment
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import get_journal
from booksync.ledger.models import (
    Company,
    Entry,
    Journal,
    JournalType,
    Line,
    Partner,
)
from booksync.ledger.open_item_models import OpenItem
from booksync.money import exponent
from booksync.reconciliation.models import BankReconciliation

__all__ = [
    "BankReconciliationReport",
    "OutstandingPayment",
    "bank_reconciliation_report",
    "outstanding_payments",
]

@dataclass(frozen=True, slots=True)
class OutstandingPayment:
    """A payment of the journal not yet (fully) seen on the bank.

    ``amount``: the payment's, positive; ``open``: what the bank has not shown
    yet, signed the bank's way (positive: money still to come in).  Both in
    minor units of the journal's currency.
    """

    id: int
    date: dt.date
    partner: str
    outbound: bool
    ref: str | None
    entry: str | None
    amount: int
    open: int


@dataclass(frozen=True, slots=True)
class BankReconciliationReport:
    """The figures of :func:`bank_reconciliation_report`, in minor units of
    ``currency`` (the journal's), signed positive for money at or into the bank.

    ``bank_balance``/``bank_balance_date``: the last balance a linked provider
    account reported, None when the journal has no connection or no balance
    came yet.
    """

    journal: str
    currency: str
    exponent: int
    book_balance: int
    bank_balance: int | None
    bank_balance_date: dt.date | None
    unreconciled_lines: int
    unreconciled_total: int
    outstanding: tuple[OutstandingPayment, ...]

    @property
    def outstanding_total(self) -> int:
        return sum(p.open for p in self.outstanding)


def _bank_journal(session: Session, company: Company, code: str) -> Journal:
    journal = get_journal(session, company, code)
    if journal.type != JournalType.BANK:
        raise LedgerError(f"journal {journal.code} is not a bank journal")
    return journal


def _book_balance(session: Session, company: Company, journal: Journal) -> int:
    """The journal's bank account: debits less credits of its posted lines, or, for a
    journal in a foreign currency, the sum of their amounts in that currency (a
    line booked in company currency only adds nothing to it)."""
    if journal.currency_code is None:
        amount = func.sum(Line.debit - Line.credit)
    else:
        amount = func.sum(
            case((Line.currency_code == journal.currency_code, Line.amount_currency), else_=0)
        )
    return int(
        session.scalar(
            select(func.coalesce(amount, 0)).where(
                Line.company_id == company.id,
                Line.posted == true(),
                Line.account_id == journal.default_account_id,
            )
        )
        or 0
    )


def _bank_balance(
    session: Session, company: Company, journal: Journal
) -> tuple[int | None, dt.date | None]:
    """The latest balance any provider account linked to the journal reported, with
    its date: a disconnected connection's last balance still counts, its date says
    how old it is."""
    found = session.execute(
        select(ProviderAccount.balance, ProviderAccount.balance_date)
        .where(
            ProviderAccount.company_id == company.id,
            ProviderAccount.journal_id == journal.id,
            ProviderAccount.balance.is_not(None),
            ProviderAccount.balance_date.is_not(None),
        )
        .order_by(ProviderAccount.balance_date.desc(), ProviderAccount.id.desc())
        .limit(1)
    ).first()
    if found is None or found[0] is None:
        return None, None
    return int(found[0]), found[1]


def _unreconciled(session: Session, company: Company, journal: Journal) -> tuple[int, int]:
    """How many statement lines of the journal have no active reconciliation, and
    their total; the opening line of a first sync counts like any other (its
    money is on the suspense account until it is reconciled too)."""
    active = (
        select(BankReconciliation.id)
        .where(
            BankReconciliation.statement_line_id == StatementLine.id,
            BankReconciliation.state == "active",
        )
        .exists()
    )
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(StatementLine.amount), 0)).where(
            StatementLine.company_id == company.id,
            StatementLine.journal_id == journal.id,
            ~active,
        )
    ).one()
    return int(count), int(total)


def outstanding_payments(
    session: Session, company: Company, journal: Journal
) -> tuple[OutstandingPayment, ...]:
    """The journal's payments whose outstanding line still owes something in the
    journal's currency, by date: the bank has not shown (all of) their money yet."""
    query = (
        select(
            Payment.id,
            Payment.date,
            Partner.name,
            Payment.outbound,
            Payment.ref,
            Entry.number,
            Payment.amount,
            OpenItem.residual_currency,
        )
        .join(Partner, Partner.id == Payment.partner_id)
        .join(Entry, Entry.id == Payment.entry_id)
        .join(OpenItem, OpenItem.line_id == Payment.outstanding_line_id)
        .where(
            Payment.company_id == company.id,
            Payment.journal_id == journal.id,
            OpenItem.residual_currency != 0,
        )
        .order_by(Payment.date, Payment.id)
    )
    return tuple(
        OutstandingPayment(pid, day, partner, outbound, ref, number, int(amount), int(left))
        for pid, day, partner, outbound, ref, number, amount, left in session.execute(query)
    )


def bank_reconciliation_report(
    session: Session, company: Company, code: str
) -> BankReconciliationReport:
    """Books against bank for bank journal ``code``: the book and bank balances, the
    unreconciled statement lines and the payments not yet seen on the bank."""
    journal = _bank_journal(session, company, code)
    currency = journal.currency_code or company.currency_code
    bank, bank_date = _bank_balance(session, company, journal)
    count, total = _unreconciled(session, company, journal)
    return BankReconciliationReport(
        journal.code,
        currency,
        exponent(currency),
        _book_balance(session, company, journal),
        bank,
        bank_date,
        count,
        total,
        outstanding_payments(session, company, journal),
    )
