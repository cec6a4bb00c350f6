"""What every command needs: the database and the chosen company.

A command opens its transaction with :func:`booksync.app.context.open_books`
(docs/architecture.md, "Application layer"): on any error nothing it did is kept.

SQLAlchemy, the engine and the ORM models are imported when a command first
asks for them, not with this module: the global options are read by every
command, ``--help`` included, and most of a short command's time was those
imports (docs/architecture.md, "Command line").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from booksync.app.context import Books


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
            from booksync.db.engine import DatabaseUnavailable, make_engine

            if self.db is not None and not self.db.strip():
                raise DatabaseUnavailable("--db is empty")
            self._engine = make_engine(self.db, must_exist=not self.creates)
        return self._engine


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


@contextmanager
def opened(ctx: typer.Context) -> Iterator[Books]:
    """The chosen company's books in one transaction, for one use case."""
    from booksync.app.context import open_books

    chosen = state(ctx)
    with open_books(chosen.engine, chosen.company) as books:
        yield books
