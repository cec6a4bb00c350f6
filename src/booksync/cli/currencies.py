"""``booksync currency``: currencies and exchange rates.

A thin adapter over :mod:`booksync.app.currencies`, imported when a command
runs (docs/architecture.md, "Command line").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from booksync.cli.context import opened, state
from booksync.cli.dates import parse_date
from booksync.cli.output import emit_json, say, table

currency_app = typer.Typer(help="Currencies and exchange rates.", no_args_is_help=True)
rate_app = typer.Typer(help="Exchange rates to the company currency.", no_args_is_help=True)
currency_app.add_typer(rate_app, name="rate")
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(currency_app, name="currency")


@currency_app.command("list")
def currency_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the known currencies with their number of decimals (ISO 4217)."""
    from booksync.app.currencies import currencies
    from booksync.app.shapes import as_json as shaped

    rows: list[dict[str, Any]] = shaped(currencies(state(ctx).engine))
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
    from booksync.app.currencies import record_rate

    day = parse_date(date, "--date") if date else dt.date.today()
    with opened(ctx) as books:
        done = record_rate(books, currency, day, rate)
    say(f"1 {done.rate.currency} = {done.rate.rate} {done.company_currency} on {day}")


@rate_app.command("list")
def rate_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the recorded exchange rates."""
    from booksync.app.currencies import rates
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        rows: list[dict[str, Any]] = shaped(rates(books))
    if as_json:
        emit_json(rows)
        return
    table("Exchange rates", ["Currency", "Date", "Rate"], [tuple(r.values()) for r in rows])
