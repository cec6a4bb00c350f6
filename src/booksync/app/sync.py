"""Synchronizing connections now, and the log of runs: the use cases.

A run talks to the bank outside any long transaction (:mod:`booksync.sync.run`),
so :func:`sync_connections` takes the engine and the company's name and hands
the runner a session factory, not an open
:class:`~booksync.app.context.Books`.  Each run's result is a
:class:`~booksync.sync.outcome.RunResult` (frozen; its JSON shape is
``as_dict()``, docs/banking.md); the log's rows are the JSON shape of
``booksync sync log`` as :func:`booksync.banking.runs.run_log` gives them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from booksync.app.context import Books, open_books
from booksync.banking.connections import get_connection
from booksync.banking.models import Connection
from booksync.banking.runs import run_log
from booksync.banking.states import ConnectionState
from booksync.db.engine import session_factory
from booksync.ledger.errors import LedgerError
from booksync.ledger.limits import MAX_ID as _MAX_ID
from booksync.providers import registry
from booksync.sync.outcome import RunResult
from booksync.sync.run import Progress, SyncRunner

__all__ = ["RunLog", "chosen_connections", "sync_connections", "sync_log"]


@dataclass(frozen=True, slots=True)
class RunLog:
    """A page of runs, newest first (``sync log``'s JSON rows); ``more`` when older
    runs follow the last one."""

    rows: tuple[dict[str, Any], ...]
    more: bool


def chosen_connections(books: Books, ids: Sequence[int], *, every: bool) -> list[int]:
    """The company's connections named by ``ids`` (or, with ``every``, all that are
    not disconnected), in id order."""
    if every and ids:
        raise LedgerError("name connections or give --all, not both")
    if not every and not ids:
        raise LedgerError("name the connections to synchronize (see `connection list`) or --all")
    session, company = books.session, books.company
    if every:
        return list(
            session.scalars(
                select(Connection.id)
                .where(
                    Connection.company_id == company.id,
                    Connection.state != ConnectionState.DISCONNECTED,
                )
                .order_by(Connection.id)
            )
        )
    return sorted({get_connection(session, company, i).id for i in ids})


def sync_connections(
    engine: Engine,
    company: str | None,
    ids: Sequence[int],
    *,
    every: bool = False,
    since: dt.date | None = None,
    force: bool = False,
    today: Callable[[], dt.date] | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    on_progress: Progress | None = None,
) -> tuple[RunResult, ...]:
    """Run the connections :func:`chosen_connections` chooses, one after the other;
    ``on_progress`` hears where each run stands as it goes (the web's live
    progress), ``on_result`` of each run as it ends."""
    with open_books(engine, company) as books:
        chosen = chosen_connections(books, ids, every=every)
    runner = SyncRunner(
        session_factory(engine),
        providers=lambda name: registry.provider_for(name),
        today=today,
    )
    results = []
    for ident in chosen:
        result = runner.run(ident, since=since, force=force, progress=on_progress)
        if on_result is not None:
            on_result(result)
        results.append(result)
    return tuple(results)


def sync_log(
    books: Books, connection: int | None = None, *, limit: int | None = 20, after: int | None = None
) -> RunLog:
    """Runs of one connection (or all), newest first, ``limit`` of them after run
    ``after`` (the last of the previous page)."""
    fetch = None if limit is None or limit >= _MAX_ID else limit + 1  # one more: is there more?
    rows = run_log(books.session, books.company, connection, fetch, after=after)
    return RunLog(tuple(rows[:limit]), limit is not None and len(rows) > limit)
