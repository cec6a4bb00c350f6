"""What every command needs: the database, the chosen company, a transaction.

A command runs in one transaction: on any error nothing it did is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from booksync.db.engine import DatabaseUnavailable, make_engine, session_factory
from booksync.ledger.companies import find_company
from booksync.ledger.models import Company


@dataclass
class AppState:
    """The global options; ``creates`` is set by ``init``, the one command that may
    create the database (every other one needs it to exist and be initialised)."""

    db: str | None = None
    company: str | None = None
    creates: bool = False
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if self.db is not None and not self.db.strip():
                raise DatabaseUnavailable("--db is empty")
            self._engine = make_engine(self.db, must_exist=not self.creates)
        return self._engine


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


@contextmanager
def transaction(ctx: typer.Context) -> Iterator[Session]:
    """A session whose work is committed only if the block ends without error."""
    with session_factory(state(ctx).engine).begin() as session:
        yield session


@contextmanager
def books(ctx: typer.Context) -> Iterator[tuple[Session, Company]]:
    """A transaction and the company the command is about."""
    with transaction(ctx) as session:
        yield session, find_company(session, state(ctx).company)
