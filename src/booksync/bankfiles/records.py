"""What a statement file holds, format aside, and the one error a bad file gives.

A file holds one or more statements (CAMT.053 and MT940 may hold several, one
per account and period); each statement names its account, may state the
balances it opens and closes with, and lists booked transactions in the
provider contract's shape (docs/banking.md, "Statement files").
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from booksync.errors import BooksyncError
from booksync.providers.base import Transaction

__all__ = ["Correction", "CorrectionAction", "FileError", "FileStatement", "StatementBalance"]


class FileError(BooksyncError):
    """A file that cannot be read as its format says: one sentence naming the file,
    the place (a line, an element, a tag) and what is wrong there.  Every parser
    raises this and nothing else, whatever the bytes it is given."""

    code = "file_error"

    def __init__(self, file: str, place: str, problem: str) -> None:
        super().__init__(f"{file}: {place}: {problem}" if place else f"{file}: {problem}")
        self.file, self.place, self.problem = file, place, problem


@dataclass(frozen=True, slots=True)
class StatementBalance:
    """A balance the statement states: signed (negative = overdrawn), at the end of ``date``
    (an opening balance: at the end of the day before the statement's first)."""

    amount: Decimal
    date: dt.date


class CorrectionAction(enum.StrEnum):
    """What an OFX correction does to the transaction it names."""

    REPLACE = "replace"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Correction:
    """An OFX ``CORRECTFITID``: the transaction ``replaces`` (by its FITID) is replaced by
    the one carrying this correction, or deleted."""

    replaces: str
    action: CorrectionAction
    transaction: Transaction | None  # None for a delete


@dataclass(frozen=True, slots=True)
class FileStatement:
    """One statement of a file.

    ``account``: the account as the file names it (an IBAN, or the bank's account
    number, or None when the format has none, as in most CSV files); ``currency``:
    ISO 4217 code; ``transactions``: booked ones, in the file's order, each with
    ``provider_transaction_id`` the bank's own reference for it when the file has
    one (CAMT ``AcctSvcrRef``, OFX ``FITID``, MT940's bank reference), else None;
    ``place``: where the statement starts in the file, for messages.
    """

    account: str | None
    currency: str
    transactions: tuple[Transaction, ...]
    opening: StatementBalance | None = None
    closing: StatementBalance | None = None
    statement_id: str | None = None
    corrections: tuple[Correction, ...] = ()
    place: str = ""
