"""Field readers the statement file parsers share: amounts, codes, texts, the raw payload.

Each reader takes the text a file holds for one field and returns its value,
or raises :class:`Bad` with one plain sentence on what is wrong; the parser
that called it knows where the field sits and turns that into a
:class:`~booksync.bankfiles.records.FileError`.  Amounts are read by a strict
pattern before any ``Decimal`` is made, so a file cannot make reading one slow
(docs/banking.md, "Statement files").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson

from booksync.ledger.limits import MAX_LINE_DIGITS, shown
from booksync.money import CURRENCIES, MoneyError, to_minor

__all__ = [
    "Bad",
    "amount",
    "canonical",
    "clean",
    "currency",
    "iban",
    "iso_date",
    "one_line",
    "sign",
]

# No bank sends more than 18 digits (ISO 20022 allows 18, SWIFT's 15d 14).
_MAX_AMOUNT_CHARS = 40
_AMOUNT = {".": re.compile(r"(\d{1,18})(?:\.(\d{0,5}))?"), ",": re.compile(r"(\d{1,18}),(\d*)")}
_EXAMPLE = {".": "1234.50", ",": "1234,50"}
_CURRENCY = re.compile(r"[A-Z]{3}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]+")


class Bad(ValueError):
    """One field's text is not what its format allows; the message says why."""


def amount(text: str | None, decimal_mark: str, code: str) -> Decimal:
    """The unsigned amount ``text`` writes, in currency ``code``.

    ``decimal_mark`` is ``"."`` (ISO 20022) or ``","`` (SWIFT, where the comma
    is required).  The amount must fit the currency's minor units exactly and a
    statement line's size (docs/ledger.md, "Limits").
    """
    written = (text or "").strip()
    match = _AMOUNT[decimal_mark].fullmatch(written) if len(written) <= _MAX_AMOUNT_CHARS else None
    if match is None:
        raise Bad(
            f"{shown(written)} is not an amount (digits with a decimal "
            f"{'point' if decimal_mark == '.' else 'comma'}, e.g. {_EXAMPLE[decimal_mark]})"
        )
    whole, fraction = match.group(1), match.group(2) or ""
    value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    exp = CURRENCIES.get(code, (len(fraction),))[0]
    if len(fraction) > exp or len(whole) + exp > MAX_LINE_DIGITS:  # else it surely fits
        try:
            to_minor(value, exp)
        except MoneyError as exc:
            raise Bad(f"{exc} ({code})") from None
    return value


def sign(value: Decimal, money_in: bool) -> Decimal:
    """``value`` signed the provider contract's way: positive is money in."""
    return value if money_in else -value


def currency(text: str | None) -> str:
    """An ISO 4217 code as written (three capital letters)."""
    code = (text or "").strip()
    if not _CURRENCY.fullmatch(code):
        raise Bad(f"{shown(code)} is not a currency code (three capital letters, e.g. EUR)")
    return code


@lru_cache(maxsize=1024)  # a statement's entries share a few dozen dates
def iso_date(text: str | None) -> dt.date:
    """The date an ISO 20022 ``Dt`` or ``DtTm`` writes, its date part as written.

    A time and a zone after the date are not moved into another day: the
    bank's date is the one it wrote.
    """
    written = (text or "").strip()
    match = _ISO_DATE.match(written)
    rest = written[10:]
    if match is not None and (not rest or rest[0] in "T+-Z"):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise Bad(f"{shown(written)} is not a date (YYYY-MM-DD)")


def iban(text: str | None) -> str | None:
    """An IBAN without the spaces of its printed form, in capitals; None when blank."""
    compact = "".join((text or "").split()).upper()
    return compact or None


def one_line(parts: Iterable[str | None]) -> str:
    """Texts joined by one space: line breaks, runs of blanks and control characters
    become one space, and blank parts are left out."""
    text = " ".join(part for part in parts if part)
    if not text.isprintable():
        text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def clean(text: str | None) -> str | None:
    """One text as :func:`one_line` makes it; None when blank."""
    if text is None or (text.isprintable() and "  " not in text and text == text.strip()):
        return text or None  # as it nearly always is, and finding that out is quick
    return one_line([text]) or None


def canonical(payload: Any) -> str:
    """The raw payload's text: compact JSON with sorted keys, non-ASCII as is."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
