"""Money: Decimal <-> integer minor units, exactly, or an error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.money import (
    CURRENCIES,
    MoneyError,
    exponent,
    format_minor,
    parse_amount,
    to_decimal,
    to_minor,
)


@pytest.mark.parametrize(
    ("amount", "exp", "minor"),
    [
        ("150", 0, 150),
        ("0", 0, 0),
        ("-7", 0, -7),
        ("1.00", 0, 1),  # trailing zeros are not extra decimals
        ("12.34", 2, 1234),
        ("12.3", 2, 1230),
        ("12.300", 2, 1230),
        ("-0.05", 2, -5),
        ("1_000.50", 2, 100050),
        (" 3.5 ", 2, 350),
        ("1.234", 3, 1234),
        ("0.001", 3, 1),
        ("-2.5", 3, -2500),
        (Decimal("99.99"), 2, 9999),
        (42, 2, 4200),
        ("", 2, 0),
    ],
)
def test_to_minor(amount: str | int | Decimal, exp: int, minor: int) -> None:
    assert to_minor(amount, exp) == minor
    assert isinstance(to_minor(amount, exp), int)


@pytest.mark.parametrize(
    ("amount", "exp"),
    [("1.5", 0), ("0.1", 0), ("12.345", 2), ("0.001", 2), ("1.2345", 3), ("-0.0001", 3)],
)
def test_to_minor_refuses_extra_decimals(amount: str, exp: int) -> None:
    with pytest.raises(MoneyError, match=f"more than {exp} decimal places"):
        to_minor(amount, exp)


def test_to_minor_never_rounds_a_long_fraction_away() -> None:
    # 32 significant digits: more than Decimal's default context precision (28).
    # Rounding it to 1.00 would silently lose a fraction.
    with pytest.raises(MoneyError):
        to_minor("1.0000000000000000000000000000001", 2)


@pytest.mark.parametrize("value", [1.5, 0.1, 100.0, True, False])
def test_floats_and_bools_are_refused(value: object) -> None:
    with pytest.raises(MoneyError):
        to_minor(value, 2)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        parse_amount(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["abc", "1,50", "12.3.4", "NaN", "Infinity", "-inf", "1e", " "])
def test_garbage_is_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text)
    with pytest.raises(MoneyError):
        to_minor(text, 2)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_decimals_are_refused_as_money_errors(value: Decimal) -> None:
    with pytest.raises(MoneyError):
        to_minor(value, 2)


@pytest.mark.parametrize(
    ("minor", "exp", "text"),
    [
        (150, 0, "150"),
        (0, 0, "0"),
        (-3, 0, "-3"),
        (15000, 2, "150.00"),
        (5, 2, "0.05"),
        (-5, 2, "-0.05"),
        (0, 2, "0.00"),
        (1234, 3, "1.234"),
        (1, 3, "0.001"),
        (1000, 3, "1.000"),
        (-1000, 3, "-1.000"),
    ],
)
def test_format_minor_and_to_decimal(minor: int, exp: int, text: str) -> None:
    assert format_minor(minor, exp) == text
    value = to_decimal(minor, exp)
    assert isinstance(value, Decimal)
    assert value == Decimal(text)
    # always exactly ``exp`` places
    assert value.as_tuple().exponent == -exp


def test_exponents_follow_iso_4217() -> None:
    assert exponent("EUR") == 2
    assert exponent("usd") == 2
    assert exponent("JPY") == 0
    assert exponent("BHD") == 3
    assert exponent("KWD") == 3
    with pytest.raises(MoneyError, match="unknown currency"):
        exponent("XXX")
    assert all(exp in (0, 2, 3, 4) for exp, _ in CURRENCIES.values())


@settings(deadline=None)
@given(minor=st.integers(min_value=1 - 10**15, max_value=10**15 - 1),
       exp=st.sampled_from([0, 2, 3]))
def test_round_trip(minor: int, exp: int) -> None:
    assert to_minor(to_decimal(minor, exp), exp) == minor
    assert to_minor(format_minor(minor, exp), exp) == minor


@settings(deadline=None)
@given(
    value=st.decimals(allow_nan=False, allow_infinity=False, places=4,
                      min_value=-(10**9), max_value=10**9),
    exp=st.sampled_from([0, 2, 3]),
)
def test_to_minor_is_exact_or_refuses(value: Decimal, exp: int) -> None:
    if value == value.quantize(Decimal(1).scaleb(-exp)):
        assert to_decimal(to_minor(value, exp), exp) == value
    else:
        with pytest.raises(MoneyError):
            to_minor(value, exp)


# --- bounds checked before any arithmetic (docs/ledger.md, "Limits") ------------------------


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1e-999999999", "out of range: at most 30 decimal places"),
        (Decimal("1e-999999999"), "out of range: at most 30 decimal places"),
        (Decimal("0e-999999999"), "out of range"),
        ("1e31", "out of range"),
        ("1" * 31, "has more than 30 digits"),
        ("1" * 101, "is longer than 100 characters"),
    ],
)
def test_sizes_beyond_the_bounds_are_refused_before_any_arithmetic(
    value: str | Decimal, fragment: str
) -> None:
    with pytest.raises(MoneyError, match=fragment):
        to_minor(value, 2)


def test_a_line_amount_has_at_most_fifteen_digits_of_minor_units() -> None:
    assert to_minor("9999999999999.99", 2) == 10**15 - 1
    assert to_minor("999999999999999", 0) == 10**15 - 1
    with pytest.raises(MoneyError, match=r"too large: a line holds at most 9999999999999\.99$"):
        to_minor("10000000000000", 2)
    with pytest.raises(MoneyError, match=r"too large: a line holds at most 999999999999999$"):
        to_minor("-1000000000000000", 0)
    assert to_minor("0e30", 2) == 0  # zero at any allowed power of ten
