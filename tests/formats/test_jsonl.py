"""JSON Lines entries: parsing, line numbers in errors, amounts, round trip."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.formats.jsonl import (
    _amount,
    _plain_minor,
    _prepare_common,
    dump_entry,
    parse_entry,
    prepare_object,
    read_entries,
    read_prepared,
)
from booksync.ledger.entries import EntryInput, LineInput, PreparedEntry, Resolver, prepare
from booksync.ledger.errors import InvalidEntry
from booksync.ledger.models import Account, Company
from booksync.ledger.partners import add_partner
from booksync.money import MoneyError, to_minor


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


def _read_one(line: str) -> EntryInput:
    ((_, entry),) = read_entries(io.BytesIO(line.encode()))
    return entry


@pytest.mark.parametrize(
    ("number", "exact"),
    [("12.5", "12.5"), ("0.1", "0.1"), ("1.0000000000000002", "1.0000000000000002"),
     ("1e20", "1E+20"), ("12345678901234567.891", "12345678901234567.891"),
     ("1e-999999999", None)],
)
def test_json_numbers_are_read_exactly_as_written(number: str, exact: str | None) -> None:
    """A float would round or underflow (``1e-999999999`` -> 0.0): the text is kept."""
    line = (f'{{"journal": "MISC", "date": "2026-01-31", "lines": [{{"account": 1100, '
            f'"debit": {number}}}, {{"account": "4000", "credit": 12}}]}}')
    if exact is None:
        with pytest.raises(InvalidEntry, match="line 1: entry line 1 debit"):
            _read_one(line)
        return
    e = _read_one(line)
    assert e.lines[0].account == "1100"
    assert str(e.lines[0].debit) == exact
    assert e.lines[1].credit == Decimal(12)



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


@settings(deadline=None)
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


# --- the bulk path: read_prepared ------------------------------------------------------


@pytest.fixture
def resolver(session: Session, company: Company) -> Resolver:
    add_partner(session, company, "Bob")
    inactive = session.scalar(
        select(Account).where(Account.company_id == company.id, Account.code == "6600")
    )
    assert inactive is not None
    inactive.active = False
    session.commit()
    return Resolver(session, company)


def slow(resolver: Resolver, obj: Any) -> PreparedEntry | str:
    """What the full path makes of ``obj``: the entry, or the error message."""
    try:
        return prepare(resolver, parse_entry(obj))
    except InvalidEntry as exc:
        return str(exc)


def test_read_prepared_is_read_entries_then_prepare(resolver: Resolver) -> None:
    floats = [{"account": 1100, "debit": 2.5}, {"account": "4000", "credit": "2.50"}]
    objs = [good(), good(journal="PUR", ref="  "), good(lines=floats)]
    data = stream(*(json.dumps(o) for o in objs)).getvalue()
    fast = list(read_prepared(io.BytesIO(data), resolver))
    full = [(n, prepare(resolver, e)) for n, e in read_entries(io.BytesIO(data))]
    assert fast == full
    assert fast[0][1].lines[0].debit == 15000


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (good(journal="NOPE"), "unknown journal 'NOPE'"),
        (good(lines=[{"account": "6600", "debit": "1"}]), "6600 is inactive"),
        (good(lines=[{"account": "1100", "debit": "-1"}]), "must not be negative"),
        (good(lines=[{"account": "1100", "debit": "1.001"}]), "more than 2 decimal places"),
        (good(lines=[{"account": "1100", "debit": "1", "credit": "1"}]), "both a debit"),
        (good(lines=[{"account": "1100", "debit": "1", "partner": "Eve"}]), "unknown partner"),
        (good(lines=[{"account": "1100", "debit": "1", "currency": "USD"}]), "needs both"),
        (good(lines=[{"account": "1100", "debit": "1", "currency": "USD",
                      "amount_currency": "-1"}]), "must have the sign of its side"),
    ],
)
def test_read_prepared_errors_name_the_line(resolver: Resolver, bad: Any, fragment: str) -> None:
    data = stream(json.dumps(good()), json.dumps(bad))
    with pytest.raises(InvalidEntry, match=f"^line 2: .*{fragment}"):
        list(read_prepared(data, resolver))


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``valid`` nine times in ten: an entry reaches the shortcut only if all of it is valid."""
    return st.integers(0, 9).flatmap(lambda n: odd if n == 0 else valid)


odd_amounts = st.one_of(
    st.sampled_from(["0.00", "007.10", "1.500", "1.5000", "-1", "+1", " 1", "1_000", "1e3",
                     ".5", "5.", "NaN", "Infinity", "1.2.3", "\u0661", "-0", "99999999999999999",
                     "9999999999999999.99", "999999999999999999", "0x10"]),
    st.decimals(min_value=-10, max_value=10**20, places=4, allow_nan=False).map(str),
    st.integers(min_value=-5, max_value=10**6),
    st.floats(min_value=-1, max_value=1e6, allow_nan=False),
    st.booleans(),
)
amount_text = mostly(
    st.one_of(st.none(), st.just(""), st.decimals(min_value=0, max_value=10**6, places=2,
                                                  allow_nan=False).map(str)),
    odd_amounts,
)
json_line = st.fixed_dictionaries(
    {"account": mostly(st.sampled_from(["1100", "4000"]), st.sampled_from(["6600", "9999", 1100,
                                                                           None, True]))},
    optional={
        "debit": amount_text,
        "credit": amount_text,
        "partner": mostly(st.sampled_from(["Bob", "", None]), st.sampled_from(["Eve", 3, False])),
        "label": mostly(st.one_of(st.none(), st.text(max_size=5)), st.integers()),
        "currency": mostly(st.none(), st.sampled_from(["USD", "usd", "XXX"])),
        "amount_currency": mostly(st.none(), st.sampled_from(["10", "-10", ""])),
    },
)
json_entry = st.fixed_dictionaries(
    {
        "journal": mostly(st.sampled_from(["SAL", "MISC"]), st.sampled_from(["NOPE", "", None, 1])),
        "date": mostly(st.just("2026-01-31"),
                       st.sampled_from(["2026-02-30", "20260131", "", None, 20260131])),
        "lines": mostly(st.lists(json_line, min_size=1, max_size=3),
                        st.one_of(st.just([]), st.none(), st.just("x"))),
    },
    optional={"ref": mostly(st.sampled_from(["INV/1", "  x  ", "   ", "", None]), st.just(7))},
)


@settings(deadline=None)
@given(value=st.one_of(amount_text, odd_amounts), exp=st.integers(min_value=0, max_value=4))
def test_plain_amounts_agree_with_the_full_path(value: Any, exp: int) -> None:
    """A plain decimal string is read exactly as parse_amount and to_minor read it."""
    try:
        expected: int | None = to_minor(_amount(value, "debit"), exp)
    except (InvalidEntry, MoneyError):
        expected = None
    got = _plain_minor(value, exp)
    assert got is None or (got == expected and got >= 0)


@settings(deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=st.one_of(json_entry, st.lists(st.integers(), max_size=2), st.none()))
def test_bulk_path_agrees_with_the_full_path(resolver: Resolver, obj: Any) -> None:
    """``prepare_object`` gives what the full path gives: the same entry or the same error."""
    expected = slow(resolver, obj)
    try:
        got: PreparedEntry | str = prepare_object(resolver, obj)
    except InvalidEntry as exc:
        got = str(exc)
    assert got == expected
    fast = _prepare_common(resolver, obj)
    assert fast is None or fast == expected  # the shortcut never accepts what the rules refuse
