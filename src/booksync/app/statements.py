"""Use cases of bank statement lines: list them with their reconciliation, add one by hand.

The statement listing (booksync.statements) knows the lines; whether each is
reconciled, and with which documents, is reconciliation's to say.  Rows keep
the ``statement list --json`` shape (docs/banking.md, "Statement lines").
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from booksync.app.context import Books
from booksync.reconciliation.status import matched_documents
from booksync.statements.listing import pending_lines, statement_line, statement_lines
from booksync.statements.manual import ManualLine, add_manual_line

__all__ = ["add_line", "list_lines"]

CHUNK = 1000  # lines looked up together


def _with_reconciliation(books: Books, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    matched = matched_documents(books.session, [row["id"] for row in rows])
    for row in rows:
        row["reconciled"] = row["id"] in matched
        row["matched"] = matched.get(row["id"], [])
    return rows


def list_lines(
    books: Books,
    journal: str,
    *,
    pending: bool = False,
    after: int | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """A bank journal's lines by date (or its staged pending transactions), streamed."""
    if pending:
        yield from pending_lines(books.session, books.company, journal, after=after, limit=limit)
        return
    rows = statement_lines(books.session, books.company, journal, after=after, limit=limit)
    while chunk := list(islice(rows, CHUNK)):
        yield from _with_reconciliation(books, chunk)


def add_line(books: Books, given: ManualLine) -> dict[str, Any]:
    """A line entered by hand, booked like a fetched one; returned as listed."""
    line_id = add_manual_line(books.session, books.company, given)
    return _with_reconciliation(books, [statement_line(books.session, books.company, line_id)])[0]
