"""Reports as SQL aggregations over posted lines (docs/ledger.md, "Reports").

Each report is one or two ``GROUP BY`` queries that the ``ix_line_report``
covering index (company, posted, account, date, debit, credit) answers
without touching the table; Python only shapes the few rows per account.
Amounts stay integer minor units until :meth:`as_dict` formats them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from booksync.ledger.errors import NotFound
from booksync.ledger.models import Account, AccountType, Company, Entry, Journal, Line, Partner
from booksync.money import format_minor

DEBIT_NORMAL = {AccountType.ASSET, AccountType.EXPENSE}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _posted_sums(
    company: Company, date_from: dt.date | None, date_to: dt.date | None
) -> Select[Any]:
    """Debit and credit per account over posted lines in [date_from, date_to]."""
    conditions: list[ColumnElement[bool]] = [
        Line.company_id == company.id,
        Line.posted == true(),
    ]
    if date_from:
        conditions.append(Line.date >= date_from)
    if date_to:
        conditions.append(Line.date <= date_to)
    sums = (
        select(
            Line.account_id.label("account_id"),
            func.sum(Line.debit).label("debit"),
            func.sum(Line.credit).label("credit"),
        )
        .where(*conditions)
        .group_by(Line.account_id)
        .subquery()
    )
    return (
        select(Account.code, Account.name, Account.type, sums.c.debit, sums.c.credit)
        .join(sums, sums.c.account_id == Account.id)
        .order_by(Account.code)
    )


@dataclass(frozen=True, slots=True)
class AccountRow:
    code: str
    name: str
    type: AccountType
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        """Debit minus credit: positive for debit balances."""
        return self.debit - self.credit

    @property
    def natural(self) -> int:
        """The balance with the sign the account's type reads naturally."""
        return self.balance if self.type in DEBIT_NORMAL else -self.balance


