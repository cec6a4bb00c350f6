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
import gc
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson

from booksync.ledger.limits import MAX_LINE_DIGITS, shown
from booksync.money import CURRENCIES, MoneyError, to_minor

__all__ = [
    "Bad",
    "all_of",
    "amount",
    "canonical",
    "clean",
    "collector_paused",
    "currency",
    "iban",
    "iso_date",
    "local_name",
    "node_at",
    "one_line",
    "sign",
    "text_at",
    "xml_values",
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


# -- an XML element as plain values, which raw payloads are made of ------------------------


def local_name(tag: str, names: dict[str, str]) -> str:
    """``tag``'s local name (``{urn:...}Ntry`` -> ``Ntry``), from and into ``names``."""
    local = names.get(tag)
    if local is None:
        local = tag.rpartition("}")[2]
        if len(names) < 512:  # made-up names cannot make the memory grow
            names[tag] = local
    return local


def xml_values(el: ET.Element, names: dict[str, str], max_depth: int, depth: int = 0) -> Any:
    """``el`` as plain values: a leaf as its text (with attributes, ``{"@Ccy": "EUR",
    "#text": "12.50"}``), else a dict of its children by local name, a repeated one as a
    list.  Deeper than ``max_depth`` is refused: no statement nests that deep."""
    if not len(el):
        text = el.text.strip() if el.text else ""
        return _attributes(attrs, names, {"#text": text}) if (attrs := el.items()) else text
    if depth > max_depth:
        raise Bad(f"elements nest deeper than {max_depth}")
    node: dict[str, Any] = {}
    for child in el:
        tag = child.tag
        key = names.get(tag) or local_name(tag, names)
        if len(child):
            value = xml_values(child, names, max_depth, depth + 1)
        else:  # the same as above, without a call: most elements are leaves
            value = child.text.strip() if child.text else ""
            if attrs := child.items():
                value = _attributes(attrs, names, {"#text": value})
        old = node.get(key)
        if old is None:
            node[key] = value
        elif type(old) is list:
            old.append(value)
        else:
            node[key] = [old, value]
    return _attributes(attrs, names, node) if (attrs := el.items()) else node


def _attributes(attrs: Iterable[tuple[str, str]], names: dict[str, str],
                node: dict[str, Any]) -> dict[str, Any]:
    node.update(("@" + local_name(k, names), v) for k, v in attrs)
    return node


def node_at(node: Any, *keys: str) -> dict[str, Any] | None:
    """The element at ``keys`` below ``node`` in :func:`xml_values`' form (the first of
    repeated ones), unless it is a leaf or absent."""
    for key in keys:
        node = node.get(key) if type(node) is dict else None
        if type(node) is list:
            node = node[0]
    return node if type(node) is dict else None


def text_at(node: Any, *keys: str) -> str | None:
    """The text at ``keys`` below ``node`` (the first of repeated ones); None when it is
    absent or blank."""
    for key in keys:
        node = node.get(key) if type(node) is dict else None
        if type(node) is list:
            node = node[0]
    if type(node) is dict:
        node = node.get("#text")
    return (node or None) if type(node) is str else None


def all_of(node: Any, key: str) -> list[Any]:
    """Every ``key`` below ``node``: none, one or the repeated ones."""
    value = node.get(key) if type(node) is dict else None
    return [] if value is None else value if type(value) is list else [value]


def canonical(payload: Any) -> str:
    """The raw payload's text: compact JSON with sorted keys, non-ASCII as is."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused, as it was before afterwards.

    A parser that makes no reference cycles pauses it while it reads: the
    collector's passes over the transactions read so far took a third of a
    100,000-entry file's time (docs/banking.md, "CAMT.053").
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
