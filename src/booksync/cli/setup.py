"""``booksync init``: create or upgrade the schema, and the first company."""

from __future__ import annotations

import typer
from sqlalchemy import select

from booksync.app.companies import create_company
from booksync.cli.context import state, transaction
from booksync.cli.output import say
from booksync.db.migrate import upgrade
from booksync.ledger.companies import ensure_currencies
from booksync.ledger.models import Company


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
    sandbox (:mod:`booksync.cli.sandbox_catalogue`).
    """
    state(ctx).creates = True
    upgrade(state(ctx).engine)
    name = company or state(ctx).company
    with transaction(ctx) as session:
        ensure_currencies(session)
        if name is None:
            say("database is up to date")
            return
        existing = session.scalar(select(Company).where(Company.name == name))
        if existing is None:
            create_company(session, name, currency, country)
            say(f"created company {name} ({currency.upper()})")
        else:
            say(f"company {name} exists ({existing.currency_code})")
