"""``booksync currency``: currencies and exchange rates.

A thin adapter over :mod:`booksync.app.currencies`, imported when a command
runs (docs/architecture.md, "Command line").
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import typer

from booksync.cli.context import opened, state
from booksync.cli.dates import parse_date
from booksync.cli.output import emit_json, say, table

if TYPE_CHECKING:
    from booksync.app.currencies import RatesRecorded

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


CURRENCY = typer.Option(
    None, "--currency", help="Only this currency (repeat for more; default: those the "
    "company uses: its journals', bank accounts', documents' and recorded rates')."
)


def _recorded(done: RatesRecorded, as_json: bool) -> None:
    """An import's or a fetch's result: JSON, or a sentence and the rates kept."""
    from booksync.app.shapes import as_json as shaped

    if as_json:
        emit_json(shaped(done))
        return
    if done.not_quoted:
        say(f"the ECB publishes no rates for {', '.join(done.not_quoted)}", err=True)
    if not done.currencies:
        say("no ECB rates recorded: the company uses no foreign currency the ECB publishes "
            "(name one with --currency)")
        return
    span = f"{done.first}..{done.last}" if done.first else "no ECB day"
    say(
        f"ECB rates in {done.company_currency} for {', '.join(done.currencies)}, {span}: "
        f"{done.written} recorded, {done.unchanged} already there, "
        f"{len(done.kept)} kept as recorded"
    )
    if done.kept:
        table(
            "Rates kept (they differ from the ECB's)",
            ["Currency", "Date", "Rate", "ECB"],
            [(k.currency, k.date, k.rate, k.source_rate) for k in done.kept],
        )


@rate_app.command("import")
def rate_import(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="Where the rates come from: ecb."),
    start: str | None = typer.Option(
        None, "--from", help="First day (YYYY-MM-DD; default: one year back)."
    ),
    currency: list[str] | None = CURRENCY,
    as_json: bool = JSON,
) -> None:
    """Record the ECB's reference rates bundled with booksync as the company's rates."""
    from booksync.app.currencies import import_ecb
    from booksync.errors import BooksyncError
    from booksync.rates.source import ECB

    if source.strip().lower() != ECB:
        raise BooksyncError(f"unknown rate source {source!r} to import: choose {ECB}")
    first = parse_date(start, "--from") if start else None
    if first is not None:
        _within_history(first)
    with opened(ctx) as books:
        done = import_ecb(books, first, currency or ())
    _recorded(done, as_json)


def _within_history(first: dt.date) -> None:
    """Refuse a ``--from`` after the bundled history's last day: nothing could be recorded,
    and the rates of those days come from the feed."""
    from booksync.errors import BooksyncError
    from booksync.rates.ecb import bundled

    last = bundled().last
    if last is not None and first > last:
        raise BooksyncError(
            f"--from {first.isoformat()} is after the last day of the bundled ECB rates "
            f"({last.isoformat()}): fetch newer ones with `booksync currency rate fetch`"
        )


@rate_app.command("fetch")
def rate_fetch(
    ctx: typer.Context,
    url: str | None = typer.Option(
        None, "--url", help="The feed (default: the ECB's daily eurofxref-daily.xml)."
    ),
    currency: list[str] | None = CURRENCY,
    as_json: bool = JSON,
) -> None:
    """Fetch the ECB's daily reference rates and record them as the company's rates."""
    from booksync.app.currencies import fetch_ecb

    chosen = state(ctx)
    _recorded(fetch_ecb(chosen.engine, chosen.company, url, currency or ()), as_json)


@rate_app.command("source")
def rate_source(
    ctx: typer.Context,
    source: str | None = typer.Argument(
        None, help="ecb (missing rates come from the ECB) or none; omit it to show the source."
    ),
    as_json: bool = JSON,
) -> None:
    """Show or set where a missing exchange rate comes from."""
    from booksync.app.currencies import rate_source as current
    from booksync.app.currencies import set_rate_source
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        view = current(books) if source is None else set_rate_source(books, source)
    if as_json:
        emit_json(shaped(view))
        return
    say(f"rate source: {view.rate_source or 'none'}")
