"""SimpleFIN single values: epochs as bank dates and instants, text made safe.

Why a module of its own: these are the few rules every part of the SimpleFIN
provider shares (the parser in :mod:`simplefin_wire`, its records in
:mod:`simplefin_records`, the window bounds in :mod:`simplefin`, the error
messages in :mod:`simplefin_http`), and none of them needs the wire format.

Dates. Every SimpleFIN timestamp is a UNIX epoch, i.e. a UTC instant, and
the protocol says nothing of the bank's time zone. Servers that only know a
posting *date* (nearly all banks) send an instant on that date in UTC
(midnight or noon UTC), so the UTC calendar date of ``posted`` is the bank's
date, and that is the rule here: ``epoch_to_bank_date`` takes the UTC date
and never goes through the machine's or the company's local zone. Going
through a zone west of Greenwich would move every midnight-UTC posting to
the previous day (docs/banking.md, "What real banks do"). Window bounds
use the inverse mapping (date D is ``D 00:00:00Z``), so each posting falls in
exactly one half-open window piece.
"""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata

from booksync.providers.errors import ProviderProtocolError

__all__ = [
    "bank_date_to_epoch",
    "clean_text",
    "epoch_to_bank_date",
    "epoch_to_instant",
    "sanitize_message",
]

_MAX_MESSAGE = 300


def clean_text(text: str) -> str:
    """One line of text without control characters (names, descriptions).

    Printable text (the usual case) has no category-C character to replace:
    skipping the per-character scan makes parsing a big answer several
    times faster.
    """
    if text.isprintable():
        return " ".join(text.split())
    kept = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(kept.split())


def sanitize_message(text: str, limit: int = _MAX_MESSAGE) -> str:
    """A server message made safe to show: ``clean_text``, at most ``limit`` characters.

    The SimpleFIN checklist requires sanitizing every error message shown
    to users.
    """
    line = clean_text(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def epoch_to_instant(epoch: int) -> dt.datetime:
    """The aware UTC datetime of a SimpleFIN epoch."""
    try:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ProviderProtocolError(f"SimpleFIN sent a timestamp out of range ({epoch}).") from None


def epoch_to_bank_date(epoch: int) -> dt.date:
    """The bank date of a SimpleFIN epoch: its UTC calendar date (see module doc)."""
    return epoch_to_instant(epoch).date()


def bank_date_to_epoch(day: dt.date) -> int:
    """The epoch of ``day`` at 00:00:00 UTC: the inverse of ``epoch_to_bank_date``."""
    return calendar.timegm(day.timetuple())
