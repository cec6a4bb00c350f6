"""``booksync company``: the company and the day its books are closed up to.

A thin adapter over :mod:`booksync.app.companies`, imported when a command
runs (docs/architecture.md, "Command line"; docs/ledger.md, "Closing a period").
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer

from booksync.cli.context import opened
from booksync.cli.dates import parse_date
from booksync.cli.output import emit_json, say

if TYPE_CHECKING:
    from booksync.app.companies import CompanyView

company_app = typer.Typer(help="The company and its closed periods.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")
REOPEN = typer.Option(False, "--reopen", help="Allow reopening a closed period.")


def register(app: typer.Typer) -> None:
    app.add_typer(company_app, name="company")


def _shown(view: CompanyView, as_json: bool) -> None:
    from booksync.app.shapes import as_json as shaped

    if as_json:
        emit_json(shaped(view))
        return
    closed = (f"closed up to {view.lock_date.isoformat()}" if view.lock_date
              else "no period closed")
    say(f"{view.name} ({view.currency}, {view.country}): {closed}")


@company_app.command("show")
def company_show(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Show the company: its currency, country and lock date."""
    from booksync.app.companies import company_view

    with opened(ctx) as books:
        view = company_view(books)
    _shown(view, as_json)


@company_app.command("lock")
def company_lock(
    ctx: typer.Context,
    date: str = typer.Argument(..., help="Last day of the closed period (YYYY-MM-DD)."),
    reopen: bool = REOPEN,
    as_json: bool = JSON,
) -> None:
    """Close the books up to a day: nothing is posted on or before it any more."""
    from booksync.app.companies import lock

    day = parse_date(date, "DATE")
    with opened(ctx) as books:
        view = lock(books, day, today=dt.date.today(), reopen=reopen)
    _shown(view, as_json)


@company_app.command("unlock")
def company_unlock(ctx: typer.Context, reopen: bool = REOPEN, as_json: bool = JSON) -> None:
    """Open every closed period again (needs --reopen)."""
    from booksync.app.companies import lock

    with opened(ctx) as books:
        view = lock(books, None, today=dt.date.today(), reopen=reopen)
    _shown(view, as_json)
