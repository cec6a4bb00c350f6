"""Converting rounds once, half-even, to the company currency's minor unit: the
product of amount and rate is exact first, whatever its number of digits
(docs/banking.md, "Exchange rates")."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.ledger.models import Company
from booksync.ledger.rates import convert, set_rate

D = dt.date
DAY = D(2026, 3, 2)


def _exact(amount_minor: int, foreign_exp: int, rate: str, company_exp: int) -> int:
    value = Decimal(amount_minor).scaleb(-foreign_exp) * Decimal(rate)  # checked exact below
    assert len(value.as_tuple().digits) < 28
    return int(value.scaleb(company_exp).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@pytest.mark.parametrize(
    ("amount_minor", "rate", "booked"),
    [
        # 9,876,543.21 USD x 0.49999993520000000081 = 4,938,270.9650000000000000000001:
        # a hair above the half cent, so up; rounding the product to 28 digits
        # first made it an exact tie, and half-even took it down to .96.
        (987654321, "0.49999993520000000081", 493827097),
        (-987654321, "0.49999993520000000081", -493827097),
        (123456789123, "0.07856677590113158187", 9699601885),
        (1005, "0.5", 502),  # 10.05 USD x 0.5 = 5.025: the even cent
        (1015, "0.5", 508),  # 10.15 USD x 0.5 = 5.075: the even cent
        (-1005, "0.5", -502),
    ],
)
def test_a_conversion_rounds_once_from_the_exact_product(
    session: Session, company: Company, amount_minor: int, rate: str, booked: int
) -> None:
    set_rate(session, company, "USD", DAY, rate)
    assert convert(session, company, amount_minor, "USD", DAY) == booked


@pytest.mark.parametrize(
    ("currency", "amount_minor", "rate", "booked"),
    [
        ("JPY", 1005, "150.5", 1513),  # 10.05 USD = 1,512.525 JPY: 1,513 (no minor unit)
        ("JPY", 1000, "150.25", 1502),  # 10.00 USD = 1,502.5 JPY: the even yen
        ("BHD", 1005, "0.377", 3789),  # 10.05 USD = 3.78885 BHD: 3.789 (three places)
        ("BHD", 250, "0.377", 942),  # 2.50 USD = 0.9425 BHD: the even fils, 0.942
    ],
)
def test_the_company_currencys_own_minor_unit(
    session: Session, currency: str, amount_minor: int, rate: str, booked: int
) -> None:
    mine: Company = create_company(session, f"Co {currency}", currency, "BH")
    set_rate(session, mine, "USD", DAY, rate)
    exp = mine.currency.exponent
    assert convert(session, mine, amount_minor, "USD", DAY) == _exact(amount_minor, 2, rate, exp)
    assert convert(session, mine, amount_minor, "USD", DAY) == booked


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount_minor=st.integers(min_value=-(10**13), max_value=10**13).filter(bool),
    digits=st.integers(min_value=10**15, max_value=10**20 - 1),
    shift=st.integers(min_value=-21, max_value=-19),
)
def test_any_long_rate_rounds_like_the_exact_product(
    session: Session, company: Company, amount_minor: int, digits: int, shift: int
) -> None:
    rate = Decimal(digits).scaleb(shift)  # 16 to 20 digits, about 0.0001 to 10
    set_rate(session, company, "USD", DAY, rate)
    with localcontext() as exact:
        exact.prec = 60
        want = (Decimal(amount_minor) * rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    if want:
        assert convert(session, company, amount_minor, "USD", DAY) == int(want)
