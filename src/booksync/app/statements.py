"""Use cases of bank statement lines: list them with their reconciliation, add one by hand.

The statement listing (booksync.statements) knows the lines; whether each is
reconciled, and with which documents, is reconciliation's to say.  Rows keep
the ``statement list --json`` shape (docs/banking.md, "Statement lines").
The web app browses a journal newest first, filtered and searched, one
keyset page at a time (:func:`browse_lines`; docs/web.md, "Bank statement
lines").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, tuple_
from sqlalchemy.orm import defer

from booksync.app.context import Books
from booksync.banking.models import StatementLine, StatementSource
from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.models import Entry, Journal, Partner
from booksync.money import MoneyError, exponent, parse_amount, to_minor
from booksync.reconciliation.models import BankReconciliation
from booksync.reconciliation.status import matched_documents
from booksync.statements.listing import line_row, pending_lines, statement_line, statement_lines
from booksync.statements.manual import ManualLine, add_manual_line
from booksync.statements.sources import bank_journal

__all__ = [
    "LinePage",
    "add_line",
    "browse_lines",
    "clearing_entries",
    "line_journal",
    "list_lines",
    "one_line",
]

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


# -- browsing a journal newest first (the web app's list) --------------------------------

Show = Literal["all", "reconciled", "to_reconcile"]
SHOWS: tuple[Show, ...] = ("all", "reconciled", "to_reconcile")
# A signed amount as people write it: 1234.50, -1,234.50, +12 (thousands commas optional).
AMOUNT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
MAX_SEARCH = 200  # characters of a search


@dataclass(frozen=True, slots=True)
class LinePage:
    """One page of a journal's lines, newest first, in the ``statement list --json`` shape;
    ``newer`` / ``older``: whether lines come before the first / after the last."""

    rows: list[dict[str, Any]]
    newer: bool
    older: bool


def _search(currency: str, text: str, dialect: str) -> ColumnElement[bool]:
    """An amount (``1234.50``, ``-1,234.50``) is the line's signed amount exactly; any
    other text is looked for in the label and the partner's name, in any case.

    SQLite's LIKE already ignores the case of ASCII letters, and its lower() folds
    no others, so plain LIKE there means what ILIKE means on PostgreSQL without
    lowering every label of the journal first.
    """
    if AMOUNT.fullmatch(text):
        try:
            return StatementLine.amount == to_minor(parse_amount(text.replace(",", "")),
                                                    exponent(currency))
        except MoneyError:  # more decimals than the currency has: no line has that amount
            return false()
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"

    def holds(column: Any) -> ColumnElement[bool]:
        found: ColumnElement[bool] = (column.like(pattern, escape="\\") if dialect == "sqlite"
                                      else column.ilike(pattern, escape="\\"))
        return found

    return or_(
        holds(StatementLine.label),
        holds(Partner.name),
        and_(StatementLine.partner_id.is_(None), holds(StatementLine.partner_name)),
    )


def _browse_query(
    books: Books, journal: str, show: Show, search: str | None
) -> tuple[Select[*tuple[Any, ...]], ColumnElement[bool]]:
    """The journal's lines as shown and searched, unordered; and the owner condition a
    cursor line is looked up with."""
    if show not in SHOWS:
        raise BooksyncError(f"filter {show[:40]!r} is not all, reconciled or to_reconcile")
    found = bank_journal(books.session, books.company, journal)
    owner = and_(StatementLine.company_id == books.company.id,
                 StatementLine.journal_id == found.id)
    query = (
        select(StatementLine, Entry.number, Partner.name, StatementSource.kind)
        .join(Entry, Entry.id == StatementLine.entry_id)
        .join(StatementSource, StatementSource.id == StatementLine.source_id)
        .outerjoin(Partner, Partner.id == StatementLine.partner_id)
        .where(owner)
        .options(defer(StatementLine.raw))  # the provider's record: never shown here
    )
    if show != "all":
        active = (
            select(BankReconciliation.id)
            .where(BankReconciliation.statement_line_id == StatementLine.id,
                   BankReconciliation.state == "active")
            .exists()
        )
        query = query.where(active if show == "reconciled" else ~active)
    text = (search or "").strip()[:MAX_SEARCH]
    if text:
        currency = found.currency_code or books.company.currency_code
        query = query.where(_search(currency, text,
                                           books.session.get_bind().dialect.name))
    return query, owner


def _cursor(books: Books, owner: ColumnElement[bool], line_id: int) -> tuple[Any, int]:
    """(date, id) of the line a page starts after; a line not in the journal is refused."""
    day = books.session.scalar(select(StatementLine.date).where(owner,
                                                                StatementLine.id == line_id))
    if day is None:
        raise BooksyncError(f"cursor: no statement line {line_id} in this journal")
    return day, line_id


def _rows(books: Books, query: Select[*tuple[Any, ...]]) -> list[dict[str, Any]]:
    rows = [line_row(line, number, partner, kind)
            for line, number, partner, kind in books.session.execute(query)]
    return _with_reconciliation(books, rows)


def browse_lines(
    books: Books,
    journal: str,
    *,
    show: Show = "all",
    search: str | None = None,
    older_than: int | None = None,
    newer_than: int | None = None,
    limit: int = 100,
) -> LinePage:
    """A page of ``journal``'s lines, newest first (by date, then id).

    ``older_than`` (a line's id) gives the page after that line, ``newer_than``
    the page before it.  Keyset pages: the query seeks the journal's (journal,
    date) index to the cursor's (date, id) and reads ``limit + 1`` rows, so a
    page deep in a million lines costs what the first one does (no OFFSET).
    """
    query, owner = _browse_query(books, journal, show, search)
    key = tuple_(StatementLine.date, StatementLine.id)
    if newer_than is not None:
        day, ident = _cursor(books, owner, newer_than)
        # date >= day lets both databases seek the index; the row value decides ties.
        rows = _rows(books, query.where(StatementLine.date >= day, key > tuple_(day, ident))
                     .order_by(StatementLine.date, StatementLine.id).limit(limit + 1))
        if len(rows) <= limit:  # back at the newest lines: the first page, full
            return browse_lines(books, journal, show=show, search=search, limit=limit)
        return LinePage(rows[:limit][::-1], newer=True, older=True)
    if older_than is not None:
        day, ident = _cursor(books, owner, older_than)
        query = query.where(StatementLine.date <= day, key < tuple_(day, ident))
    rows = _rows(books, query.order_by(StatementLine.date.desc(), StatementLine.id.desc())
                 .limit(limit + 1))
    return LinePage(rows[:limit], newer=older_than is not None, older=len(rows) > limit)


def one_line(books: Books, line_id: int) -> dict[str, Any]:
    """One line of the company in the ``statement list --json`` shape, reconciled or not."""
    return _with_reconciliation(books, [statement_line(books.session, books.company,
                                                       line_id)])[0]


def line_journal(books: Books, line_id: int) -> tuple[str, str]:
    """(code of the bank journal, currency) of a line of the company."""
    found = books.session.execute(
        select(Journal.code, StatementLine.currency_code)
        .join(StatementLine, StatementLine.journal_id == Journal.id)
        .where(StatementLine.company_id == books.company.id, StatementLine.id == line_id)
    ).first()
    if found is None:
        raise NotFound(f"no statement line {line_id}")
    return found[0], found[1]


def clearing_entries(books: Books, line_ids: Sequence[int]) -> dict[int, str]:
    """``{line id: number of its clearing entry}`` for the reconciled ones (one query):
    what a line reconciled without documents (a write-off) was booked with."""
    if not line_ids:
        return {}
    found = books.session.execute(
        select(BankReconciliation.statement_line_id, Entry.number)
        .join(Entry, Entry.id == BankReconciliation.clearing_entry_id)
        .where(BankReconciliation.company_id == books.company.id,
               BankReconciliation.state == "active",
               BankReconciliation.statement_line_id.in_(list(line_ids)))
    )
    return {line_id: number or "" for line_id, number in found}
