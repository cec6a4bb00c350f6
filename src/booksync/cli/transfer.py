"""``booksync export|import``: other ledgers' file formats."""

from __future__ import annotations

import typer

export_app = typer.Typer(help="Write the books in another ledger's format.", no_args_is_help=True)
import_app = typer.Typer(help="Read another ledger's books.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
