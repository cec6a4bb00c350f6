"""``booksync currency``: currencies and exchange rates."""

from __future__ import annotations

import datetime as dt

import typer
from sqlalchemy import select

from booksync.cli.context import books, transaction
from booksync.cli.entries import parse_date
from booksync.cli.output import emit_json, say, table
from booksync.ledger.companies import ensure_currencies
from booksync.ledger.models import Currency
from booksync.ledger.rates import list_rates, set_rate

currency_app = typer.Typer(help="Currencies and exchange rates.", no_args_is_help=True)
rate_app = typer.Typer(help="Exchange rates to the company currency.", no_args_is_help=True)
currency_app.add_typer(rate_app, name="rate")
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(currency_app, name="currency")


@currency_app.command("list")
def currency_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the known currencies with their number of decimals (ISO 4217)."""
    with transaction(ctx) as session:
        ensure_currencies(session)
        rows = [
            {"code": c.code, "name": c.name, "decimals": c.exponent}
            for c in session.scalars(select(Currency).order_by(Currency.code))
        ]
    if as_json:
        emit_json(rows)
        return
    table("Currencies", ["Code", "Name", "Decimals"], [tuple(r.values()) for r in rows])


@rate_app.command("set")
def rate_set(
    ctx: typer.Context,
    currency: str = typer.Argument(..., help="Foreign currency code, e.g. USD."),
    rate: str = typer.Argument(..., help="Company-currency units for one unit of it."),
    date: str | None = typer.Option(None, "--date", help="Day of the rate (default today)."),
) -> None:
    """Record the exchange rate of a currency on a day."""
    day = parse_date(date, "--date") if date else dt.date.today()
    with books(ctx) as (session, company):
        row = set_rate(session, company, currency, day, rate)
        say(f"1 {row.currency_code} = {row.rate} {company.currency_code} on {day}")


@rate_app.command("list")
def rate_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the recorded exchange rates."""
    with books(ctx) as (session, company):
        rows = [
            {"currency": r.currency_code, "date": r.date.isoformat(), "rate": r.rate}
            for r in list_rates(session, company)
        ]
    if as_json:
        emit_json(rows)
        return
    table("Exchange rates", ["Currency", "Date", "Rate"], [tuple(r.values()) for r in rows])
