"""``/api/v1/reports/...``: the reports of ``booksync report`` as JSON, one route each.

Each answer is the shape ``booksync report ... --json`` prints, read by the
same use case of :mod:`booksync.app.reports`; the report's options are
query parameters (dates as ``YYYY-MM-DD``).  :func:`report_data` is also
what the Reports pages draw their tables from, so a page, its CSV and the
API never disagree (docs/web.md, "Reports").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from booksync.app import reports
from booksync.app.context import Books
from booksync.app.shapes import as_json
from booksync.errors import BooksyncError
from booksync.ledger.aged import EARLIEST as EARLIEST_AGED
from booksync.ledger.limits import shown
from booksync.users.roles import Permission
from booksync.web.api.common import CompanyQuery
from booksync.web.auth import Caller, need
from booksync.web.companies import opened

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

__all__ = ["SLUGS", "ReportParams", "report_data", "router"]


@dataclass(frozen=True, slots=True)
class ReportParams:
    """A report's options, read from text (a query string, a form)."""

    date: dt.date | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    account: str | None = None
    journal: str | None = None

    @classmethod
    def read(
        cls,
        *,
        date: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        account: str | None = None,
        journal: str | None = None,
    ) -> ReportParams:
        """The options from text: an empty field counts as not given; a date that
        is not ``YYYY-MM-DD`` or a period that ends before it starts is refused."""
        first, last = _day(date_from, "date_from"), _day(date_to, "date_to")
        if first and last and first > last:
            raise BooksyncError(
                f"date_from {first.isoformat()} is after date_to {last.isoformat()}: "
                "the period would be empty"
            )
        return cls(_day(date, "date"), first, last, (account or "").strip() or None,
                   (journal or "").strip() or None)


