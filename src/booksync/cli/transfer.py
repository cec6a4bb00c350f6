"""``booksync export|import``: other ledgers' file formats."""

from __future__ import annotations

from pathlib import Path

import typer

from booksync.cli.context import books
from booksync.cli.output import say
from booksync.formats.beancount_export import export_beancount

export_app = typer.Typer(help="Write the books in another ledger's format.", no_args_is_help=True)
import_app = typer.Typer(help="Read another ledger's books.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")


@export_app.command("beancount")
def export_beancount_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Beancount file to write (replaced if it exists)."),
) -> None:
    """Write the posted books as a Beancount v3 file that bean-check accepts.

    The file is written beside its final name and renamed at the end, so a
    failed export never leaves half a ledger where a whole one was.
    """
    partial = file.with_name(file.name + ".partial")
    try:
        with books(ctx) as (session, company), partial.open(
            "w", encoding="utf-8", newline="\n"
        ) as out:
            count = export_beancount(session, company, out)
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)
    say(f"exported {count} transactions to {file}")


@import_app.command("beancount")
def import_beancount_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Beancount file to read."),
) -> None:
    """Book a Beancount ledger as posted entries in journal MISC: all of it, or nothing."""
    # Beancount itself is imported here: it is not needed to start any other command.
    from booksync.formats.beancount_import import import_beancount

    with books(ctx) as (session, company):
        summary = import_beancount(session, company, file)
    say(
        f"imported {summary.entries_imported} entries from {file} "
        f"({summary.accounts_created} new accounts, {summary.partners_created} new partners"
        + (f", {summary.accounts_closed} accounts closed" if summary.accounts_closed else ""
    )
        + ")"
    )
