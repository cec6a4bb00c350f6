"""Reports: the use cases, with typed results.

The trial balance, balance sheet, profit and loss and account ledger are read
in :mod:`booksync.ledger.reports`; their results are that module's frozen
dataclasses, whose ``as_dict()`` is the JSON shape of ``booksync report``
(the demo prints the same).  Aged receivable and payable balances and the
partner ledger are read in the ledger (:mod:`booksync.ledger.aged`,
:mod:`booksync.ledger.partner_ledger`; docs/ledger.md), the bank
reconciliation report in :mod:`booksync.reconciliation.report`
(docs/reconciliation.md).  Here their minor units become decimals of their
currency, and each result is a frozen dataclass whose fields are its JSON
shape (:func:`booksync.app.shapes.as_json`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from booksync.app.context import Books
from booksync.ledger.aged import AgedBalances, AgedRow, aged_balances
from booksync.ledger.models import AccountRole
from booksync.ledger.partner_ledger import partner_ledger as read_partner_ledger
from booksync.ledger.reports import AccountLedger, BalanceSheet, ProfitLoss, TrialBalance
from booksync.ledger.reports import account_ledger as read_account_ledger
from booksync.ledger.reports import balance_sheet as read_balance_sheet
from booksync.ledger.reports import profit_loss as read_profit_loss
from booksync.ledger.reports import trial_balance as read_trial_balance
from booksync.money import to_decimal
from booksync.reconciliation.report import bank_reconciliation_report

__all__ = [
    "AgedBalancesView",
    "AgedRowView",
    "BankReconciliationView",
    "OutstandingPaymentView",
    "OutstandingPaymentsView",
    "PartnerLedgerView",
    "PartnerLineView",
    "account_ledger",
    "aged_payable",
    "aged_receivable",
    "balance_sheet",
    "bank_reconciliation",
    "outstanding_payments",
    "partner_ledger",
    "profit_loss",
    "trial_balance",
]


@dataclass(frozen=True, slots=True)
class AgedRowView:
    """One partner's balance by days past due (``partner`` None: items without a
    partner, or the total row); positive when owed to whoever the report is for
    (customers to us, or us to vendors)."""

    partner: str | None
    current: Decimal
    days_1_30: Decimal = field(metadata={"json": "1-30"})
    days_31_60: Decimal = field(metadata={"json": "31-60"})
    days_61_90: Decimal = field(metadata={"json": "61-90"})
    over_90: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class AgedBalancesView:
    """Aged balances at the end of ``date``, in ``currency`` (the company's)."""

    date: dt.date
    currency: str
    partners: tuple[AgedRowView, ...]
    total: AgedRowView


@dataclass(frozen=True, slots=True)
class PartnerLineView:
    """A line of the partner ledger: ``balance`` runs over debits less credits,
    ``residual`` is what the line still owes, signed like it."""

    date: dt.date
    entry: str | None
    account: str
    label: str | None
    debit: Decimal
    credit: Decimal
    balance: Decimal
    residual: Decimal
    reconciled: bool


@dataclass(frozen=True, slots=True)
class PartnerLedgerView:
    partner: str
    currency: str
    lines: tuple[PartnerLineView, ...]
    balance: Decimal


@dataclass(frozen=True, slots=True)
class BankReconciliationView:
    """Books against bank for one bank journal, in its currency (signed positive
    for money at or into the bank); ``bank_balance`` and its date are None when
    the journal has no connection."""

    journal: str
    book_balance: Decimal
    bank_balance: Decimal | None
    bank_balance_date: dt.date | None
    unreconciled_lines: int
    unreconciled_total: Decimal
    outstanding_payments: Decimal


@dataclass(frozen=True, slots=True)
class OutstandingPaymentView:
    """A payment not yet (fully) seen on the bank: ``amount`` the payment's,
    ``open`` what the bank has yet to show, signed (positive: money to come in)."""

    id: int
    date: dt.date
    partner: str
    direction: str
    ref: str | None
    entry: str | None
    amount: Decimal
    open: Decimal


@dataclass(frozen=True, slots=True)
class OutstandingPaymentsView:
    journal: str
    currency: str
    payments: tuple[OutstandingPaymentView, ...]
    total: Decimal


def trial_balance(
    books: Books, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> TrialBalance:
    """Debit, credit and balance of each account moved in the period (either end
    open when None)."""
    return read_trial_balance(books.session, books.company, date_from, date_to)


def balance_sheet(books: Books, date: dt.date | None = None) -> BalanceSheet:
    """Assets, liabilities, equity and the current result at the end of ``date``
    (today when None)."""
    return read_balance_sheet(books.session, books.company, date)


def profit_loss(
    books: Books, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> ProfitLoss:
    """Income and expenses of the period and the net result."""
    return read_profit_loss(books.session, books.company, date_from, date_to)


def account_ledger(
    books: Books,
    account: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> AccountLedger:
    """Every posted line of the account coded ``account`` in the period, with its
    opening and running balance."""
    return read_account_ledger(books.session, books.company, account, date_from, date_to)


def _aged_row(row: AgedRow, exp: int) -> AgedRowView:
    current, first, second, third, over = (to_decimal(v, exp) for v in row.buckets)
    return AgedRowView(row.partner, current, first, second, third, over,
                       to_decimal(row.total, exp))


def _aged_view(report: AgedBalances) -> AgedBalancesView:
    exp = report.exponent
    return AgedBalancesView(
        report.date,
        report.currency,
        tuple(_aged_row(row, exp) for row in report.partners),
        _aged_row(report.total, exp),
    )


def aged_receivable(books: Books, date: dt.date | None = None) -> AgedBalancesView:
    """What each customer owed at the end of ``date`` (today when None), by days
    past due (docs/ledger.md, "Aged balances")."""
    day = date or dt.date.today()
    return _aged_view(aged_balances(books.session, books.company, AccountRole.RECEIVABLE, day))


def aged_payable(books: Books, date: dt.date | None = None) -> AgedBalancesView:
    """What the company owed each vendor at the end of ``date`` (today when None),
    by days past due (docs/ledger.md, "Aged balances")."""
    day = date or dt.date.today()
    return _aged_view(aged_balances(books.session, books.company, AccountRole.PAYABLE, day))


def partner_ledger(books: Books, partner: str) -> PartnerLedgerView:
    """Every posted line of ``partner`` on receivable and payable accounts with a
    running balance (docs/ledger.md, "Partner ledger")."""
    report = read_partner_ledger(books.session, books.company, partner)
    exp = report.exponent
    lines = tuple(
        PartnerLineView(
            ln.date, ln.entry, ln.account, ln.label, to_decimal(ln.debit, exp),
            to_decimal(ln.credit, exp), to_decimal(ln.balance, exp),
            to_decimal(ln.residual, exp), ln.reconciled,
        )
        for ln in report.lines
    )
    return PartnerLedgerView(report.partner, report.currency, lines,
                             to_decimal(report.balance, exp))


def bank_reconciliation(books: Books, journal: str) -> BankReconciliationView:
    """Book balance, bank balance, unreconciled lines and outstanding payments of
    bank journal ``journal`` (docs/reconciliation.md, "Bank reconciliation report")."""
    report = bank_reconciliation_report(books.session, books.company, journal)
    exp = report.exponent
    return BankReconciliationView(
        report.journal,
        to_decimal(report.book_balance, exp),
        None if report.bank_balance is None else to_decimal(report.bank_balance, exp),
        report.bank_balance_date,
        report.unreconciled_lines,
        to_decimal(report.unreconciled_total, exp),
        to_decimal(report.outstanding_total, exp),
    )


def outstanding_payments(books: Books, journal: str) -> OutstandingPaymentsView:
    """The payments of bank journal ``journal`` the bank has not shown yet, whose
    total is the bank reconciliation's ``outstanding_payments``."""
    report = bank_reconciliation_report(books.session, books.company, journal)
    exp = report.exponent
    payments = tuple(
        OutstandingPaymentView(
            p.id, p.date, p.partner, "outbound" if p.outbound else "inbound", p.ref, p.entry,
            to_decimal(p.amount, exp), to_decimal(p.open, exp),
        )
        for p in report.outstanding
    )
    return OutstandingPaymentsView(report.journal, report.currency, payments,
                                   to_decimal(report.outstanding_total, exp))
