"""Entries as JSON Lines: one entry per line.

``{"journal": "SAL", "date": "2026-01-31", "ref": "INV/001",
"lines": [{"account": "1100", "debit": "150.00", "credit": "0",
"partner": "Bob", "label": "..."}]}``

A line may also state its amount in a foreign currency:
``"currency": "USD", "amount_currency": "-100.00"`` (signed like its side).

Amounts should be decimal strings.  A JSON number is read exactly as the
file writes it: the fast decoder reads numbers as floats, which round long
ones and turn ``1e-999999999`` into ``0.0``, so a line holding one is
decoded again with numbers as ``Decimal`` and bounded like any amount.
Blank lines are skipped; every error names its line number.

:func:`read_prepared` is the bulk path: it resolves the common shape of a
line (amounts as plain decimal strings, known codes, no foreign currency)
straight from the decoded JSON to a :class:`PreparedEntry`, skipping the
``Decimal`` and input objects that dominate the Python time of a big import.
Anything else, and anything wrong, goes through :func:`parse_entry` and
:func:`booksync.ledger.entries.prepare`, so the rules and the error messages
live in one place: the fast path only ever accepts what that path accepts,
with the same result.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import orjson

from booksync.ledger.entries import (
    EntryInput,
    LineInput,
    PreparedEntry,
    PreparedLine,
    Resolver,
    prepare,
)
from booksync.ledger.errors import InvalidEntry
from booksync.ledger.limits import MAX_JSONL_LINE, MAX_TEXT, text_ok
from booksync.money import MAX_DIGITS, MoneyError, parse_amount

ZERO = Decimal(0)
T = TypeVar("T")


def _amount(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        return ZERO
    if isinstance(value, bool):
        raise InvalidEntry(f"{field} must be an amount, not {value!r}")
    if isinstance(value, float):
        raise _InexactNumber(f"{field} {value!r} must be written as a decimal string")
    try:
        return parse_amount(value)
    except MoneyError as exc:
        raise InvalidEntry(f"{field}: {exc}") from None


class _InexactNumber(InvalidEntry):
    """An amount decoded as a float: the line readers decode its line again exactly.

    To a caller of :func:`parse_entry` with floats in hand it is an ordinary
    refusal: a float cannot say which decimal the file held.
    """


def _exactly(parse: Callable[[Any], T], obj: Any, raw: bytes) -> T:
    """``parse(obj)``, or ``parse`` of ``raw`` decoded with its numbers as ``Decimal``."""
    try:
        return parse(obj)
    except _InexactNumber:
        return parse(json.loads(raw, parse_float=Decimal))


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


def _lines(stream: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of ``stream``, none longer than ``MAX_JSONL_LINE`` bytes.

    A file is read a bounded line at a time (``readline(limit)``), so even an
    endless line (``/dev/zero``) never holds more than the bound in memory.
    """
    limit = MAX_JSONL_LINE + 1  # the newline ends a line but is not part of it
    readline = getattr(stream, "readline", None)
    lines = iter(lambda: readline(limit), b"") if readline is not None else iter(stream)
    for number, raw in enumerate(lines, 1):
        if len(raw) >= limit and (len(raw) > limit or not raw.endswith(b"\n")):
            raise InvalidEntry(f"line {number} is longer than {MAX_JSONL_LINE} bytes")
        yield raw


def _objects(stream: Iterable[bytes]) -> Iterator[tuple[int, Any, bytes]]:
    """``(line number, decoded JSON, the line)`` for each non-blank line."""
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    for number, raw in enumerate(_lines(stream), 1):
        if not raw or raw.isspace():
            continue
        try:
            obj = loads(raw)
        except decode_error as exc:
            raise InvalidEntry(f"line {number}: not valid JSON ({exc})") from None
        yield number, obj, raw


def read_entries(stream: Iterable[bytes]) -> Iterator[tuple[int, EntryInput]]:
    """``(line number, entry)`` for each non-blank line of a JSONL byte stream."""
    for number, obj, raw in _objects(stream):
        try:
            entry = _exactly(parse_entry, obj, raw)
        except InvalidEntry as exc:
            raise InvalidEntry(f"line {number}: {exc}") from None
        yield number, entry


