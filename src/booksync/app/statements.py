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
from functools import cache
from itertools import islice
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, or_, select, tuple_
from sqlalchemy.orm import aliased

from booksync.app.context import Books
from booksync.banking.models import StatementLine
from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.models import Entry, Journal, Partner
from booksync.money import MoneyError, exponent, parse_amount, to_minor
from booksync.reconciliation.models import BankReconciliation
from booksync.reconciliation.status import matched_documents
from booksync.statements.listing import (
    WIDTH,
    line_row,
    lines_query,
    pending_lines,
    statement_line,
    statement_lines,
)
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
ACTIVE = "active"  # a reconciliation in force (an undone one stays, as "undone")
FEW_RECONCILED = 1000  # below this many, Reconciled starts from the reconciliations


@dataclass(frozen=True, slots=True)
class LinePage:
    """One page of a journal's lines, newest first, in the ``statement list --json`` shape;
    ``newer`` / ``older``: whether lines come before the first / after the last."""

    rows: list[dict[str, Any]]
    newer: bool
    older: bool


# How a page is picked: every line of the journal, its lines with or without an active
# reconciliation (walking the journal), or the lines given by id (Reconciled from the
# reconciliations: :func:`_few_reconciled`).
Way = Literal["all", "reconciled", "to_reconcile", "given"]
# Where a page starts: the newest line, the line older than the cursor, or newer.
Start = Literal["first", "older", "newer"]
# What a search asks: nothing, an amount, text (LIKE on SQLite, ILIKE elsewhere), or an
# amount no line can have.
Sought = Literal["", "amount", "like", "ilike", "none"]


def _sought(currency: str, text: str, dialect: str) -> tuple[Sought, dict[str, Any]]:
    """What a search is and its parameters: an amount (``1234.50``, ``-1,234.50``) is the
    line's signed amount exactly; any other text is looked for in the label and the
    partner's name, in any case.

    SQLite's LIKE already ignores the case of ASCII letters, and its lower() folds
    no others, so plain LIKE there means what ILIKE means on PostgreSQL without
    lowering every label of the journal first.
    """
    text = text.strip()[:MAX_SEARCH]
    if not text:
        return "", {}
    if AMOUNT.fullmatch(text):
        try:
            minor = to_minor(parse_amount(text.replace(",", "")), exponent(currency))
        except MoneyError:  # more decimals than the currency has: no line has that amount
            return "none", {}
        return "amount", {"amount": minor}
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
    return ("like" if dialect == "sqlite" else "ilike"), {"pattern": pattern}


@cache
def _page_statement(way: Way, start: Start, sought: Sought) -> Select[*tuple[Any, ...]]:
    """The statement of one shape of page, built once: its values are parameters
    (``journal`` or ``given``, ``day`` and ``ident`` of the cursor, ``limit``,
    ``amount`` or ``pattern``), so a request pays neither for building it nor for
    SQLAlchemy's key of its compiled form.  Each row: :data:`LINE_COLUMNS`, the line's
    company, its active reconciliation's id (None when not reconciled).

    A walk picks the lines by their journal alone (the journal was found among the
    company's): a condition on any other column of the line (the company) made a filter
    read every line of the journal instead of its ``(journal_id, date)`` index.  The
    rows' company is checked as they are read (:func:`_rows`).
    """
    query = (
        lines_query()
        .add_columns(StatementLine.company_id, BankReconciliation.id)
        .outerjoin(BankReconciliation, and_(BankReconciliation.statement_line_id
                                            == StatementLine.id,
                                            BankReconciliation.state == ACTIVE))
    )
    if way == "given":
        # By id, not by journal: the database then looks these lines up rather than
        # walking the journal's (docs/web.md, "Bank statement lines").
        query = query.where(StatementLine.id.in_(bindparam("given", expanding=True)))
    else:
        query = query.where(StatementLine.journal_id == bindparam("journal"))
    if way in ("reconciled", "to_reconcile"):
        other = aliased(BankReconciliation)  # the query joins the table already
        active = (
            select(other.id)
            .where(other.statement_line_id == StatementLine.id, other.state == ACTIVE)
            .exists()
        )
        query = query.where(active if way == "reconciled" else ~active)
    if sought == "amount":
        query = query.where(StatementLine.amount == bindparam("amount",
                                                              type_=StatementLine.amount.type))
    elif sought == "none":
        query = query.where(false())
    elif sought:
        pattern = bindparam("pattern", type_=StatementLine.label.type)

        def holds(column: Any) -> ColumnElement[bool]:
            found: ColumnElement[bool] = (column.like(pattern, escape="\\") if sought == "like"
                                          else column.ilike(pattern, escape="\\"))
            return found

        query = query.where(or_(
            holds(StatementLine.label),
            holds(Partner.name),
            and_(StatementLine.partner_id.is_(None), holds(StatementLine.partner_name)),
        ))
    key = tuple_(StatementLine.date, StatementLine.id)
    day = bindparam("day", type_=StatementLine.date.type)
    cursor = tuple_(day, bindparam("ident", type_=StatementLine.id.type))
    # date <= day (>= day) lets both databases seek the index; the row value decides ties.
    if start == "newer":
        query = query.where(StatementLine.date >= day, key > cursor).order_by(
            StatementLine.date, StatementLine.id)
    else:
        if start == "older":
            query = query.where(StatementLine.date <= day, key < cursor)
        query = query.order_by(StatementLine.date.desc(), StatementLine.id.desc())
    return query.limit(bindparam("limit"))


