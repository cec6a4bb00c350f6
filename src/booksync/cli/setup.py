"""``booksync init``: create or upgrade the schema, and the first company.

A thin adapter over :mod:`booksync.app.setup`, imported when ``init`` runs
(docs/architecture.md, "Command line").
"""

from __future__ import annotations

import typer

from booksync.cli.context import state
from booksync.cli.output import say


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    ctx: typer.Context,
    company: str | None = typer.Option(None, "--company", help="Company to create."),
    currency: str = typer.Option("EUR", "--currency", help="Company currency (ISO 4217)."),
    country: str = typer.Option("DE", "--country", help="Company country (ISO 3166)."),
) -> None:
    """Create or upgrade the database; create the company if it is new. Idempotent.

    The institutions catalogue starts empty: connecting a bank adds its
    institution, and the sandbox bank's fictional ones come only with the
    sandbox (:mod:`booksync.app.sandbox_catalogue`).
    """
    from booksync.app.setup import initialize

    chosen = state(ctx)
    chosen.creates = True
    done = initialize(chosen.engine, company or chosen.company, currency, country)
    if done.company is None:
        say("database is up to date")
    elif done.created:
        say(f"created company {done.company} ({done.currency})")
    else:
        say(f"company {done.company} exists ({done.currency})")
