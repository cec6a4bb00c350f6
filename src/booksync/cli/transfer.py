"""``booksync export|import``: other ledgers' file formats.

A thin adapter over :mod:`booksync.app.transfer`, imported when a command
runs (docs/architecture.md, "Command line").
"""

from __future__ import annotations

from pathlib import Path

import typer

from booksync.cli.context import opened, state
from booksync.cli.output import say

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
    from booksync.app.context import open_books
    from booksync.app.transfer import export_beancount

    chosen = state(ctx)
    partial = file.with_name(file.name + ".partial")
    try:
        with open_books(chosen.engine, chosen.company) as opened, partial.open(
            "w", encoding="utf-8", newline="\n"
        ) as out:
            count = export_beancount(opened, out)
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
    from booksync.app.transfer import import_beancount

    with opened(ctx) as books:
        summary = import_beancount(books, file)
    say(
        f"imported {summary.entries_imported} entries from {file} "
        f"({summary.accounts_created} new accounts, {summary.partners_created} new partners"
        + (f", {summary.accounts_closed} accounts closed" if summary.accounts_closed else ""
    )
        + ")"
    )
