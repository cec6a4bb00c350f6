"""The books a use case works on: one transaction of one company.

Every use case of the application layer takes a :class:`Books` first.  The
CLI opens one per command with :func:`open_books`; the web app will open one
per request the same way.  On any error nothing the use case did is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from booksync.db.engine import session_factory
from booksync.ledger.companies import find_company
from booksync.ledger.models import Company


@dataclass(frozen=True, slots=True)
class Books:
    """An open transaction and the company it is about."""

    session: Session
    company: Company


@contextmanager
def open_books(engine: Engine, company: str | None) -> Iterator[Books]:
    """A transaction committed only if the block ends without error, on ``company``
    (the only one when None)."""
    with session_factory(engine).begin() as session:
        yield Books(session, find_company(session, company))
