"""Other ledgers' file formats: export and import Beancount; the use cases.

Exporting writes to any text stream (the CLI's is a file written beside its
final name and renamed at the end); its result is the number of
transactions written.  Importing books a whole ledger, or nothing, and
returns the importer's :class:`~booksync.formats.beancount_import.ImportSummary`.
Beancount itself is imported only when an import runs: it is needed by no
other use case (docs/architecture.md, "Command line").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from booksync.app.context import Books
from booksync.formats.beancount_export import export_beancount as write_beancount

if TYPE_CHECKING:
    from booksync.formats.beancount_import import ImportSummary

__all__ = ["export_beancount", "import_beancount"]


def export_beancount(books: Books, out: TextIO) -> int:
    """Write the posted books to ``out`` as a Beancount v3 ledger that bean-check
    accepts; the number of transactions written."""
    return write_beancount(books.session, books.company, out)


def import_beancount(books: Books, file: Path) -> ImportSummary:
    """Book the Beancount ledger at ``file`` as posted entries in journal MISC,
    with the accounts and partners it names."""
    from booksync.formats.beancount_import import import_beancount as read_beancount

    return read_beancount(books.session, books.company, file)
