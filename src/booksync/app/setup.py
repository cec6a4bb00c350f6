"""Setting up: create or upgrade the database, and the first company; typed result.

:func:`initialize` takes the engine, not an open
:class:`~booksync.app.context.Books`: the database may not be initialised
yet, and there may be no company at all.  Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from booksync.app.companies import create_company
from booksync.db.engine import session_factory
from booksync.db.migrate import upgrade
from booksync.ledger.companies import ensure_currencies
from booksync.ledger.models import Company

__all__ = ["Initialized", "initialize"]


@dataclass(frozen=True, slots=True)
class Initialized:
    """The database is up to date; ``company`` (None when none was asked for) in
    ``currency`` exists, made now when ``created``."""

    company: str | None
    currency: str | None
    created: bool


def initialize(
    engine: Engine, company: str | None, currency: str = "EUR", country: str = "DE"
) -> Initialized:
    """Create or upgrade the schema and load the currencies; then create
    ``company`` (with the generic chart, journals, taxes and rules) unless it
    exists."""
    upgrade(engine)
    with session_factory(engine).begin() as session:
        ensure_currencies(session)
        if company is None:
            return Initialized(None, None, created=False)
        existing = session.scalar(select(Company).where(Company.name == company))
        if existing is not None:
            return Initialized(company, existing.currency_code, created=False)
        made = create_company(session, company, currency, country)
        return Initialized(company, made.currency_code, created=True)
