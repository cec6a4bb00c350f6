"""Entries as JSON Lines: one entry per line.

``{"journal": "SAL", "date": "2026-01-31", "ref": "INV/001",
"lines": [{"account": "1100", "debit": "150.00", "credit": "0",
"partner": "Bob", "label": "..."}]}``

A line may also state its amount in a foreign currency:
``"currency": "USD", "amount_currency": "-100.00"`` (signed like its side).

Amounts should be decimal strings.  A JSON number is accepted when its
shortest decimal form is unambiguous (at most 15 significant digits), which
is exactly the text the file held; anything longer is refused rather than
guessed.  Blank lines are skipped; every error names its line number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import orjson

from booksync.ledger.entries import EntryInput, LineInput
from booksync.ledger.errors import InvalidEntry
from booksync.money import MoneyError, parse_amount

ZERO = Decimal(0)


def _amount(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        return ZERO
    if isinstance(value, bool):
        raise InvalidEntry(f"{field} must be an amount, not {value!r}")
    if isinstance(value, float):
        text = repr(value)
        if len(text.lstrip("-").replace(".", "").lstrip("0")) > 15 or "e" in text:
            raise InvalidEntry(f"{field} {value!r} must be written as a decimal string")
        value = text
    try:
        return parse_amount(value)
    except MoneyError as exc:
        raise InvalidEntry(f"{field}: {exc}") from None


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEntry(f"{field} must be a string")
    return value


def parse_entry(obj: Any) -> EntryInput:
    """One decoded JSON object as an entry, or a clear error."""
    if not isinstance(obj, dict):
        raise InvalidEntry("each line must be a JSON object")
    journal = obj.get("journal")
    if not isinstance(journal, str) or not journal:
        raise InvalidEntry('"journal" is missing')
    raw_date = obj.get("date")
    if not isinstance(raw_date, str):
        raise InvalidEntry('"date" is missing')
    try:
        date = dt.date.fromisoformat(raw_date)
    except ValueError:
        raise InvalidEntry(f"date {raw_date!r} is not YYYY-MM-DD") from None
    raw_lines = obj.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise InvalidEntry('"lines" must be a non-empty list')
    lines = []
    for n, raw in enumerate(raw_lines, 1):
        if not isinstance(raw, dict):
            raise InvalidEntry(f"entry line {n} must be an object")
        account = raw.get("account")
        if account is None or isinstance(account, bool):
            raise InvalidEntry(f'entry line {n}: "account" is missing')
        lines.append(
            LineInput(
                account=str(account),
                debit=_amount(raw.get("debit"), f"entry line {n} debit"),
                credit=_amount(raw.get("credit"), f"entry line {n} credit"),
                partner=_text(raw.get("partner"), f"entry line {n} partner"),
                label=_text(raw.get("label"), f"entry line {n} label"),
                currency=_text(raw.get("currency"), f"entry line {n} currency"),
                amount_currency=None
                if raw.get("amount_currency") is None
                else _amount(raw["amount_currency"], f"entry line {n} amount_currency"),
            )
        )
    return EntryInput(journal, date, tuple(lines), _text(obj.get("ref"), "ref"))


def read_entries(stream: Iterable[bytes]) -> Iterator[tuple[int, EntryInput]]:
    """``(line number, entry)`` for each non-blank line of a JSONL byte stream."""
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidEntry(f"line {number}: not valid JSON ({exc})") from None
        try:
            yield number, parse_entry(obj)
        except InvalidEntry as exc:
            raise InvalidEntry(f"line {number}: {exc}") from None


def dump_entry(entry: EntryInput) -> bytes:
    """The JSONL form of one entry (used by the demo and the benchmark)."""
    return orjson.dumps(
        {
            "journal": entry.journal,
            "date": entry.date.isoformat(),
            "ref": entry.ref,
            "lines": [
                {
                    "account": ln.account,
                    "debit": str(ln.debit),
                    "credit": str(ln.credit),
                    "partner": ln.partner,
                    "label": ln.label,
                    **(
                        {"currency": ln.currency, "amount_currency": str(ln.amount_currency)}
                        if ln.currency
                        else {}
                    ),
                }
                for ln in entry.lines
            ],
        }
    )
