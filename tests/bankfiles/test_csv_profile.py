"""CSV profiles: what a valid one holds, each refusal's sentence, and the JSON round trip."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.bankfiles.csv_profile import (
    DECIMALS,
    MAX_COLUMN,
    THOUSANDS,
    CsvProfile,
    ProfileError,
)
from booksync.errors import BooksyncError

BASE: dict[str, Any] = {
    "name": "Example bank",
    "date": "Date",
    "label": ["Text"],
    "amount": "Amount",
    "currency_default": "EUR",
}


def _profile(**changes: Any) -> CsvProfile:
    return CsvProfile.from_json({**BASE, **changes})


def test_to_json_has_every_field_as_a_plain_value() -> None:
    profile = _profile(label=["Text", 4], delimiter=";", decimal=",", thousands=".")
    assert profile.to_json() == {
        "name": "Example bank",
        "date": "Date",
        "label": ["Text", 4],
        "amount": "Amount",
        "debit": None,
        "credit": None,
        "value_date": None,
        "partner": None,
        "iban": None,
        "reference": None,
        "transaction_id": None,
        "currency": None,
        "balance": None,
        "delimiter": ";",
        "quotechar": '"',
        "encoding": "utf-8",
        "skip_rows": 0,
        "skip_footer": 0,
        "header": True,
        "date_format": "%Y-%m-%d",
        "decimal": ",",
        "thousands": ".",
        "negate": False,
        "currency_default": "EUR",
    }
    assert CsvProfile.from_json(json.loads(json.dumps(profile.to_json()))) == profile


def test_one_label_column_may_be_given_alone() -> None:
    assert _profile(label="Text").label == ("Text",)
    assert _profile(label=3).label == (3,)


def test_debit_and_credit_columns_instead_of_an_amount() -> None:
    profile = _profile(amount=None, debit="Out", credit="In")
    assert (profile.amount, profile.debit, profile.credit) == (None, "Out", "In")


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"name": " "}, "CSV profile: name: must be a one-line text of 1 to 200 characters"),
        ({"name": "a\nb"}, "CSV profile: name: must be a one-line text of 1 to 200 characters"),
        ({"date": None}, "CSV profile: date: is missing"),
        ({"label": []}, "CSV profile: label: must name 1 to 10 columns"),
        ({"label": None}, "CSV profile: label: is missing"),
        ({"amount": None}, "CSV profile: debit: is needed when there is no amount column"),
        (
            {"amount": None, "debit": "Out"},
            "CSV profile: credit: is needed when there is no amount column",
        ),
        (
            {"debit": "Out", "credit": "In"},
            "CSV profile: amount: give an amount column or debit and credit columns, not both",
        ),
        (
            {"amount": None, "debit": "Out", "credit": "Out"},
            "CSV profile: credit: must be another column than debit",
        ),
        ({"amount": 0}, "CSV profile: amount: column 0 is not a number from 1 to 1000"),
        ({"amount": True}, "CSV profile: amount: must be a column's name or its number"),
        ({"amount": 1.5}, "CSV profile: amount: must be a column's name or its number"),
        ({"partner": " "}, "CSV profile: partner: ' ' is not a column's name"),
        ({"label": ["Text", ""]}, "CSV profile: label: '' is not a column's name"),
        (
            {"header": False},
            "CSV profile: date: columns are numbers when the file has no header row",
        ),
        ({"header": "yes"}, "CSV profile: header: must be true or false"),
        ({"negate": 1}, "CSV profile: negate: must be true or false"),
        (
            {"delimiter": ";;"},
            "CSV profile: delimiter: ';;': must be one character other than a letter, "
            "a digit or a line break",
        ),
        (
            {"quotechar": "\n"},
            "CSV profile: quotechar: '\\n': must be one character other than a letter, "
            "a digit or a line break",
        ),
        ({"quotechar": ","}, "CSV profile: quotechar: must differ from the delimiter"),
        (
            {"encoding": "klingon"},
            "CSV profile: encoding: 'klingon' is not a known encoding that writes the CSV's "
            "punctuation as ASCII (e.g. utf-8, utf-8-sig, cp1252, latin-1)",
        ),
        (
            {"encoding": "utf-16"},
            "CSV profile: encoding: 'utf-16' is not a known encoding that writes the CSV's "
            "punctuation as ASCII (e.g. utf-8, utf-8-sig, cp1252, latin-1)",
        ),
        (
            {"encoding": "rot13"},
            "CSV profile: encoding: 'rot13' is not a known encoding that writes the CSV's "
            "punctuation as ASCII (e.g. utf-8, utf-8-sig, cp1252, latin-1)",
        ),
        ({"skip_rows": -1}, "CSV profile: skip_rows: must be a whole number from 0 to 1000"),
        ({"skip_footer": "1"}, "CSV profile: skip_footer: must be a whole number from 0 to 1000"),
        ({"decimal": ";"}, "CSV profile: decimal: ';' is not '.' or ','"),
        (
            {"thousands": "_"},
            "CSV profile: thousands: '_' is not one of ',', '.', ' ', \"'\" or ''",
        ),
        ({"thousands": "."}, "CSV profile: thousands: must differ from the decimal separator"),
        ({"date_format": "%m/%Y"}, "CSV profile: date_format: '%m/%Y' has no day (%d)"),
        ({"date_format": "%d.%Y"}, "CSV profile: date_format: '%d.%Y' has no month (%m, %b)"),
        (
            {"date_format": "%d.%m.%%Y"},
            "CSV profile: date_format: '%d.%m.%%Y' has no year (%Y, %y)",
        ),
        (
            {"date_format": "%d.%m.%Y %d"},
            "CSV profile: date_format: '%d.%m.%Y %d' does not read back the dates it writes",
        ),
        (
            {"date_format": 7},
            "CSV profile: date_format: must be a strptime format such as %d.%m.%Y",
        ),
        (
            {"currency_default": "eur"},
            "CSV profile: currency_default: 'eur' is not a currency code",
        ),
        (
            {"currency_default": None},
            "CSV profile: currency_default: is needed when no column gives the currency",
        ),
        ({"colour": "blue"}, "CSV profile: colour: is not a field of a CSV profile"),
    ],
)
def test_refusals_name_the_field(changes: dict[str, Any], sentence: str) -> None:
    with pytest.raises(ProfileError) as caught:
        _profile(**changes)
    assert str(caught.value) == sentence
    assert caught.value.code == "invalid"
    field = sentence.split(": ")[1]
    assert caught.value.field == field


def test_a_profile_is_a_json_object() -> None:
    with pytest.raises(ProfileError) as caught:
        CsvProfile.from_json(["name", "date"])
    assert str(caught.value) == "CSV profile: must be a JSON object of fields"


def test_the_constructor_checks_too() -> None:
    with pytest.raises(ProfileError, match="thousands: must differ"):
        CsvProfile(name="x", date=1, label=(2,), amount=3, header=False, decimal=",",
                   thousands=",", currency_default="EUR")


def test_no_header_means_numbered_columns() -> None:
    profile = _profile(header=False, date=1, label=[2, 3], amount=4)
    assert profile.columns() == {"date": 1, "amount": 4, "label 1": 2, "label 2": 3}


# -- round trip ---------------------------------------------------------------------------

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1,
                max_size=20).filter(lambda text: bool(text.strip()) and text.isprintable())
codes = st.from_regex(r"[A-Z]{3}", fullmatch=True)


@st.composite
def profiles(draw: st.DrawFn) -> CsvProfile:
    header = draw(st.booleans())
    column = st.integers(1, MAX_COLUMN) | names if header else st.integers(1, MAX_COLUMN)
    optional = st.none() | column
    single = draw(st.booleans())
    debit, credit = (None, None) if single else draw(
        st.tuples(column, column).filter(lambda pair: pair[0] != pair[1])
    )
    decimal = draw(st.sampled_from(DECIMALS))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    currency = draw(optional)
    return CsvProfile(
        name=draw(names),
        date=draw(column),
        label=tuple(draw(st.lists(column, min_size=1, max_size=10))),
        amount=draw(column) if single else None,
        debit=debit,
        credit=credit,
        value_date=draw(optional),
        partner=draw(optional),
        iban=draw(optional),
        reference=draw(optional),
        transaction_id=draw(optional),
        currency=currency,
        balance=draw(optional),
        delimiter=delimiter,
        quotechar=draw(st.sampled_from(['"', "'", "`"]).filter(lambda q: q != delimiter)),
        encoding=draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "iso8859_15"])),
        skip_rows=draw(st.integers(0, 1000)),
        skip_footer=draw(st.integers(0, 1000)),
        header=header,
        date_format=draw(st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%y", "%d %b %Y"])),
        decimal=decimal,
        thousands=draw(st.sampled_from([t for t in THOUSANDS if t != decimal])),
        negate=draw(st.booleans()),
        currency_default=draw(codes) if currency is None else draw(st.none() | codes),
    )


@settings(deadline=None, derandomize=True)
@given(profiles())
def test_json_round_trip(profile: CsvProfile) -> None:
    stored = json.dumps(profile.to_json())
    assert CsvProfile.from_json(json.loads(stored)) == profile


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2000) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
FIELDS = [field.name for field in dataclasses.fields(CsvProfile)]


@settings(deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from([*FIELDS, "other"]), json_values, max_size=12))
def test_any_json_gives_a_profile_or_the_field_that_is_wrong(data: dict[str, Any]) -> None:
    try:
        profile = CsvProfile.from_json({**BASE, **data})
    except BooksyncError as exc:
        assert isinstance(exc, ProfileError)
        assert exc.field in [*FIELDS, "other", ""]
    else:
        assert CsvProfile.from_json(profile.to_json()) == profile
