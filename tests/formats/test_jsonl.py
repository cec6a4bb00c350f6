"""JSON Lines entries: parsing, line numbers in errors, amounts, round trip."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.formats.jsonl import dump_entry, parse_entry, read_entries
from booksync.ledger.entries import EntryInput, LineInput
from booksync.ledger.errors import InvalidEntry


def good(**over: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "journal": "SAL", "date": "2026-01-31", "ref": "INV/001",
        "lines": [
            {"account": "1100", "debit": "150.00", "credit": "0", "partner": "Bob",
             "label": "Invoice"},
            {"account": "4000", "credit": "150"},
        ],
    }
    obj.update(over)
    return obj


def stream(*lines: str) -> io.BytesIO:
    return io.BytesIO("".join(line + "\n" for line in lines).encode())


def test_parse_entry() -> None:
    e = parse_entry(good())
    assert e == EntryInput(
        "SAL", dt.date(2026, 1, 31),
        (LineInput("1100", Decimal("150.00"), Decimal(0), "Bob", "Invoice"),
         LineInput("4000", Decimal(0), Decimal("150"), None, None)),
        "INV/001",
    )


def test_numbers_and_codes() -> None:
    e = parse_entry(good(lines=[{"account": 1100, "debit": 12.5}, {"account": "4000",
                                                                    "credit": 12}]))
    assert e.lines[0].account == "1100"
    assert e.lines[0].debit == Decimal("12.5")
    assert e.lines[1].credit == Decimal(12)
    assert parse_entry(good(lines=[{"account": "1", "debit": 0.1}])).lines[0].debit == Decimal(
        "0.1")


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ([], "JSON object"),
        ("text", "JSON object"),
        (good(journal=None), '"journal" is missing'),
        (good(journal=""), '"journal" is missing'),
        (good(date=None), '"date" is missing'),
        (good(date="31/01/2026"), "not YYYY-MM-DD"),
        (good(lines=[]), "non-empty list"),
        (good(lines={"account": "1"}), "non-empty list"),
        (good(lines=["1100"]), "entry line 1 must be an object"),
        (good(lines=[{"debit": "1"}]), '"account" is missing'),
        (good(lines=[{"account": True}]), '"account" is missing'),
        (good(lines=[{"account": "1", "debit": "abc"}]), "entry line 1 debit"),
        (good(lines=[{"account": "1"}, {"account": "2", "credit": True}]),
         "entry line 2 credit"),
        (good(lines=[{"account": "1", "debit": 1.0000000000000002}]), "decimal string"),
        (good(lines=[{"account": "1", "debit": 1e20}]), "decimal string"),
        (good(lines=[{"account": "1", "partner": 7}]), "partner must be a string"),
        (good(ref=5), "ref must be a string"),
    ],
)
def test_bad_entries(obj: Any, fragment: str) -> None:
    with pytest.raises(InvalidEntry) as info:
        parse_entry(obj)
    assert fragment in str(info.value)


def test_read_entries_numbers_lines_and_skips_blanks() -> None:
    data = stream(json.dumps(good()), "", "   ", json.dumps(good(journal="PUR")))
    got = list(read_entries(data))
    assert [n for n, _ in got] == [1, 4]
    assert [e.journal for _, e in got] == ["SAL", "PUR"]


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [("{oops", "not valid JSON"), ('{"journal": "SAL"}', '"date" is missing'), ("[]", "object")],
)
def test_errors_name_the_line(bad: str, fragment: str) -> None:
    data = stream(json.dumps(good()), "", bad, json.dumps(good()))
    reader = read_entries(data)
    assert next(reader)[0] == 1
    with pytest.raises(InvalidEntry) as info:
        next(reader)
    assert str(info.value).startswith("line 3: ")
    assert fragment in str(info.value)


amount = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False,
                     allow_infinity=False)
lines_st = st.lists(
    st.builds(LineInput, account=st.sampled_from(["1000", "4000", "6100"]), debit=amount,
              credit=amount, partner=st.one_of(st.none(), st.text(min_size=1, max_size=8)),
              label=st.one_of(st.none(), st.text(min_size=1, max_size=20))),
    min_size=1, max_size=4,
)


@settings(max_examples=50, deadline=None)
@given(
    lines=lines_st,
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    ref=st.one_of(st.none(), st.text(max_size=20)),
)
def test_dump_then_read_round_trips(lines: list[LineInput], day: dt.date, ref: str | None) -> None:
    original = EntryInput("MISC", day, tuple(lines), ref)
    raw = dump_entry(original)
    assert b"\n" not in raw
    ((number, back),) = list(read_entries(io.BytesIO(raw + b"\n")))
    assert number == 1
    assert back == original
