"""Errors a user of the ledger can meet: each message is one clear sentence."""

from __future__ import annotations


class LedgerError(Exception):
    """A rule of the books refused the operation; nothing was written."""


class NotFound(LedgerError):
    """A named thing (company, account, journal, partner, entry) does not exist."""


class InvalidEntry(LedgerError):
    """An entry's content cannot be booked (unknown account, bad amount, ...)."""


class UnbalancedEntry(InvalidEntry):
    """Debits and credits differ; the message names the difference."""


class LockedPeriod(InvalidEntry):
    """The entry's date is on or before the company's lock date."""


class ImmutableEntry(LedgerError):
    """A posted entry or line was to be changed or deleted."""
