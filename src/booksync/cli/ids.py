"""Ids on the command line: one parser for every command, and the paging options.

Row ids are ``Integer`` columns: 32-bit on PostgreSQL, and SQLite hands them
out from 1 the same way.  A bigger number can name nothing, and handing it to
the driver ended in an OverflowError (SQLite, beyond 64 bits) or an "integer
out of range" (PostgreSQL), so every id, ``--after`` cursor and ``--limit``
the user types is read here first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer

from booksync.cli.output import say
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.limits import MAX_ID

_DIGITS = len(str(MAX_ID))


def parse_id(text: str, what: str) -> int:
    """A whole number from 1 to ``MAX_ID``; anything else is one sentence naming ``what``.

    Only ASCII digits count: ``str.isdigit`` also accepts "²", which ``int`` refuses.
    """
    digits = text.strip().lstrip("0") or text.strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= _DIGITS:
        value = int(digits)
        if 1 <= value <= MAX_ID:
            return value
    shown = text if len(text) <= 40 else text[:40] + "..."
    raise LedgerError(f"{what} must be a whole number between 1 and {MAX_ID}, not {shown!r}")


def entry_ref(text: str) -> int | str:
    """An entry as the user names it: an id (checked like every id), a number or a uid."""
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit():
        return parse_id(stripped, "an entry id")
    if stripped.isdigit():  # digits of another script: no entry is named so
        raise NotFound(f"no entry {stripped!r}")
    return stripped


# -- paging: --limit N and --after ID -----------------------------------------------------


def limit_option(default: str | None, help: str) -> Any:
    return typer.Option(default, "--limit", metavar="N", help=help)


def after_option(cursor: str) -> Any:
    return typer.Option(
        None, "--after", metavar="ID", help=f"Start after this {cursor} (the next page)."
    )


@dataclass(frozen=True)
class Page:
    """Which slice of a listing to show: at most ``limit`` rows after row ``after``."""

    limit: int | None
    after: int | None

    @classmethod
    def read(cls, limit: str | None, after: str | None) -> Page:
        return cls(
            None if limit is None else parse_id(limit, "--limit"),
            None if after is None else parse_id(after, "--after"),
        )

    def one_more(self) -> int | None:
        """Fetch one row beyond the page, to know whether another page follows."""
        return None if self.limit is None or self.limit == MAX_ID else self.limit + 1


def more_follow(what: str, last: int, limit: int) -> None:
    """The footer of a table cut short: how to see the next page."""
    say(f"more {what} follow: `--after {last}` shows the next {limit}, `--limit N` shows N")
