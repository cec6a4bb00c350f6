"""Dates as every command takes them: ``YYYY-MM-DD``, or one sentence naming the option.

One parser for all commands, so that ``--date`` reads and fails alike on
``entry add``, ``invoice add``, ``payment add`` and the reports: spaces
around the date are ignored, and a refusal quotes what was typed, cut
short (docs/architecture.md, "Command line").
"""

from __future__ import annotations

import datetime as dt

from booksync.errors import BooksyncError

__all__ = ["parse_date"]


def parse_date(text: str, what: str = "date") -> dt.date:
    from booksync.ledger.limits import shown

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BooksyncError(f"{what} {shown(text)} is not a date (YYYY-MM-DD)") from None