def _rows(session: Session, query: Select[Any]) -> list[AccountRow]:
    return [
        AccountRow(code, name, AccountType(kind), int(debit or 0), int(credit or 0))
        for code, name, kind, debit, credit in session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class TrialBalance:
    company: str
    currency: str
    exponent: int
    date_from: dt.date | None
    date_to: dt.date | None
    rows: list[AccountRow]

    @property
    def total_debit(self) -> int:
        return sum(r.debit for r in self.rows)

    @property
    def total_credit(self) -> int:
        return sum(r.credit for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        f = self.exponent
        return {
            "company": self.company,
            "currency": self.currency,
            "date_from": _iso(self.date_from),
            "date_to": _iso(self.date_to),
            "rows": [
                {
                    "account": r.code,
                    "name": r.name,
                    "debit": format_minor(r.debit, f),
                    "credit": format_minor(r.credit, f),
                    "balance": format_minor(r.balance, f),
                }
                for r in self.rows
            ],
            "total_debit": format_minor(self.total_debit, f),
            "total_credit": format_minor(self.total_credit, f),
        }


def trial_balance(
    session: Session,
    company: Company,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> TrialBalance:
    """Debits, credits and balance of every account moved in the period."""
    rows = _rows(session, _posted_sums(company, date_from, date_to))
    return TrialBalance(
        company.name, company.currency_code, company.currency.exponent, date_from, date_to, rows
    )


@dataclass(frozen=True, slots=True)
class Section:
    rows: list[AccountRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.natural for r in self.rows)

    def as_dict(self, exp: int) -> dict[str, Any]:
        return {
            "rows": [
                {"account": r.code, "name": r.name, "balance": format_minor(r.natural, exp)}
                for r in self.rows
            ],
            "total": format_minor(self.total, exp),
        }


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """Assets = liabilities + equity + the result not yet closed into equity."""

    company: str
    currency: str
    exponent: int
    date: dt.date | None
    assets: Section
    liabilities: Section
    equity: Section
    current_result: int

    @property
    def total_liabilities_and_equity(self) -> int:
        return self.liabilities.total + self.equity.total + self.current_result

    @property
    def balanced(self) -> bool:
        return self.assets.total == self.total_liabilities_and_equity

    def as_dict(self) -> dict[str, Any]:
        f = self.exponent
        return {
            "company": self.company,
            "currency": self.currency,
            "date": _iso(self.date),
            "assets": self.assets.as_dict(f),
            "liabilities": self.liabilities.as_dict(f),
            "equity": self.equity.as_dict(f),
            "current_result": format_minor(self.current_result, f),
            "total_assets": format_minor(self.assets.total, f),
            "total_liabilities_and_equity": format_minor(self.total_liabilities_and_equity, f),
            "balanced": self.balanced,
        }


def balance_sheet(session: Session, company: Company, date: dt.date | None = None) -> BalanceSheet:
    rows = _rows(session, _posted_sums(company, None, date))
    sections: dict[AccountType, Section] = {t: Section() for t in AccountType}
    for row in rows:
        sections[row.type].rows.append(row)
    result = sections[AccountType.INCOME].total - sections[AccountType.EXPENSE].total
    return BalanceSheet(
        company.name,
        company.currency_code,
        company.currency.exponent,
        date,
        sections[AccountType.ASSET],
        sections[AccountType.LIABILITY],
        sections[AccountType.EQUITY],
        result,
    )


@dataclass(frozen=True, slots=True)
class ProfitLoss:
    company: str
    currency: str
    exponent: int
    date_from: dt.date | None
    date_to: dt.date | None
    income: Section
    expenses: Section

    @property
    def net_result(self) -> int:
        return self.income.total - self.expenses.total

    def as_dict(self) -> dict[str, Any]:
        f = self.exponent
        return {
            "company": self.company,
            "currency": self.currency,
            "date_from": _iso(self.date_from),
            "date_to": _iso(self.date_to),
            "income": self.income.as_dict(f),
            "expenses": self.expenses.as_dict(f),
            "net_result": format_minor(self.net_result, f),
        }


def profit_loss(
    session: Session,
    company: Company,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> ProfitLoss:
    income, expenses = Section(), Section()
    for row in _rows(session, _posted_sums(company, date_from, date_to)):
        if row.type == AccountType.INCOME:
            income.rows.append(row)
        elif row.type == AccountType.EXPENSE:
            expenses.rows.append(row)
    return ProfitLoss(
        company.name,
        company.currency_code,
        company.currency.exponent,
        date_from,
        date_to,
        income,
        expenses,
    )


@dataclass(frozen=True, slots=True)
class LedgerLine:
    date: dt.date
    number: str | None
    journal: str
    ref: str | None
    label: str | None
    partner: str | None
    debit: int
    credit: int
    balance: int


@dataclass(frozen=True, slots=True)
class AccountLedger:
    company: str
    currency: str
    exponent: int
    account: str
    name: str
    date_from: dt.date | None
    date_to: dt.date | None
    opening: int
    lines: list[LedgerLine]

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.opening

    def as_dict(self) -> dict[str, Any]:
        f = self.exponent
        return {
            "company": self.company,
            "currency": self.currency,
            "account": self.account,
            "name": self.name,
            "date_from": _iso(self.date_from),
            "date_to": _iso(self.date_to),
            "opening_balance": format_minor(self.opening, f),
            "lines": [
                {
                    "date": ln.date.isoformat(),
                    "entry": ln.number,
                    "journal": ln.journal,
                    "ref": ln.ref,
                    "label": ln.label,
                    "partner": ln.partner,
                    "debit": format_minor(ln.debit, f),
                    "credit": format_minor(ln.credit, f),
                    "balance": format_minor(ln.balance, f),
                }
                for ln in self.lines
            ],
            "closing_balance": format_minor(self.closing, f),
        }


def account_ledger(
    session: Session,
    company: Company,
    code: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> AccountLedger:
    """Every posted line of one account, with a running balance (a window sum)."""
    account = session.scalar(
        select(Account).where(Account.company_id == company.id, Account.code == code)
    )
    if account is None:
        raise NotFound(f"unknown account {code!r}")
    base = [Line.company_id == company.id, Line.posted == true(), Line.account_id == account.id]
    opening = 0
    if date_from:
        opening = int(
            session.scalar(
                select(func.coalesce(func.sum(Line.debit - Line.credit), 0)).where(
                    *base, Line.date < date_from
                )
            )
            or 0
        )
        base.append(Line.date >= date_from)
    if date_to:
        base.append(Line.date <= date_to)
    running = func.sum(Line.debit - Line.credit).over(order_by=(Line.date, Line.id))
    query = (
        select(
            Line.date,
            Entry.number,
            Journal.code,
            Entry.ref,
            Line.label,
            Partner.name,
            Line.debit,
            Line.credit,
            running,
        )
        .join(Entry, Entry.id == Line.entry_id)
        .join(Journal, Journal.id == Entry.journal_id)
        .outerjoin(Partner, Partner.id == Line.partner_id)
        .where(*base)
        .order_by(Line.date, Line.id)
    )
    lines = [
        LedgerLine(d, num, jc, ref, label, partner, debit, credit, opening + int(run))
        for d, num, jc, ref, label, partner, debit, credit, run in session.execute(query)
    ]
    return AccountLedger(
        company.name,
        company.currency_code,
        company.currency.exponent,
        account.code,
        account.name,
        date_from,
        date_to,
        opening,
        lines,
    )
