"""Reports: trial balance, balance sheet, profit and loss, general ledger, aged
receivables and payables, bank reconciliation, as pages and as CSV files.

Each page reads its report with :func:`booksync.web.api.reports.report_data`
(the API's JSON, ``booksync report ... --json``) and lays that out as
tables; ``?format=csv`` writes the same tables, so what a person sees, what
they download and what a program reads are the one set of figures
(docs/web.md, "Reports").  Amounts stay decimal text from the database to
the file, never floats.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from booksync.app.context import Books
from booksync.app.masterdata import accounts, journals
from booksync.app.reports import OutstandingPaymentsView, outstanding_payments
from booksync.errors import BooksyncError
from booksync.users.roles import Permission
from booksync.web.api.reports import ReportParams, report_data
from booksync.web.auth import Caller, need
from booksync.web.companies import opened
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

__all__ = ["REPORTS", "csv_text", "router"]


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    about: str
    fields: tuple[str, ...]  # the options its form asks for


REPORTS = {
    "trial-balance": Report("Trial balance", "Debit, credit and balance of each account "
                            "moved in a period.", ("date_from", "date_to")),
    "balance-sheet": Report("Balance sheet", "Assets, liabilities and equity at the end of "
                            "a day.", ("date",)),
    "profit-and-loss": Report("Profit and loss", "Income, expenses and the net result of a "
                              "period.", ("date_from", "date_to")),
    "general-ledger": Report("General ledger", "Every posted line of one account with its "
                             "running balance.", ("account", "date_from", "date_to")),
    "aged-receivables": Report("Aged receivables", "What each customer owes, by days past "
                               "due.", ("date",)),
    "aged-payables": Report("Aged payables", "What is owed to each vendor, by days past "
                            "due.", ("date",)),
    "bank-reconciliation": Report("Bank reconciliation", "Books against bank: balances, "
                                  "unreconciled lines, payments not yet on the bank.",
                                  ("journal",)),
}


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str


Cell = str | int | Decimal | Link | None


@dataclass(slots=True)
class Table:
    """Rows under ``columns``; ``amounts``: the columns of numbers (right-aligned),
    ``totals``: the indexes of total rows (in bold).  ``facts`` tables are figure and
    value pairs, shown as a list on the page."""

    heading: str | None
    columns: tuple[str, ...]
    amounts: frozenset[int] = frozenset()
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    totals: set[int] = field(default_factory=set)
    facts: bool = False

    def add(self, *cells: Cell, total: bool = False) -> None:
        if total:
            self.totals.add(len(self.rows))
        self.rows.append(cells)


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _facts(*pairs: tuple[str, Cell]) -> Table:
    table = Table(None, ("Figure", "Value"), frozenset({1}), facts=True)
    for pair in pairs:
        table.add(*pair)
    return table


def _ledger_link(code: str, params: ReportParams) -> Link:
    query = {"account": code, "date_from": params.date_from or "",
             "date_to": params.date_to or ""}
    return Link(code, "/reports/general-ledger?" + urlencode(query))


def _trial_balance(data: dict[str, Any], params: ReportParams) -> list[Table]:
    table = Table(None, ("Account", "Name", "Debit", "Credit", "Balance"), frozenset({2, 3, 4}))
    for r in data["rows"]:
        table.add(_ledger_link(r["account"], params), r["name"], _d(r["debit"]),
                  _d(r["credit"]), _d(r["balance"]))
    table.add("", "Total", _d(data["total_debit"]), _d(data["total_credit"]), None,
              total=True)
    return [table]


def _section(heading: str, section: dict[str, Any], params: ReportParams) -> Table:
    table = Table(heading, ("Account", "Name", "Balance"), frozenset({2}))
    for r in section["rows"]:
        table.add(_ledger_link(r["account"], params), r["name"], _d(r["balance"]))
    table.add("", f"Total {heading.lower()}", _d(section["total"]), total=True)
    return table


def _balance_sheet(data: dict[str, Any], params: ReportParams) -> list[Table]:
    return [
        _section("Assets", data["assets"], params),
        _section("Liabilities", data["liabilities"], params),
        _section("Equity", data["equity"], params),
        _facts(("Total assets", _d(data["total_assets"])),
               ("Current result", _d(data["current_result"])),
               ("Total liabilities and equity", _d(data["total_liabilities_and_equity"])),
               ("Balanced", "yes" if data["balanced"] else "no")),
    ]


def _profit_and_loss(data: dict[str, Any], params: ReportParams) -> list[Table]:
    return [
        _section("Income", data["income"], params),
        _section("Expenses", data["expenses"], params),
        _facts(("Net result", _d(data["net_result"]))),
    ]


def _general_ledger(data: dict[str, Any], params: ReportParams) -> list[Table]:
    table = Table(f"{data['account']} {data['name']}",
                  ("Date", "Entry", "Journal", "Label", "Partner", "Debit", "Credit",
                   "Balance"), frozenset({5, 6, 7}))
    for ln in data["lines"]:
        entry = (Link(ln["entry"], "/entries?" + urlencode({"number": ln["entry"]}))
                 if ln["entry"] else None)
        table.add(ln["date"], entry, ln["journal"], ln["label"] or ln["ref"], ln["partner"],
                  _d(ln["debit"]), _d(ln["credit"]), _d(ln["balance"]))
    return [_facts(("Opening balance", _d(data["opening_balance"])),
                   ("Closing balance", _d(data["closing_balance"]))), table]


AGED = ("Current", "1-30", "31-60", "61-90", "Over 90", "Total")
AGED_KEYS = ("current", "1-30", "31-60", "61-90", "over_90", "total")


def _aged(data: dict[str, Any], params: ReportParams) -> list[Table]:
    table = Table(None, ("Partner", *AGED), frozenset(range(1, 7)))
    for r in data["partners"]:
        table.add(r["partner"] or "(no partner)", *(_d(r[k]) for k in AGED_KEYS))
    table.add("Total", *(_d(data["total"][k]) for k in AGED_KEYS), total=True)
    return [table]


def _bank_reconciliation(data: dict[str, Any], pending: OutstandingPaymentsView
                         ) -> list[Table]:
    bank: Cell = _d(data["bank_balance"])
    facts = _facts(
        ("Balance in the books", _d(data["book_balance"])),
        ("Bank's last balance", bank if bank is not None else "unknown"),
        ("Bank's balance date", data["bank_balance_date"] or "none reported"),
        ("Unreconciled lines", int(data["unreconciled_lines"])),
        ("Unreconciled total", _d(data["unreconciled_total"])),
        ("Outstanding payments", _d(data["outstanding_payments"])),
    )
    table = Table("Payments not yet seen on the bank",
                  ("Id", "Date", "Partner", "Direction", "Ref", "Entry", "Amount", "Open"),
                  frozenset({0, 6, 7}))
    for p in pending.payments:
        entry = Link(p.entry, "/entries?" + urlencode({"number": p.entry})) if p.entry else None
        table.add(p.id, p.date.isoformat(), p.partner, p.direction, p.ref, entry, p.amount,
                  p.open)
    return [facts, table]


BUILDERS = {
    "trial-balance": _trial_balance,
    "balance-sheet": _balance_sheet,
    "profit-and-loss": _profit_and_loss,
    "general-ledger": _general_ledger,
    "aged-receivables": _aged,
    "aged-payables": _aged,
}

UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(cell: Cell) -> str:
    """A cell as CSV text: numbers as plain decimals; text that a spreadsheet would
    read as a formula (``=``, ``+``, ``-``, ``@``) behind a quote, so it stays text."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, int):
        return str(cell)
    text = cell.text if isinstance(cell, Link) else cell
    return "'" + text if text.startswith(UNSAFE_START) else text


