"""``booksync institution`` and ``booksync bank-account``: where money is kept.

The institutions catalogue is what "Add a bank account" searches before
offering **Connect**; ``bank-account create`` is its "Create it" form for a
bank that is not in the list or not online (number, bank, BIC, journal).
A new database's catalogue is empty: connections fill it.

A thin adapter over :mod:`booksync.app.banking`, imported when a command
runs (docs/architecture.md, "Command line").
"""

from __future__ import annotations

from typing import Any

import typer

from booksync.cli.context import opened, state
from booksync.cli.output import emit_json, say, table

institution_app = typer.Typer(help="The catalogue of banks to connect to.", no_args_is_help=True)
bank_account_app = typer.Typer(help="Bank accounts entered by hand.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")
EMPTY_CATALOGUE = (
    "the institutions catalogue is empty: connecting a bank adds its institution "
    "(`booksync connect simplefin SETUP_TOKEN`; the sandbox bank's come with "
    "`booksync demo` or a token from `booksync sandbox serve`); add any other bank "
    "with `booksync bank-account create`"
)


def register(app: typer.Typer) -> None:
    app.add_typer(institution_app, name="institution")
    app.add_typer(bank_account_app, name="bank-account")


@institution_app.command("list")
def institution_list(
    ctx: typer.Context,
    search: str | None = typer.Option(None, "--search", help="Part of the name or BIC."),
    country: str | None = typer.Option(None, "--country", help="ISO 3166 country code, e.g. DE."),
    as_json: bool = JSON,
) -> None:
    """List the institutions booksync can connect to, by name."""
    from booksync.app.banking import institutions
    from booksync.app.shapes import as_json as shaped

    listed = institutions(state(ctx).engine, search, country)
    rows: list[dict[str, Any]] = shaped(listed.found)
    empty = listed.catalogue_empty
    if as_json:
        emit_json(rows)
        return
    if empty:
        say(EMPTY_CATALOGUE)
        return
    if not rows:
        say("no institution matches: add your bank with `booksync bank-account create`")
        return
    table(
        "Institutions",
        ["Name", "BIC", "Country", "Provider", "Online sync", "Id"],
        [
            (
                r["name"],
                r["bic"],
                r["country"],
                r["provider"],
                "yes" if r["online_sync"] else "no",
                r["id"],
            )
            for r in rows
        ],
    )


@bank_account_app.command("create")
def bank_account_create(
    ctx: typer.Context,
    account_number: str = typer.Option(
        ..., "--account-number", help="IBAN (checked) or any other account number."
    ),
    bank: str = typer.Option(..., "--bank", help="Bank name (found, or added)."),
    bic: str | None = typer.Option(None, "--bic", help="Bank Identifier Code (checked)."),
    journal: str | None = typer.Option(
        None, "--journal", help="Existing bank journal (default: a new one)."
    ),
    currency: str | None = typer.Option(
        None, "--currency", help="Account currency (default: the company's)."
    ),
    as_json: bool = JSON,
) -> None:
    """Create a bank account by hand, with a new bank journal unless --journal names one."""
    from booksync.app.banking import add_bank_account
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        made = add_bank_account(
            books, account_number, bank, bic=bic, journal=journal, currency=currency
        )
    data: dict[str, Any] = shaped(made)
    if as_json:
        emit_json(data)
        return
    how = "a new journal" if made.new_journal else "journal"
    bic_text = f" ({data['bic']})" if data["bic"] else ""
    say(
        f"created bank account {data['account_number']} at {data['bank']}{bic_text} "
        f"in {data['currency']}, booked in {how} {data['journal']}"
    )
