"""Errors a user of the ledger can meet: each message is one clear sentence.

Each is a :class:`booksync.errors.BooksyncError` of its own kind (code).
"""

from __future__ import annotations

from booksync.errors import BooksyncError


class LedgerError(BooksyncError):
    """A rule of the books refused the operation; nothing was written."""

    code = "invalid"


class NotFound(LedgerError):
    """A named thing (company, account, journal, partner, entry) does not exist."""

    code = "not_found"


class InvalidEntry(LedgerError):
    """An entry's content cannot be booked (unknown account, bad amount, ...)."""


class UnbalancedEntry(InvalidEntry):
    """Debits and credits differ; the message names the difference."""

    code = "unbalanced"


class LockedPeriod(InvalidEntry):
    """The entry's date is on or before the company's lock date."""

    code = "locked_period"


class ImmutableEntry(LedgerError):
    """A posted entry or line was to be changed or deleted."""

    code = "immutable"