def csv_text(tables: list[Table]) -> str:
    """The tables one after another, each under its heading (when it has one) and its
    columns, a blank row between two."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for n, table in enumerate(tables):
        if n:
            writer.writerow([])
        if table.heading:
            writer.writerow([_csv_cell(table.heading)])
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([_csv_cell(c) for c in row])
    return out.getvalue()


def _filename(slug: str, params: ReportParams) -> str:
    parts = [slug] + [
        str(v) for v in (params.account, params.journal, params.date, params.date_from,
                         params.date_to) if v
    ]
    name = "_".join(parts)
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-"
                   for ch in name) + ".csv"


Allowed = Annotated[Caller, Depends(need(Permission.READ))]
Text = Annotated[str | None, Query(max_length=40)]
Code = Annotated[str | None, Query(max_length=128)]


@router.get("/reports")
def reports_index(request: Request, caller: Allowed) -> Response:
    return page(request, caller, "reports.html", active="reports", title="Reports",
                reports=REPORTS)


@router.get("/reports/{slug}")
def report_page(
    request: Request,
    caller: Allowed,
    slug: str,
    format: Annotated[str | None, Query(max_length=10)] = None,
    date: Text = None,
    date_from: Text = None,
    date_to: Text = None,
    account: Code = None,
    journal: Code = None,
) -> Response:
    """A report's form and tables; ``?format=csv`` downloads the tables instead."""
    report = REPORTS.get(slug)
    if report is None:
        raise BooksyncError(f"There is no report named {slug[:40]!r}.", code="not_found")
    tables: list[Table] = []
    data: dict[str, Any] | None = None
    error: str | None = None
    currency: str | None = None
    params = ReportParams()
    with opened(request, caller) as books:
        choices = _choices(books, slug)
        try:
            params = ReportParams.read(date=date, date_from=date_from, date_to=date_to,
                                       account=account, journal=journal)
            if slug == "bank-reconciliation" and params.journal is None and choices:
                params = ReportParams(journal=choices[0][0])
            if params.account or params.journal or slug not in (
                    "general-ledger", "bank-reconciliation"):
                data = report_data(books, slug, params)
                currency = data.get("currency")
                if slug == "bank-reconciliation":
                    assert params.journal is not None
                    pending = outstanding_payments(books, params.journal)
                    tables, currency = _bank_reconciliation(data, pending), pending.currency
                else:
                    tables = BUILDERS[slug](data, params)
        except BooksyncError as exc:
            if format == "csv":
                raise
            error = str(exc)
    if format == "csv":
        if data is None:
            raise BooksyncError(f"{report.title}: choose the {report.fields[0]} first.")
        return Response(csv_text(tables), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{_filename(slug, params)}"'})
    query = {k: v for k, v in (("date", params.date), ("date_from", params.date_from),
                               ("date_to", params.date_to), ("account", params.account),
                               ("journal", params.journal)) if v}
    given = {"date": date, "date_from": date_from, "date_to": date_to,
             "account": params.account or account, "journal": params.journal or journal}
    return page(request, caller, "report.html", active="reports", title=report.title,
                slug=slug, report=report, data=data, tables=tables, error=error,
                currency=currency,
                given=given, choices=choices,
                csv_href=f"/reports/{slug}?" + urlencode({**query, "format": "csv"}),
                status_code=422 if error else 200)


def _choices(books: Books, slug: str) -> list[tuple[str, str]]:
    """What the form's select offers: the accounts of the chart for the general ledger,
    the bank journals for the bank reconciliation."""
    if slug == "general-ledger":
        return [(a.code, f"{a.code} {a.name}") for a in accounts(books)]
    if slug == "bank-reconciliation":
        return [(j.code, f"{j.code} {j.name}") for j in journals(books) if j.type == "bank"]
    return []
