"""Journal entries: add, import, post, reverse, show and list; the use cases.

An entry's result is its JSON shape, the dict row of
:mod:`booksync.ledger.listing` (``id``, ``number``, ``journal``, ``date``,
``ref``, ``state``, amounts as decimal strings, ``lines``): the one shape
``entry show``, ``entry add`` and ``entry reverse`` print and ``entry list``
streams, so a listing of any length is read (1,000 entries at a time) and
written without holding it (:func:`list_entries` is an iterator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from booksync.app.context import Books
from booksync.formats.jsonl import read_prepared_file
from booksync.ledger.entries import (
    EntryImporter,
    EntryInput,
    LineInput,
    add_entries,
    get_entry,
    post_entry,
    reverse_entry,
)
from booksync.ledger.listing import entry_shape, entry_shapes

__all__ = [
    "add_entry",
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
) -> dict[str, Any]:
    """Add one entry to journal ``journal`` (code), a draft unless ``post``."""
    data = EntryInput(journal, date, tuple(lines), ref)
    (entry_id,) = add_entries(books.session, books.company, [data], post=post)
    return entry_shape(books.session, books.company, entry_id)


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
