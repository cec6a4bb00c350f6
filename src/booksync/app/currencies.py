"""Currencies and exchange rates: the use cases, with typed results.

The currencies are the database's, not a company's: :func:`currencies` takes
the engine and needs no company.  A rate is not money: it is its exact
decimal text (:mod:`booksync.ledger.rates`).  Each result is a frozen
dataclass whose fields are its JSON shape (:func:`booksync.app.shapes.as_json`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from booksync.app.context import Books
from booksync.db.engine import session_factory
from booksync.ledger.companies import ensure_currencies
from booksync.ledger.models import Currency
from booksync.ledger.rates import list_rates, set_rate

__all__ = ["CurrencyView", "RateSet", "RateView", "currencies", "rates", "record_rate"]


@dataclass(frozen=True, slots=True)
class CurrencyView:
    """An ISO 4217 currency and its number of decimals."""

    code: str
    name: str
    decimals: int


@dataclass(frozen=True, slots=True)
class RateView:
    """Company-currency units for one unit of ``currency`` on ``date``."""

    currency: str
    date: dt.date
    rate: str


@dataclass(frozen=True, slots=True)
class RateSet:
    """A recorded rate and the company currency it is in."""

    rate: RateView
    company_currency: str


def currencies(engine: Engine) -> tuple[CurrencyView, ...]:
    """The known currencies, by code (the ISO 4217 table is loaded on first use)."""
    with session_factory(engine).begin() as session:
        ensure_currencies(session)
        return tuple(
            CurrencyView(code=c.code, name=c.name, decimals=c.exponent)
            for c in session.scalars(select(Currency).order_by(Currency.code))
        )


def record_rate(books: Books, currency: str, date: dt.date, rate: str) -> RateSet:
    """Record (or replace) the rate of ``currency`` on ``date``, as the user typed it."""
    row = set_rate(books.session, books.company, currency, date, rate)
    return RateSet(RateView(row.currency_code, row.date, row.rate), books.company.currency_code)


def rates(books: Books) -> tuple[RateView, ...]:
    """The recorded exchange rates, by currency and date."""
    return tuple(
        RateView(r.currency_code, r.date, r.rate) for r in list_rates(books.session, books.company)
    )
