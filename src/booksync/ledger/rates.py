"""Exchange rates: company-currency units for one unit of a foreign currency.

A rate is kept as its exact decimal text (it is not money and may carry
more places than any currency).  Converting rounds half-even to the company
currency's minor unit, once, at the edge: the converted integer is what is
booked.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.limits import (
    MAX_LINE_DIGITS,
    MAX_LINE_MINOR,
    MAX_RATE,
    MAX_RATE_DIGITS,
    MIN_RATE,
    shown,
)
from booksync.ledger.models import Company, Currency, ExchangeRate
from booksync.money import MoneyError, format_minor, parse_amount


def _currency(session: Session, code: str) -> Currency:
    currency = session.scalar(select(Currency).where(Currency.code == code.upper()))
    if currency is None:
        raise MoneyError(f"unknown currency {code!r}")
    return currency


def set_rate(
    session: Session, company: Company, currency: str, date: dt.date, rate: Decimal | str
) -> ExchangeRate:
    """Record (or replace) the rate of ``currency`` on ``date``."""
    try:
        value = parse_amount(rate)
    except MoneyError:
        raise LedgerError(
            f"exchange rate {shown(rate)} is not a number between {MIN_RATE:f} and {MAX_RATE:f}"
        ) from None
    check_rate(value)
    code = _currency(session, currency).code
    if code == company.currency_code:
        raise LedgerError(f"{code} is the company currency: its rate is always 1")
    row = session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.company_id == company.id,
            ExchangeRate.currency_code == code,
            ExchangeRate.date == date,
        )
    )
    if row is None:
        row = ExchangeRate(company_id=company.id, currency_code=code, date=date, rate=str(value))
        session.add(row)
    else:
        row.rate = str(value)
    session.flush()
    return row


def check_rate(value: Decimal) -> Decimal:
    """``value`` if it is a sane rate: positive, within ``MIN_RATE .. MAX_RATE``, few digits.

    A rate beyond that range is a typing mistake (no two currencies are a
    billion times apart), and it would book amounts as 0.00 or as more than
    a line can hold.
    """
    if value <= 0:
        raise LedgerError(f"an exchange rate must be positive, not {value}")
    if not MIN_RATE <= value <= MAX_RATE:
        raise LedgerError(
            f"an exchange rate must lie between {MIN_RATE:f} and {MAX_RATE:f}, not {value}"
        )
    significant = len(bytes(value.as_tuple().digits).rstrip(b"\0"))  # trailing zeros aside
    if significant > MAX_RATE_DIGITS:
        raise LedgerError(
            f"an exchange rate has at most {MAX_RATE_DIGITS} significant digits, not {significant}"
        )
    return value


def rate_at(session: Session, company: Company, currency: str, date: dt.date) -> Decimal:
    """The newest rate on or before ``date``; 1 for the company currency."""
    code = currency.upper()
    if code == company.currency_code:
        return Decimal(1)
    rate = session.scalar(
        select(ExchangeRate.rate)
        .where(
            ExchangeRate.company_id == company.id,
            ExchangeRate.currency_code == code,
            ExchangeRate.date <= date,
        )
        .order_by(ExchangeRate.date.desc())
        .limit(1)
    )
    if rate is None:
        raise NotFound(f"no {code} exchange rate on or before {date.isoformat()}")
    return Decimal(rate)


def convert(
    session: Session, company: Company, amount_minor: int, currency: str, date: dt.date
) -> int:
    """Foreign minor units -> company minor units at the rate of ``date``."""
    return RateTable(session, company, currency).convert(amount_minor, date)


def list_rates(session: Session, company: Company) -> list[ExchangeRate]:
    return list(
        session.scalars(
            select(ExchangeRate)
            .where(ExchangeRate.company_id == company.id)
            .order_by(ExchangeRate.currency_code, ExchangeRate.date)
        )
    )


class RateTable:
    """All rates of one currency, loaded once, for converting many amounts.

    A bank import converts every line of a foreign-currency account; one
    query and a bisection per line beat one query per line.
    """

    def __init__(self, session: Session, company: Company, currency: str) -> None:
        self.company = company
        self.currency = _currency(session, currency)
        self._exp = company.currency.exponent
        rows = session.execute(
            select(ExchangeRate.date, ExchangeRate.rate)
            .where(
                ExchangeRate.company_id == company.id,
                ExchangeRate.currency_code == self.currency.code,
            )
            .order_by(ExchangeRate.date)
        ).all()
        self._dates = [row[0] for row in rows]
        self._rates = [Decimal(row[1]) for row in rows]

    def convert(self, amount_minor: int, date: dt.date) -> int:
        """Foreign minor units -> company minor units at the rate of ``date``."""
        if self.currency.code == self.company.currency_code:
            return amount_minor
        index = bisect_right(self._dates, date) - 1
        if index < 0:
            raise NotFound(
                f"no {self.currency.code} exchange rate on or before {date.isoformat()}: "
                f"record one with `booksync currency rate set {self.currency.code} RATE`"
            )
        rate = self._rates[index]
        try:
            value = (Decimal(amount_minor).scaleb(-self.currency.exponent) * rate).scaleb(self._exp)
            too_large = value.adjusted() >= MAX_LINE_DIGITS  # quantize would overflow, too
        except ArithmeticError:  # a rate recorded before rates were bounded
            too_large = True
        converted = 0 if too_large else int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        if too_large or abs(converted) > MAX_LINE_MINOR:
            raise self._unbookable(amount_minor, index, "more than a line can hold")
        if amount_minor and not converted:
            raise self._unbookable(amount_minor, index, "zero")
        return converted

    def _unbookable(self, amount_minor: int, index: int, result: str) -> LedgerError:
        """The error of a conversion that would book a wrong amount rather than a rounded one."""
        code, mine = self.currency.code, self.company.currency_code
        return LedgerError(
            f"{format_minor(amount_minor, self.currency.exponent)} {code} at the rate "
            f"{self._rates[index]} of {self._dates[index].isoformat()} is {result} in {mine}: "
            f"record the right rate with `booksync currency rate set {code} RATE --date DATE`"
        )
