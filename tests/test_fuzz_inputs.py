"""Arbitrary text into every parser of amounts, dates, JSONL lines and rates.

Whatever the text, a parser either reads it or raises one of the project's
user-facing errors (``MoneyError`` or a ``LedgerError``), and it does so
quickly: hypothesis's own ``deadline`` guards each example.  The strategies
mix plain text with what has broken parsers before: huge exponents, long
digit strings, NUL and other controls, unicode digits, ``NaN``, ``Infinity``,
``-0`` and digit separators.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from booksync.cli.dates import parse_date
from booksync.cli.entries import parse_line
from booksync.errors import BooksyncError
from booksync.formats.jsonl import read_entries, read_prepared
from booksync.ledger.entries import Resolver, prepare
from booksync.ledger.errors import LedgerError
from booksync.ledger.models import Company
from booksync.ledger.rates import check_rate
from booksync.money import parse_amount, to_minor

USER_ERRORS = (BooksyncError,)  # MoneyError and LedgerError among them
FAST = settings(deadline=500)

hostile_numbers = st.one_of(
    st.sampled_from(["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-0", "+0",
                     "1_000", "_1__0_", "1e-999999999", "1E+999999999", "-1e-10000000",
                     "0e-999999999", "1.", ".5", "1\x00", " 1 ",
                     "\u0663\u066b\u0661\u0664", "\u0661\u0662\u0663", "\uff11\uff12\uff13",
                     "1e", "e5", "--1", "0x10", "1/2", "9" * 40, "0." + "0" * 60 + "1"]),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-10**6, 10**6),
              st.integers(-10**12, 10**12)),
    st.text(st.sampled_from("0123456789.-+eE_ "), max_size=80),
    st.text(st.characters(categories=("Nd",)), max_size=40),  # any script's digits
    st.text(max_size=60),
)


def refuses_cleanly(call: Any, *args: Any) -> object:
    """``call(*args)``'s result, or ``None`` when it raised a user-facing error."""
    try:
        return call(*args)
    except USER_ERRORS:
        return None


@FAST
@given(hostile_numbers, st.sampled_from([0, 2, 3, 4]))
def test_amounts(text: str, exp: int) -> None:
    value = refuses_cleanly(parse_amount, text)
    minor = refuses_cleanly(to_minor, text, exp)
    if minor is not None:
        assert isinstance(value, Decimal) and isinstance(minor, int)
        assert abs(minor) < 10**15


@FAST
@given(hostile_numbers)
def test_rates(text: str) -> None:
    value = refuses_cleanly(parse_amount, text)
    if isinstance(value, Decimal):
        refuses_cleanly(check_rate, value)


@FAST
@given(st.one_of(st.text(max_size=30), st.sampled_from(
    ["2026-02-30", "2026-13-01", "99999-01-01", "2026-W01-1", "20260101", "2026-01-01\x00",
     "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661", "0000-01-01", "-2026-01-01"])))
def test_dates(text: str) -> None:
    refuses_cleanly(parse_date, text)


@FAST
@given(st.lists(hostile_numbers, min_size=1, max_size=5).map(":".join))
def test_cli_lines(spec: str) -> None:
    refuses_cleanly(parse_line, spec)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), hostile_numbers,
              st.integers(-(2**63), 2**63 - 1),
              st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def entry_like(amount: Any, **line: Any) -> dict[str, Any]:
    return {"journal": "MISC", "date": "2026-03-10", "ref": line.pop("ref", None),
            "lines": [{"account": "1200", "debit": amount, **line},
                      {"account": "3000", "credit": amount}]}


jsonl_lines = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(entry_like, json_values).map(lambda v: json.dumps(v).encode()),
    st.builds(lambda a, label, ref: entry_like(a, label=label, ref=ref), hostile_numbers,
              st.text(max_size=600), st.text(max_size=600)).map(lambda v: json.dumps(v).encode()),
)


@FAST
@given(st.lists(jsonl_lines, min_size=1, max_size=4))
def test_jsonl_lines(lines: list[bytes]) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    try:
        for _, entry in read_entries(io.BytesIO(data)):
            assert entry.lines
    except LedgerError:
        pass


@pytest.fixture
def resolver(session: Session, company: Company) -> Resolver:
    return Resolver(session, company)


@settings(deadline=500,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(jsonl_lines, min_size=1, max_size=3))
def test_jsonl_lines_through_the_bulk_path(resolver: Resolver, lines: list[bytes]) -> None:
    """What the bulk path reads, the full path reads alike; both refuse cleanly."""
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    try:
        bulk = [entry for _, entry in read_prepared(io.BytesIO(data), resolver)]
    except LedgerError:
        bulk = None
    try:
        full = [prepare(resolver, entry) for _, entry in read_entries(io.BytesIO(data))]
    except (LedgerError, ValueError):
        full = None
    if bulk is not None:
        assert full is not None and [e.lines for e in bulk] == [e.lines for e in full]
