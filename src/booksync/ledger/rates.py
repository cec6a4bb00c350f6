"""Exchange rates: company-currency units for one unit of a foreign currency.

A rate is kept as its exact decimal text (it is not money and may carry
more places than any currency).  Converting rounds half-even to the company
currency's minor unit, once, at the edge: the converted integer is what is
booked.

A company may name a rate source (``company.rate_source``, docs/banking.md,
"Exchange rates").  A day then takes the newer of the company's own rate on
or before it and the source's (:mod:`booksync.rates.source`: the ECB's of
the latest ECB business day on or before it, if at most :data:`STALE_DAYS`
older), the company's own on a tie.  The source's, when taken, is recorded
as the company's rate of its day, so the books show which rate was used and
the next lookup is a plain read; recorded, it is still the source's figure
and serves at most :data:`STALE_DAYS` as well.  Without a source, or when
the source has nothing newer, the lookup is what it always was: the newest
recorded rate on or before the day.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

from sqlalchemy import Table, select
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

STALE_DAYS = 7
"""A source's rate is used for a day at most this many days after its own: seven
span the ECB's longest break (Easter); a bundled history that ends earlier
has nothing for the day, and the company's own rate is used, or none."""


def _currency(session: Session, code: str) -> Currency:
    currency = session.scalar(select(Currency).where(Currency.code == code.upper()))
    if currency is None:
        raise MoneyError(f"unknown currency {code!r}")
    return currency


def _text(rate: Decimal) -> str:
    """A rate as stored and shown: plain digits (``200``, ``0.001``), never ``2E+2``, which
    Decimal writes for an exact quotient such as a cross rate of the ECB's."""
    return format(rate, "f")


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
        row = ExchangeRate(company_id=company.id, currency_code=code, date=date, rate=_text(value))
        session.add(row)
    else:
        row.rate = _text(value)
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
    """The rate for ``date`` (:meth:`RateTable.rate`); 1 for the company currency."""
    if currency.upper() == company.currency_code:
        return Decimal(1)
    return RateTable(session, company, currency).rate(date)[1]


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
    query and a bisection per line beat one query per line.  A rate taken
    from the company's source costs one insert per ECB day it is recorded
    for, never one per line.
    """

    def __init__(self, session: Session, company: Company, currency: str) -> None:
        self.session = session
        self.company = company
        self.currency = _currency(session, currency)
        self._exp = company.currency.exponent
        foreign = self.currency.code != company.currency_code
        self._source = company.rate_source if foreign else None
        self._stale = dt.timedelta(days=STALE_DAYS)
        self._asked: dict[dt.date, tuple[dt.date, Decimal] | None] = {}
        self._theirs: dict[dt.date, bool] = {}  # a recorded day's rate is the source's
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

    def rate(self, date: dt.date) -> tuple[dt.date, Decimal]:
        """The rate used for ``date`` and the day it is recorded for."""
        index = self._index(date)
        return self._dates[index], self._rates[index]

    def _index(self, date: dt.date) -> int:
        index = bisect_right(self._dates, date) - 1
        outdated = None
        if self._source is not None:
            found = self._source_day(self._source, date)
            if found is not None and (index < 0 or found[0] > self._dates[index]):
                index = self._take(*found)
            elif found is None and index >= 0 and self._outdated(self._source, index, date):
                outdated, index = self._dates[index], -1
        if index < 0:
            raise NotFound(self._missing(date, outdated))
        return index

    def _outdated(self, source: str, index: int, date: dt.date) -> bool:
        """Whether the rate at ``index`` is the source's own figure of its day and more than
        :data:`STALE_DAYS` older than ``date``.  Recorded (by a lookup or an import) it
        is still the source's, so it serves no longer than the source's would: else the
        first line after the source's data ends would let its last rate serve for good."""
        day = self._dates[index]
        if date - day <= self._stale:
            return False
        if day not in self._theirs:
            from booksync.rates.source import source_rate

            theirs = source_rate(source, self.currency.code, self.company.currency_code, day)
            self._theirs[day] = theirs == (day, self._rates[index])
        return self._theirs[day]

    def _source_day(self, source: str, date: dt.date) -> tuple[dt.date, Decimal] | None:
        """The source's rate for ``date`` and its day, if at most :data:`STALE_DAYS` older;
        asked once per date (a first sync has many lines a day)."""
        if date in self._asked:
            return self._asked[date]
        from booksync.rates.source import source_rate

        found = source_rate(source, self.currency.code, self.company.currency_code, date)
        if found is not None and date - found[0] > self._stale:
            found = None
        self._asked[date] = found
        return found

    def _take(self, day: dt.date, rate: Decimal) -> int:
        """Record the source's ``rate`` of ``day``; its index in the table."""
        rate = self._record(day, rate)
        at = bisect_right(self._dates, day)
        self._dates.insert(at, day)
        self._rates.insert(at, rate)
        return at

    def _record(self, day: dt.date, rate: Decimal) -> Decimal:
        """Record the source's ``rate`` of ``day``; the day's rate as it now stands (one
        another transaction recorded meanwhile is kept and used)."""
        check_rate(rate)
        code = self.currency.code
        written = insert_rates(
            self.session, [{"company_id": self.company.id, "currency_code": code,
                            "date": day, "rate": _text(rate)}]
        )
        if written:
            return rate
        kept = self.session.scalar(
            select(ExchangeRate.rate).where(
                ExchangeRate.company_id == self.company.id,
                ExchangeRate.currency_code == code,
                ExchangeRate.date == day,
            )
        )
        return Decimal(kept) if kept is not None else rate

    def _missing(self, date: dt.date, outdated: dt.date | None = None) -> str:
        """Why no rate can be used for ``date`` (``outdated``: the day of a recorded rate of
        the source's, too old), and what to do: fetching newer rates is advised only
        when the source's data ends before the day, not for a currency it does not
        publish, nor a day before its first rate or after its last one."""
        code, mine = self.currency.code, self.company.currency_code
        said = f"no {code} exchange rate on or before {date.isoformat()}"
        record = f"record one with `booksync currency rate set {code} RATE`"
        if self._source is None:
            return (
                f"{said}: {record}, "
                "or let the ECB's rates fill in with `booksync currency rate source ecb`"
            )
        from booksync.rates.source import source_end, source_span

        name = self._source.upper()
        span, end = source_span(self._source, code, mine), source_end(self._source)
        if outdated is not None:
            said += f" other than the {name}'s of {outdated.isoformat()}"
        if span is None:
            return f"{said}, and the {name} publishes no {code} rates in {mine}: {record}"
        first, last = span
        if date < first:
            return f"{said}, and the {name}'s {code} rates begin on {first.isoformat()}: {record}"
        if date <= last:
            gap = f"the {name} published no {code} rate in the {STALE_DAYS} days before it"
            return f"{said}, and {gap}: {record}"
        if end is not None and last < end:
            return f"{said}, and the {name}'s {code} rates end on {last.isoformat()}: {record}"
        known = f" (its rates end on {end.isoformat()})" if end else ""
        return (
            f"{said}, nor an {name} rate within {STALE_DAYS} days of it{known}: "
            f"fetch newer ones with `booksync currency rate fetch`, or {record}"
        )

    def convert(self, amount_minor: int, date: dt.date) -> int:
        """Foreign minor units -> company minor units at the rate of ``date``."""
        if self.currency.code == self.company.currency_code:
            return amount_minor
        index = self._index(date)
        rate = self._rates[index]
        # Exact: a context's 28 digits would round a long product once before the cent is
        # rounded, turning a hair above a half cent into a tie that half-even takes down.
        exact = Context(prec=len(str(abs(amount_minor))) + len(rate.as_tuple().digits) + 1)
        try:
            value = exact.multiply(Decimal(amount_minor), rate)
            value = value.scaleb(self._exp - self.currency.exponent, exact)
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


