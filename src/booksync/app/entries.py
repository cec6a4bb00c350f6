"""Journal entries: add, import, post, reverse, show and list; the use cases.

An entry's result is its JSON shape, the dict row of
:mod:`booksync.ledger.listing` (``id``, ``number``, ``journal``, ``date``,
``ref``, ``state``, amounts as decimal strings, ``lines``): the one shape
``entry show``, ``entry add`` and ``entry reverse`` print and ``entry list``
streams, so a listing of any length is read (1,000 entries at a time) and
written without holding it (:func:`list_entries` is an iterator).

The web pages read two more things: :func:`entry_page`, the newest entries
first (a person looks for what was booked lately, while ``entry list``
walks the books from their start), and :func:`entry_links`, what an
entry's lines are reconciled with and the reversal links both ways by id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, or_, select, tuple_

from booksync.app.context import Books
from booksync.formats.jsonl import read_prepared_file
from booksync.ledger.entries import (
    EntryImporter,
    EntryInput,
    LineInput,
    Resolver,
    add_entries,
    get_entry,
    post_entry,
    prepare,
    reverse_entry,
)
from booksync.ledger.errors import NotFound, UnbalancedEntry
from booksync.ledger.listing import entry_shape, entry_shapes
from booksync.ledger.models import Entry, Journal, Line
from booksync.ledger.open_item_models import OpenItem, PartialReconcile
from booksync.money import format_minor, to_decimal

__all__ = [
    "EntryLinksView",
    "EntryPage",
    "EntryRefView",
    "LineLinksView",
    "SettlementView",
    "add_entry",
    "entry_links",
    "entry_page",
    "import_entries",
    "list_entries",
    "post_draft",
    "reverse",
    "show_entry",
]

EntryRef = int | str
"""An entry's id, or its number (``MISC/2026/0001``)."""


def add_entry(
    books: Books,
    *,
    journal: str,
    date: dt.date,
    lines: Sequence[LineInput],
    ref: str | None = None,
    post: bool = False,
    balanced: bool = False,
) -> dict[str, Any]:
    """Add one entry to journal ``journal`` (code), a draft unless ``post``.

    ``balanced`` refuses a draft whose debits and credits differ, with the
    sentence posting would give: the web form asks for it, since a person
    typing an entry wants the difference shown now, not when posting later.
    """
    data = EntryInput(journal, date, tuple(lines), ref)
    if balanced and not post:
        _require_balanced(books, data)
    (entry_id,) = add_entries(books.session, books.company, [data], post=post)
    return entry_shape(books.session, books.company, entry_id)


def _require_balanced(books: Books, data: EntryInput) -> None:
    prepared = prepare(Resolver(books.session, books.company), data)
    diff = prepared.difference()
    if diff:
        exp, debits = books.company.currency.exponent, sum(ln.debit for ln in prepared.lines)
        raise UnbalancedEntry(
            f"entry is not balanced: debits {format_minor(debits, exp)}, credits "
            f"{format_minor(debits - diff, exp)}, difference {format_minor(abs(diff), exp)} "
            f"{books.company.currency_code}"
        )


