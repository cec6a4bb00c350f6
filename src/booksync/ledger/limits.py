"""Every limit the books set on what they are given, in one place.

Each limit has one definition here, and every path that reads the value
(the CLI, JSONL and Beancount imports, bank statements, exchange rates)
checks it through this module, so SQLite and PostgreSQL accept and refuse
the same things with the same sentence.  docs/ledger.md ("Limits") says
why each one has the value it has.

This module imports nothing of the ledger but its errors: :mod:`booksync.money`
reads its amount limits from here.
"""

from __future__ import annotations

import re
from decimal import Decimal

from booksync.ledger.errors import InvalidEntry

# -- amounts as text, checked before any arithmetic ------------------------------------
# An amount is read only if its text and its decimal form are small: a
# power of ten such as 1e-999999999 costs nothing to write and minutes of
# CPU to turn into minor units.
MAX_ID = 2**31 - 1  # the largest id either database holds (their integer columns)
MAX_AMOUNT_TEXT = 100  # characters, spaces and digit separators included
MAX_SIGNIFICANT_DIGITS = 30  # digits of the decimal form, trailing zeros included
MAX_EXPONENT = 30  # the power of ten of the last digit lies within -30 .. 30

# -- money in minor units ---------------------------------------------------------------
# A line holds at most 15 digits of minor units (9,999,999,999,999.99 EUR).
# Reports add lines up in the database; SQLite's SUM fails for good beyond a
# signed 64-bit integer, so what the posted lines of one company add up to
# is bounded too (MAX_POSTED_TOTAL): every account total, report sum and
# running balance is at most that.
MAX_LINE_DIGITS = 15
MAX_LINE_MINOR = 10**MAX_LINE_DIGITS - 1
MAX_POSTED_TOTAL = 2**63 - 1

# -- exchange rates ---------------------------------------------------------------------
MIN_RATE = Decimal("1e-9")
MAX_RATE = Decimal("1e9")
MAX_RATE_DIGITS = 20  # significant digits

# -- text the user types ----------------------------------------------------------------
MAX_TEXT = 500  # line labels and entry references: their columns' size
MAX_NAME = 200  # partner and account names (and partner emails): their columns' size
MAX_CODE = 128  # account codes: their column's size
# C0 controls (NUL, tab and newline included), DEL and C1 controls: they have
# no place in a one-line text, PostgreSQL refuses NUL outright, and they
# garble every table and terminal the text is shown in.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

# -- files ------------------------------------------------------------------------------
MAX_JSONL_LINE = 1 << 20  # bytes of one JSONL line (one entry), the newline excepted
MAX_BEANCOUNT_BYTES = 64 << 20  # bytes of a Beancount file: the loader holds it all

_SHOWN = 40  # characters of a refused value quoted back in an error


def shown(value: object) -> str:
    """``value`` quoted for an error sentence, cut short: a refused text may be huge."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def text_ok(value: str, limit: int = MAX_TEXT) -> bool:
    """Whether ``value`` fits ``limit`` characters and holds no control character.

    Printable text (nearly all of it) holds none and ``isprintable`` says so
    several times faster than the search, which a bulk import feels.
    """
    return len(value) <= limit and (value.isprintable() or _CONTROL.search(value) is None)


def check_text(value: str | None, what: str, limit: int = MAX_TEXT) -> str | None:
    """``value`` unchanged if it fits (see :func:`text_ok`); else one clear sentence."""
    if value is None or text_ok(value, limit):
        return value
    if len(value) > limit:
        raise InvalidEntry(f"{what} is longer than {limit} characters ({len(value)})")
    found = _CONTROL.search(value)
    assert found is not None
    raise InvalidEntry(
        f"{what} {shown(value)} contains a control character "
        f"(U+{ord(found.group()):04X}); only printable text is accepted"
    )


def fit_text(value: str, limit: int = MAX_TEXT) -> str:
    """Text from another system made to fit: control characters become spaces, cut to ``limit``.

    A bank's data or a file another program wrote is not the user's mistake,
    so it is made to fit rather than refused.
    """
    if not text_ok(value, limit):
        value = _CONTROL.sub(" ", value)[:limit]
    return value