@cache
def _statement_of(what: Literal["cursor", "reconciled"]) -> Select[*tuple[Any, ...]]:
    """The small statements of a page, built once: the cursor line's date in the journal,
    and the lines of the active reconciliations (one more than :data:`FEW_RECONCILED`)."""
    if what == "cursor":
        return select(StatementLine.date).where(StatementLine.journal_id == bindparam("journal"),
                                                StatementLine.id == bindparam("ident"))
    return (
        select(StatementLine.id, StatementLine.journal_id)
        .join(BankReconciliation, BankReconciliation.statement_line_id == StatementLine.id)
        .where(BankReconciliation.state == ACTIVE)
        .limit(bindparam("limit"))
    )


def _few_reconciled(books: Books, journal_id: int) -> list[int] | None:
    """The ids of the journal's reconciled lines when the books hold at most
    :data:`FEW_RECONCILED` active reconciliations (all companies'), else None.

    **Reconciled** finds its page by walking the journal's lines newest first
    and keeping the reconciled ones: quick when many are, but a journal none
    or few of whose lines are is read to its end.  When the reconciliations
    are few, starting from them (their partial index on the line) costs at most
    that many lookups whatever the journal holds.
    """
    found = books.session.execute(_statement_of("reconciled"),
                                  {"limit": max(FEW_RECONCILED + 1, 0)}).all()
    if len(found) > FEW_RECONCILED:
        return None
    return [line_id for line_id, journal in found if journal == journal_id]


def _cursor(books: Books, journal_id: int, line_id: int) -> dict[str, Any]:
    """The parameters of the line a page starts after; a line not in the journal (so not
    the company's) is refused."""
    day = books.session.scalar(_statement_of("cursor"),
                               {"journal": journal_id, "ident": line_id})
    if day is None:
        raise BooksyncError(f"cursor: no statement line {line_id} in this journal")
    return {"day": day, "ident": line_id}


def _rows(books: Books, statement: Select[*tuple[Any, ...]],
          params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows in the ``statement list --json`` shape, with their reconciliation; the
    documents matched are looked up for the reconciled ones only (most are not)."""
    rows: list[dict[str, Any]] = []
    reconciled: list[int] = []
    company_id = books.company.id
    for found in books.session.execute(statement, params):
        if found[WIDTH] != company_id:  # never another company's line, whatever the data
            continue
        row = line_row(found)
        if found[WIDTH + 1] is not None:
            row["reconciled"] = True
            reconciled.append(row["id"])
        rows.append(row)
    if reconciled:
        matched = matched_documents(books.session, reconciled)
        for row in rows:
            row["matched"] = matched.get(row["id"], [])
    return rows


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
    if show not in SHOWS:
        raise BooksyncError(f"filter {show[:40]!r} is not all, reconciled or to_reconcile")
    found = bank_journal(books.session, books.company, journal)
    currency = found.currency_code or books.company.currency_code
    sought, params = _sought(currency, search or "", books.session.get_bind().dialect.name)
    params |= {"journal": found.id, "limit": limit + 1}
    way: Way = show
    if show == "reconciled" and (given := _few_reconciled(books, found.id)) is not None:
        way, params["given"] = "given", given
    start: Start = "first"
    if newer_than is not None:
        start, params = "newer", params | _cursor(books, found.id, newer_than)
    elif older_than is not None:
        start, params = "older", params | _cursor(books, found.id, older_than)
    if way == "given" and not params["given"]:
        return LinePage([], newer=False, older=False)
    rows = _rows(books, _page_statement(way, start, sought), params)
    if start == "newer":
        if len(rows) <= limit:  # back at the newest lines: the first page, full
            return browse_lines(books, journal, show=show, search=search, limit=limit)
        return LinePage(rows[:limit][::-1], newer=True, older=True)
    return LinePage(rows[:limit], newer=start == "older", older=len(rows) > limit)


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