def read_prepared(
    stream: Iterable[bytes], resolver: Resolver
) -> Iterator[tuple[int, PreparedEntry]]:
    """``(line number, prepared entry)`` for each non-blank line, for bulk imports.

    The same entries, checked by the same rules, as :func:`read_entries`
    followed by :func:`prepare`, in about half the time.
    """
    for number, obj, raw in _objects(stream):
        try:
            entry = _exactly(partial(prepare_object, resolver), obj, raw)
        except InvalidEntry as exc:
            raise type(exc)(f"line {number}: {exc}") from None
        yield number, entry


def read_prepared_file(path: Path, resolver: Resolver) -> Iterator[tuple[int, PreparedEntry]]:
    """:func:`read_prepared` over a file, opened where it is read (an import's producer)."""
    with path.open("rb") as stream:
        yield from read_prepared(stream, resolver)


def prepare_object(resolver: Resolver, obj: Any) -> PreparedEntry:
    """One decoded JSON object, resolved and checked like ``prepare(parse_entry(obj))``."""
    fast = _prepare_common(resolver, obj)
    return fast if fast is not None else prepare(resolver, parse_entry(obj))


_POW10: tuple[int, ...] = tuple(10**n for n in range(MAX_DIGITS + 1))


def _plain_minor(value: Any, exp: int) -> int | None:
    """A plain decimal string (``"1234.5"``) in minor units; ``None`` for any other form.

    Only unsigned ASCII digits with at most ``exp`` decimals are taken, so
    the result is exact and non-negative; everything else (signs, spaces,
    exponents, JSON numbers, too many decimals) is left to the full path.
    """
    if value is None or value == "" or value == "0":  # the empty side of half of all lines
        return 0
    if type(value) is not str:
        return None
    whole, dot, frac = value.partition(".")
    if not (whole.isascii() and whole.isdigit()) or len(whole) + exp > MAX_DIGITS:
        return None  # too long: the full path says whether it fits
    if not dot:
        return int(whole) * _POW10[exp]
    if not frac or len(frac) > exp or not (frac.isascii() and frac.isdigit()):
        return None
    return int(whole) * _POW10[exp] + int(frac) * _POW10[exp - len(frac)]


def _prepare_common(resolver: Resolver, obj: Any) -> PreparedEntry | None:
    """The entry, if it has the common shape and breaks no rule; else ``None``.

    ``None`` sends the object down the full path, which either accepts it
    or raises the error that names what is wrong.
    """
    if type(obj) is not dict:
        return None
    journal, raw_date, ref, raw_lines = (
        obj.get("journal"),
        obj.get("date"),
        obj.get("ref"),
        obj.get("lines"),
    )
    if type(journal) is not str or type(raw_date) is not str or type(raw_lines) is not list:
        return None
    journal_id = resolver.journals.get(journal)
    if journal_id is None or not raw_lines:
        return None
    if ref is not None and (type(ref) is not str or not text_ok(ref)):
        return None
    try:
        date = dt.date.fromisoformat(raw_date)
    except ValueError:
        return None
    exp = resolver.exponent
    accounts, partners = resolver.accounts, resolver.partners
    lines = []
    for raw in raw_lines:
        if type(raw) is not dict:
            return None
        account = raw.get("account")
        found = accounts.get(account) if type(account) is str else None
        if found is None or not found[1]:
            return None
        debit = _plain_minor(raw.get("debit"), exp)
        credit = _plain_minor(raw.get("credit"), exp)
        if debit is None or credit is None or (debit and credit):
            return None
        partner, label = raw.get("partner"), raw.get("label")
        if partner is None or partner == "":
            partner_id = None
        elif type(partner) is str and partner in partners:
            partner_id = partners[partner]
        else:
            return None
        if (
            label is not None
            # inline: the common label, printable and short, without a call per line
            and not (type(label) is str and len(label) <= MAX_TEXT and label.isprintable())
            and (type(label) is not str or not text_ok(label))
        ):
            return None
        if raw.get("currency") is not None or raw.get("amount_currency") is not None:
            return None
        lines.append(PreparedLine(found[0], debit, credit, partner_id, label or None))
    return PreparedEntry(journal_id, date, (ref.strip() or None) if ref else None, lines)


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