def import_entries(
    books: Books,
    file: Path,
    *,
    post: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Import the entries of a JSON Lines file, all or none; how many.

    ``on_batch`` hears how many entries are read so far after each batch.
    """
    importer = EntryImporter(books.session, books.company, post=post)
    done = importer.import_stream(partial(read_prepared_file, file), on_batch=on_batch)
    importer.finish()
    return done


def post_draft(books: Books, entry: EntryRef) -> str:
    """Post a draft entry: checked, numbered, and from then on unchangeable; its number."""
    session, company = books.session, books.company
    posted = post_entry(session, company, get_entry(session, company, entry))
    return str(posted.number)


def reverse(books: Books, entry: EntryRef, date: dt.date | None = None) -> dict[str, Any]:
    """Post the mirror entry of a posted entry on ``date`` (default: the entry's)."""
    original = get_entry(books.session, books.company, entry)
    reversal = reverse_entry(books.session, books.company, original, date)
    return entry_shape(books.session, books.company, reversal.id)


def show_entry(books: Books, entry: EntryRef) -> dict[str, Any]:
    """One entry with its lines."""
    found = get_entry(books.session, books.company, entry)
    return entry_shape(books.session, books.company, found.id)


def list_entries(
    books: Books,
    *,
    journal: str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Entries by date then id, after entry ``after``, at most ``limit``; read as
    they are consumed (the books must stay open meanwhile)."""
    return entry_shapes(books.session, books.company, journal=journal, after=after, limit=limit)


@dataclass(frozen=True, slots=True)
class EntryPage:
    """One page of entries, newest first; ``more``: older ones follow the last."""

    entries: tuple[dict[str, Any], ...]
    more: bool


def entry_page(
    books: Books,
    *,
    journal: str | None = None,
    older_than: int | None = None,
    until: dt.date | None = None,
    limit: int = 50,
) -> EntryPage:
    """Entries by date then id, newest first: those before entry ``older_than`` (the
    last of the previous page), dated on or before ``until``, at most ``limit``.

    A keyset seek down the listing index, whatever the depth.  The page's
    shapes are read by the ascending listing: its entries are the ``limit``
    that follow the entry just before the page's oldest.
    """
    session, company = books.session, books.company
    owner: list[ColumnElement[bool]] = [Entry.company_id == company.id]
    if journal:
        journal_id = session.scalar(
            select(Journal.id).where(Journal.company_id == company.id, Journal.code == journal)
        )
        if journal_id is None:
            raise NotFound(f"unknown journal {journal!r}")
        owner.append(Entry.journal_id == journal_id)
    key = tuple_(Entry.date, Entry.id)
    query = select(Entry.id, Entry.date).where(*owner)
    if older_than is not None:
        day = session.scalar(
            select(Entry.date).where(Entry.company_id == company.id, Entry.id == older_than)
        )
        if day is None:
            raise NotFound(f"no entry {older_than} to list before")
        query = query.where(key < tuple_(day, older_than))
    if until is not None:
        query = query.where(Entry.date <= until)
    rows = session.execute(
        query.order_by(Entry.date.desc(), Entry.id.desc()).limit(limit + 1)
    ).all()
    shown = rows[:limit]
    if not shown:
        return EntryPage((), False)
    oldest_id, oldest_day = shown[-1]
    before = session.scalar(
        select(Entry.id)
        .where(*owner, key < tuple_(oldest_day, oldest_id))
        .order_by(Entry.date.desc(), Entry.id.desc())
        .limit(1)
    )
    found = list(entry_shapes(session, company, journal=journal, after=before,
                              limit=len(shown)))
    return EntryPage(tuple(reversed(found)), len(rows) > limit)


@dataclass(frozen=True, slots=True)
class EntryRefView:
    id: int
    number: str | None


@dataclass(frozen=True, slots=True)
class SettlementView:
    """``amount`` (company currency) of a line settled with a line of ``entry``;
    ``origin`` the operation that did it (``payment:ID``, ``bank:ID``, ...)."""

    amount: Decimal
    entry: EntryRefView
    origin: str


@dataclass(frozen=True, slots=True)
class LineLinksView:
    """A line's open item: ``residual`` what it still owes, signed like the line
    (None: not on a reconcilable account, or a draft), ``reconciled`` when its
    group is fully settled, and the partial reconciliations that settled it."""

    line: int
    residual: Decimal | None
    reconciled: bool
    settlements: tuple[SettlementView, ...]


@dataclass(frozen=True, slots=True)
class EntryLinksView:
    reversal_of: EntryRefView | None
    reversed_by: EntryRefView | None
    lines: tuple[LineLinksView, ...]


def entry_links(books: Books, entry: EntryRef) -> EntryLinksView:
    """What an entry's lines are reconciled with, in the order of the entry's lines,
    and the entry it reverses or that reverses it (docs/ledger.md, "Open items and
    reconciliation"): the same few queries, whatever the number of lines."""
    session, company = books.session, books.company
    found = get_entry(session, company, entry)
    exp = company.currency.exponent
    ids = [line.id for line in found.lines]  # loaded with the entry, by id
    items = {
        line_id: (residual, full is not None)
        for line_id, residual, full in session.execute(
            select(OpenItem.line_id, OpenItem.residual, OpenItem.full_reconcile_id)
            .where(OpenItem.line_id.in_(ids))
        )
    }
    partials = session.execute(
        select(PartialReconcile.debit_line_id, PartialReconcile.credit_line_id,
               PartialReconcile.amount, PartialReconcile.origin)
        .where(PartialReconcile.company_id == company.id,
               or_(PartialReconcile.debit_line_id.in_(ids),
                   PartialReconcile.credit_line_id.in_(ids)))
        .order_by(PartialReconcile.id)
    ).all()
    mine = set(ids)
    others = {side for debit, credit, _, _ in partials for side in (debit, credit)}
    owners = {
        line_id: EntryRefView(entry_id, number)
        for line_id, entry_id, number in session.execute(
            select(Line.id, Entry.id, Entry.number).join(Entry, Entry.id == Line.entry_id)
            .where(Line.id.in_(others))
        )
    }
    settled: dict[int, list[SettlementView]] = {i: [] for i in ids}
    for debit, credit, amount, origin in partials:
        for own, other in ((debit, credit), (credit, debit)):
            if own in mine:
                settled[own].append(SettlementView(to_decimal(amount, exp), owners[other],
                                                   origin))
    reversal = session.execute(
        select(Entry.id, Entry.number).where(Entry.reversal_of_id == found.id)
    ).first()
    original = None
    if found.reversal_of_id is not None:
        number = session.scalar(select(Entry.number).where(Entry.id == found.reversal_of_id))
        original = EntryRefView(found.reversal_of_id, number)
    lines = tuple(
        LineLinksView(
            i,
            None if i not in items else to_decimal(items[i][0], exp),
            i in items and items[i][1],
            tuple(settled[i]),
        )
        for i in ids
    )
    return EntryLinksView(original, None if reversal is None else EntryRefView(*reversal),
                          lines)