def _day(text: str | None, name: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BooksyncError(f"{name}: {shown(text)} is not a date (YYYY-MM-DD)") from None


def _needed(value: str | None, name: str, what: str) -> str:
    if value is None:
        raise BooksyncError(f"{name}: the {what} is required")
    return value


def _trial_balance(books: Books, p: ReportParams) -> dict[str, Any]:
    return reports.trial_balance(books, p.date_from, p.date_to).as_dict()


def _balance_sheet(books: Books, p: ReportParams) -> dict[str, Any]:
    return reports.balance_sheet(books, p.date).as_dict()


def _profit_and_loss(books: Books, p: ReportParams) -> dict[str, Any]:
    return reports.profit_loss(books, p.date_from, p.date_to).as_dict()


def _general_ledger(books: Books, p: ReportParams) -> dict[str, Any]:
    account = _needed(p.account, "account", "account's code")
    return reports.account_ledger(books, account, p.date_from, p.date_to).as_dict()


def _aged_date(p: ReportParams) -> dt.date | None:
    if p.date is not None and p.date < EARLIEST_AGED:
        raise BooksyncError(f"date: {p.date.isoformat()} is too early to age items at: the "
                            f"first day is {EARLIEST_AGED.isoformat()}")
    return p.date


def _aged_receivables(books: Books, p: ReportParams) -> dict[str, Any]:
    data: dict[str, Any] = as_json(reports.aged_receivable(books, _aged_date(p)))
    return data


def _aged_payables(books: Books, p: ReportParams) -> dict[str, Any]:
    data: dict[str, Any] = as_json(reports.aged_payable(books, _aged_date(p)))
    return data


def _bank_reconciliation(books: Books, p: ReportParams) -> dict[str, Any]:
    journal = _needed(p.journal, "journal", "bank journal's code")
    data: dict[str, Any] = as_json(reports.bank_reconciliation(books, journal))
    return data


READERS: dict[str, Callable[[Books, ReportParams], dict[str, Any]]] = {
    "trial-balance": _trial_balance,
    "balance-sheet": _balance_sheet,
    "profit-and-loss": _profit_and_loss,
    "general-ledger": _general_ledger,
    "aged-receivables": _aged_receivables,
    "aged-payables": _aged_payables,
    "bank-reconciliation": _bank_reconciliation,
}
SLUGS = tuple(READERS)


def report_data(books: Books, slug: str, params: ReportParams) -> dict[str, Any]:
    """Report ``slug`` as ``booksync report ... --json`` prints it."""
    reader = READERS.get(slug)
    if reader is None:
        raise BooksyncError(f"no report named {shown(slug)}", code="not_found")
    return reader(books, params)


Allowed = Annotated[Caller, Depends(need(Permission.READ))]
DateFrom = Annotated[str | None, Query(description="First day, YYYY-MM-DD (default: the "
                                       "books' start).", max_length=40)]
DateTo = Annotated[str | None, Query(description="Last day, YYYY-MM-DD (default: no end).",
                                     max_length=40)]
AsOf = Annotated[str | None, Query(description="At the end of this day, YYYY-MM-DD "
                                   "(default: today).", max_length=40)]


def _answer(request: Request, caller: Caller, slug: str, params: ReportParams
            ) -> dict[str, Any]:
    with opened(request, caller) as books:
        return report_data(books, slug, params)


@router.get("/trial-balance", summary="Trial balance")
def trial_balance(request: Request, caller: Allowed, date_from: DateFrom = None,
                  date_to: DateTo = None, company: CompanyQuery = None) -> dict[str, Any]:
    """Debit, credit and balance of each account moved in the period (`booksync report
    trial-balance --json`)."""
    params = ReportParams.read(date_from=date_from, date_to=date_to)
    return _answer(request, caller, "trial-balance", params)


@router.get("/balance-sheet", summary="Balance sheet")
def balance_sheet(request: Request, caller: Allowed, date: AsOf = None,
                  company: CompanyQuery = None) -> dict[str, Any]:
    """Assets, liabilities, equity and the current result at the end of a day
    (`booksync report balance-sheet --json`)."""
    return _answer(request, caller, "balance-sheet", ReportParams.read(date=date))


@router.get("/profit-and-loss", summary="Profit and loss")
def profit_and_loss(request: Request, caller: Allowed, date_from: DateFrom = None,
                    date_to: DateTo = None, company: CompanyQuery = None) -> dict[str, Any]:
    """Income and expenses of the period and the net result (`booksync report
    profit-loss --json`)."""
    params = ReportParams.read(date_from=date_from, date_to=date_to)
    return _answer(request, caller, "profit-and-loss", params)


@router.get("/general-ledger", summary="General ledger of one account")
def general_ledger(
    request: Request,
    caller: Allowed,
    account: Annotated[str, Query(description="The account's code.", max_length=128)],
    date_from: DateFrom = None,
    date_to: DateTo = None,
    company: CompanyQuery = None,
) -> dict[str, Any]:
    """Every posted line of the account in the period with its opening and running
    balance (`booksync report ledger ACCOUNT --json`)."""
    params = ReportParams.read(account=account, date_from=date_from, date_to=date_to)
    return _answer(request, caller, "general-ledger", params)


@router.get("/aged-receivables", summary="Aged receivables")
def aged_receivables(request: Request, caller: Allowed, date: AsOf = None,
                     company: CompanyQuery = None) -> dict[str, Any]:
    """What each customer owes at the end of a day, by days past due (`booksync report
    aged-receivable --json`)."""
    return _answer(request, caller, "aged-receivables", ReportParams.read(date=date))


@router.get("/aged-payables", summary="Aged payables")
def aged_payables(request: Request, caller: Allowed, date: AsOf = None,
                  company: CompanyQuery = None) -> dict[str, Any]:
    """What the company owes each vendor at the end of a day, by days past due
    (`booksync report aged-payable --json`)."""
    return _answer(request, caller, "aged-payables", ReportParams.read(date=date))


@router.get("/bank-reconciliation", summary="Bank reconciliation")
def bank_reconciliation(
    request: Request,
    caller: Allowed,
    journal: Annotated[str, Query(description="The bank journal's code, e.g. BNK1.",
                                  max_length=16)],
    company: CompanyQuery = None,
) -> dict[str, Any]:
    """Book balance, the bank's last balance, unreconciled statement lines and payments
    not yet seen on the bank (`booksync report bank-reconciliation --json`)."""
    return _answer(request, caller, "bank-reconciliation", ReportParams.read(journal=journal))