# -- many rates at once (an import of the ECB's) ---------------------------------------


def insert_rates(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rates (``company_id``, ``currency_code``, ``date``, ``rate`` text), skipping
    any day a rate is already recorded for, by this transaction or a concurrent one.

    Returns how many rows were given, or for one row whether it was written
    (a lookup then reads the rate a concurrent transaction recorded instead).
    """
    if not rows:
        return 0
    table = ExchangeRate.__table__
    assert isinstance(table, Table)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table)
    statement = statement.on_conflict_do_nothing(
        index_elements=["company_id", "currency_code", "date"]
    )
    if len(rows) == 1:  # RETURNING tells whether it was written (rowcount is -1 on PostgreSQL)
        return len(session.execute(statement.returning(table.c.date), rows[0]).all())
    session.execute(statement, list(rows))
    return len(rows)


@dataclass(frozen=True, slots=True)
class KeptRate:
    """A recorded rate left as it was although the source gives another for its day."""

    currency: str
    date: dt.date
    rate: str
    source_rate: str


@dataclass(frozen=True, slots=True)
class RecordedRates:
    """What :func:`record_rates` did: rates written, already there, kept over the source's."""

    written: int
    unchanged: int
    kept: tuple[KeptRate, ...]


def record_rates(
    session: Session, company: Company, rates: Iterable[tuple[str, dt.date, Decimal]]
) -> RecordedRates:
    """Record rates ``(currency, day, rate)`` from a source, idempotently.

    A day without a rate gets the source's; a day whose rate equals it is
    left alone (importing twice writes nothing new); a day with another rate,
    set by hand, keeps it and is reported in ``kept``, never overwritten.
    """
    wanted: dict[str, dict[dt.date, Decimal]] = {}
    codes: dict[str, str] = {}
    for currency, day, rate in rates:
        code = codes.get(currency)
        if code is None:
            code = codes[currency] = _currency(session, currency).code
            if code == company.currency_code:
                raise LedgerError(f"{code} is the company currency: its rate is always 1")
        wanted.setdefault(code, {})[day] = check_rate(rate)
    rows: list[dict[str, Any]] = []
    unchanged = 0
    kept: list[KeptRate] = []
    for code, days in sorted(wanted.items()):
        recorded = {
            day: rate
            for day, rate in session.execute(
                select(ExchangeRate.date, ExchangeRate.rate).where(
                    ExchangeRate.company_id == company.id,
                    ExchangeRate.currency_code == code,
                    ExchangeRate.date >= min(days),
                    ExchangeRate.date <= max(days),
                )
            )
        }
        for day, rate in sorted(days.items()):
            there = recorded.get(day)
            if there is None:
                rows.append(
                    {"company_id": company.id, "currency_code": code, "date": day,
                     "rate": _text(rate)}
                )
            elif Decimal(there) == rate:
                unchanged += 1
            else:
                kept.append(KeptRate(code, day, there, _text(rate)))
    written = insert_rates(session, rows)
    return RecordedRates(written, unchanged, tuple(kept))
