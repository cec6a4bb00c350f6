"""``booksync report``: trial balance, balance sheet, profit and loss, account ledger,
aged receivable and payable, partner ledger, bank reconciliation.

A thin adapter over :mod:`booksync.app.reports`, imported when a report runs
(docs/architecture.md, "Command line").  The demo prints its reports with the
``print_*`` functions here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from booksync.cli.context import opened, state
from booksync.cli.dates import parse_date
from booksync.cli.output import emit_json, say, table

report_app = typer.Typer(help="Reports on posted entries.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")
DATE_FROM = typer.Option(None, "--date-from", help="First day (YYYY-MM-DD).")
DATE_TO = typer.Option(None, "--date-to", help="Last day (YYYY-MM-DD).")
AMOUNTS = ["Debit", "Credit", "Balance"]


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _day(text: str | None, what: str) -> Any:
    return parse_date(text, what) if text else None


def print_trial_balance(data: dict[str, Any]) -> None:
    period = f"{data['date_from'] or 'start'} to {data['date_to'] or 'today'}"
    rows: list[tuple[Any, ...]] = [
        (r["account"], r["name"], r["debit"], r["credit"], r["balance"]) for r in data["rows"]
    ]
    rows.append(("", "Total", data["total_debit"], data["total_credit"], ""))
    table(
        f"Trial balance, {data['company']} ({data['currency']}), {period}",
        ["Account", "Name", *AMOUNTS],
        rows,
        right=AMOUNTS,
    )


def _period_report(
    ctx: typer.Context,
    build: Callable[..., Any],
    show: Callable[[dict[str, Any]], None],
    date_from: str | None,
    date_to: str | None,
    as_json: bool,
) -> None:
    """Run a report use case over [date_from, date_to] and print it as JSON or a table."""

    first, last = _day(date_from, "--date-from"), _day(date_to, "--date-to")
    with opened(ctx) as books:
        data: dict[str, Any] = build(books, first, last).as_dict()
    if as_json:
        emit_json(data)
    else:
        show(data)


@report_app.command("trial-balance")
def trial_balance(
    ctx: typer.Context,
    date_from: str | None = DATE_FROM,
    date_to: str | None = DATE_TO,
    as_json: bool = JSON,
) -> None:
    """Debit, credit and balance of each account in the period."""
    from booksync.app.reports import trial_balance as build

    _period_report(ctx, build, print_trial_balance, date_from, date_to, as_json)


def _section_rows(label: str, section: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [(r["account"], r["name"], r["balance"]) for r in section["rows"]]
    rows.append(("", f"Total {label}", section["total"]))
    return rows


def print_balance_sheet(data: dict[str, Any]) -> None:
    rows = _section_rows("assets", data["assets"])
    rows += _section_rows("liabilities", data["liabilities"])
    rows += _section_rows("equity", data["equity"])
    rows.append(("", "Current result", data["current_result"]))
    rows.append(("", "Total liabilities and equity", data["total_liabilities_and_equity"]))
    table(
        f"Balance sheet, {data['company']} ({data['currency']}) at {data['date'] or 'today'}",
        ["Account", "Name", "Balance"],
        rows,
        right=["Balance"],
    )


@report_app.command("balance-sheet")
def balance_sheet(
    ctx: typer.Context,
    date: str | None = typer.Option(None, "--date", help="At the end of this day."),
    as_json: bool = JSON,
) -> None:
    """Assets, liabilities, equity and the current result at a date."""
    from booksync.app.reports import balance_sheet as build

    day = _day(date, "--date")
    with opened(ctx) as books:
        data: dict[str, Any] = build(books, day).as_dict()
    if as_json:
        emit_json(data)
    else:
        print_balance_sheet(data)


def print_profit_loss(data: dict[str, Any]) -> None:
    rows = _section_rows("income", data["income"]) + _section_rows("expenses", data["expenses"])
    rows.append(("", "Net result", data["net_result"]))
    period = f"{data['date_from'] or 'start'} to {data['date_to'] or 'today'}"
    table(
        f"Profit and loss, {data['company']} ({data['currency']}), {period}",
        ["Account", "Name", "Amount"],
        rows,
        right=["Amount"],
    )


@report_app.command("profit-loss")
def profit_loss(
    ctx: typer.Context,
    date_from: str | None = DATE_FROM,
    date_to: str | None = DATE_TO,
    as_json: bool = JSON,
) -> None:
    """Income and expenses of the period and the net result."""
    from booksync.app.reports import profit_loss as build

    _period_report(ctx, build, print_profit_loss, date_from, date_to, as_json)


@report_app.command("ledger")
def ledger(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="Account code."),
    date_from: str | None = DATE_FROM,
    date_to: str | None = DATE_TO,
    as_json: bool = JSON,
) -> None:
    """Every posted line of one account with its running balance."""
    from booksync.app.reports import account_ledger

    first, last = _day(date_from, "--date-from"), _day(date_to, "--date-to")
    with opened(ctx) as books:
        data: dict[str, Any] = account_ledger(books, account, first, last).as_dict()
    if as_json:
        emit_json(data)
        return
    rows: list[tuple[Any, ...]] = [
        (ln["date"], ln["entry"], ln["label"] or ln["ref"], ln["partner"], ln["debit"],
         ln["credit"], ln["balance"])
        for ln in data["lines"]
    ]
    say(f"Opening balance {data['opening_balance']}")
    table(
        f"Ledger {data['account']} {data['name']} ({data['currency']})",
        ["Date", "Entry", "Label", "Partner", *AMOUNTS],
        rows,
        right=AMOUNTS,
    )


AGED = ["Current", "1-30", "31-60", "61-90", "Over 90", "Total"]
AGED_KEYS = ["current", "1-30", "31-60", "61-90", "over_90", "total"]


def _aged(ctx: typer.Context, payable: bool, date: str | None, as_json: bool) -> None:
    """Print the aged receivable (or payable) balances as JSON or a table."""
    from booksync.app import reports as app_reports
    from booksync.app.context import open_books
    from booksync.app.shapes import as_json as shaped

    day = _day(date, "--date")
    chosen = state(ctx)
    build = app_reports.aged_payable if payable else app_reports.aged_receivable
    with open_books(chosen.engine, chosen.company) as opened:
        data: dict[str, Any] = shaped(build(opened, day))
    if as_json:
        emit_json(data)
        return
    rows: list[tuple[Any, ...]] = [
        (r["partner"] or "(no partner)", *(r[k] for k in AGED_KEYS)) for r in data["partners"]
    ]
    rows.append(("Total", *(data["total"][k] for k in AGED_KEYS)))
    kind = "payable" if payable else "receivable"
    table(
        f"Aged {kind} ({data['currency']}) at {data['date']}, by days past due",
        ["Partner", *AGED],
        rows,
        right=AGED,
    )


DATE_AT = typer.Option(None, "--date", help="As of the end of this day (default: today).")


@report_app.command("aged-receivable")
def aged_receivable(ctx: typer.Context, date: str | None = DATE_AT, as_json: bool = JSON) -> None:
    """What each customer owes, by days past due."""
    _aged(ctx, False, date, as_json)


@report_app.command("aged-payable")
def aged_payable(ctx: typer.Context, date: str | None = DATE_AT, as_json: bool = JSON) -> None:
    """What is owed to each vendor, by days past due."""
    _aged(ctx, True, date, as_json)


@report_app.command("partner-ledger")
def partner_ledger(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Partner name."),
    as_json: bool = JSON,
) -> None:
    """Every posted line of one partner on receivable and payable accounts."""
    from booksync.app import reports as app_reports
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        data: dict[str, Any] = shaped(app_reports.partner_ledger(books, name))
    if as_json:
        emit_json(data)
        return
    rows: list[tuple[Any, ...]] = [
        (ln["date"], ln["entry"], ln["account"], ln["label"], ln["debit"], ln["credit"],
         ln["balance"], ln["residual"], "yes" if ln["reconciled"] else "")
        for ln in data["lines"]
    ]
    table(
        f"Partner ledger {data['partner']} ({data['currency']}), balance {data['balance']}",
        ["Date", "Entry", "Account", "Label", *AMOUNTS, "Residual", "Reconciled"],
        rows,
        right=[*AMOUNTS, "Residual"],
    )


@report_app.command("bank-reconciliation")
def bank_reconciliation(
    ctx: typer.Context,
    journal: str = typer.Option(..., "--journal", help="Bank journal code."),
    as_json: bool = JSON,
) -> None:
    """Books against bank: balances, unreconciled lines, payments not yet on the bank."""
    from booksync.app import reports as app_reports
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        data: dict[str, Any] = shaped(app_reports.bank_reconciliation(books, journal))
        pending = None if as_json else app_reports.outstanding_payments(books, journal)
    if pending is None:
        emit_json(data)
        return
    cur = pending.currency
    bank = (
        f"{data['bank_balance']} {cur} on {data['bank_balance_date']}"
        if data["bank_balance"] is not None
        else "unknown (no connection has reported one)"
    )
    count = data["unreconciled_lines"]
    say(f"Bank reconciliation of {data['journal']} ({cur})")
    say(f"  Balance in the books:    {data['book_balance']} {cur}")
    say(f"  Bank's last balance:     {bank}")
    say(f"  Unreconciled lines:      {count}, totalling {data['unreconciled_total']} {cur}")
    say(f"  Outstanding payments:    {data['outstanding_payments']} {cur}")
    if pending.payments:
        table(
            "Payments not yet seen on the bank",
            ["Id", "Date", "Partner", "Direction", "Ref", "Amount", "Open"],
            [
                (p.id, p.date.isoformat(), p.partner, p.direction, p.ref or "", p.amount, p.open)
                for p in pending.payments
            ],
            right=["Id", "Amount", "Open"],
        )
