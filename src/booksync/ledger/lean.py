"""The simplest listings read with the SQLite driver alone: no SQLAlchemy, no ORM models.

Starting Python with Typer and Rich takes about a tenth of a second;
importing SQLAlchemy and declaring the models took three to four tenths
more, longer than a listing of the chart or the journals may take in all
(docs/architecture.md, "Command line").  So those listings, on a SQLite file
named plainly (:func:`booksync.db.location.plain_sqlite_file`), read their
rows here with ``sqlite3``; on PostgreSQL, or a URL with options, they go
through the ORM services like every other command.

Each statement is the one SQLAlchemy compiles for SQLite from the models'
tables and columns, and the rows are the ones the ORM services give: the
tests hold both equal.  The database is checked, and the company chosen,
by the same functions the engine and :func:`booksync.ledger.companies.find_company`
use, so every refusal reads the same either way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from booksync.db.errors import locked_message
from booksync.db.location import BUSY_TIMEOUT_MS, require_sqlite_schema
from booksync.errors import BooksyncError
from booksync.ledger.errors import LedgerError, NotFound

T = TypeVar("T")
Row = dict[str, Any]

COMPANY_NAMED = "SELECT company.id FROM company WHERE company.name = ?"
FIRST_COMPANIES = "SELECT company.id FROM company ORDER BY company.id LIMIT ? OFFSET ?"
ACCOUNTS = (
    "SELECT account.code, account.name, account.type, account.reconcile, account.active "
    "FROM account WHERE account.company_id = ? ORDER BY account.code"
)
JOURNALS = (
    "SELECT journal.code, journal.name, journal.type "
    "FROM journal WHERE journal.company_id = ? ORDER BY journal.code"
)
PARTNERS = (
    "SELECT partner.name, partner.iban, partner.email "
    "FROM partner WHERE partner.company_id = ? ORDER BY partner.name"
)


def choose_company(name: str | None, found: Sequence[T]) -> T:
    """The company a command is about: among ``found``, the rows named ``name``,
    or, with no name, the first two rows by id (there must be exactly one)."""
    if name:
        if not found:
            raise NotFound(f"no company named {name!r}")
        return found[0]
    if not found:
        raise NotFound("there is no company yet: run `booksync init --company NAME` first")
    if len(found) > 1:
        raise LedgerError("there are several companies: choose one with --company NAME")
    return found[0]


@contextmanager
def reading(database: str) -> Iterator[sqlite3.Connection]:
    """A connection to the checked SQLite file, in one read transaction (one snapshot).

    The driver's errors reach the user as the engine's do through
    :func:`booksync.app.errors.user_error`: the busy error as it is (that
    function names it), any other as the database's refusal, in one line.
    """
    require_sqlite_schema(database)
    try:
        conn = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute("BEGIN")
            yield conn
        finally:
            conn.close()  # nothing was written: closing ends the read
    except sqlite3.Error as exc:
        if locked_message(exc) is not None:
            raise
        lines = str(exc).strip().splitlines()
        text = lines[0] if lines else type(exc).__name__
        raise BooksyncError(
            f"the database refused the operation: {text}", code="refused_by_database"
        ) from None


def company_id(conn: sqlite3.Connection, name: str | None) -> int:
    """The id of the company a command is about, chosen as the ORM path chooses it."""
    found: list[int]
    if name:
        found = [r[0] for r in conn.execute(COMPANY_NAMED, (name,)).fetchmany(1)]
    else:
        found = [r[0] for r in conn.execute(FIRST_COMPANIES, (2, 0))]
    return choose_company(name, found)


def _listing(
    database: str, company: str | None, sql: str, shape: Callable[[tuple[Any, ...]], Row]
) -> list[Row]:
    with reading(database) as conn:
        return [shape(r) for r in conn.execute(sql, (company_id(conn, company),))]


def accounts(database: str, company: str | None) -> list[Row]:
    """The chart by code, as ``booksync account list`` shows it."""
    return _listing(
        database,
        company,
        ACCOUNTS,
        lambda r: {
            "code": r[0],
            "name": r[1],
            "type": r[2],
            "reconcile": bool(r[3]),
            "active": bool(r[4]),
        },
    )


def journals(database: str, company: str | None) -> list[Row]:
    """The journals by code, as ``booksync journal list`` shows them."""
    return _listing(
        database, company, JOURNALS, lambda r: {"code": r[0], "name": r[1], "type": r[2]}
    )


def partners(database: str, company: str | None) -> list[Row]:
    """The partners by name, as ``booksync partner list`` shows them."""
    return _listing(
        database, company, PARTNERS, lambda r: {"name": r[0], "iban": r[1], "email": r[2]}
    )


__all__ = ["accounts", "choose_company", "journals", "partners", "reading"]
