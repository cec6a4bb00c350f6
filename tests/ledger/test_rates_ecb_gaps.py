"""What the ECB source answers around its gaps: weekends, holidays, the days
before a currency's first rate and after its last, currencies it never
published; and how the feed's text is read (docs/banking.md, "Exchange rates")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.ledger.errors import NotFound
from booksync.ledger.models import Company
from booksync.ledger.rates import STALE_DAYS, RateTable, list_rates, rate_at, set_rate
from booksync.providers.errors import ProviderProtocolError
from booksync.rates.ecb import bundled, company_rate, parse_feed

D = dt.date


def _ecb(currency: str, day: dt.date) -> Decimal:
    """The ECB's own figure for ``currency`` on ``day``, from the bundled history."""
    series = bundled().series(currency, "EUR")
    assert series is not None and day in series.dates
    return company_rate(Decimal(1), series.rates[series.dates.index(day)])


def _missing(session: Session, company: Company, currency: str, day: dt.date) -> str:
    with pytest.raises(NotFound) as caught:
        rate_at(session, company, currency, day)
    return str(caught.value)


@pytest.mark.parametrize(
    ("day", "published"),
    [
        (D(2026, 3, 7), D(2026, 3, 6)),  # Saturday: Friday's
        (D(2026, 3, 8), D(2026, 3, 6)),  # Sunday: Friday's
        (D(2025, 12, 25), D(2025, 12, 24)),  # Christmas, a TARGET holiday
        (D(2025, 12, 26), D(2025, 12, 24)),
        (D(2026, 1, 1), D(2025, 12, 31)),  # New Year's Day
        (D(2026, 4, 6), D(2026, 4, 2)),  # Easter Monday: the Thursday before Good Friday
    ],
)
def test_a_day_without_an_ecb_rate_takes_the_last_published_before_it(
    session: Session, company: Company, day: dt.date, published: dt.date
) -> None:
    usd = bundled().series("USD", "EUR")
    assert usd is not None and day not in usd.dates and published in usd.dates
    company.rate_source = "ecb"
    assert RateTable(session, company, "USD").rate(day) == (published, _ecb("USD", published))
    assert [(r.date, Decimal(r.rate)) for r in list_rates(session, company)] == [
        (published, _ecb("USD", published))
    ]


def test_never_a_rate_from_after_the_day(session: Session, company: Company) -> None:
    company.rate_source = "ecb"
    friday, monday = D(2026, 3, 6), D(2026, 3, 9)
    table = RateTable(session, company, "USD")
    assert table.rate(monday)[0] == monday
    # Monday's rate is recorded now; Sunday still takes Friday's, not Monday's.
    assert table.rate(D(2026, 3, 8)) == (friday, _ecb("USD", friday))
    assert RateTable(session, company, "USD").rate(D(2026, 3, 8))[0] == friday


def test_a_currency_the_ecb_never_published_is_named_without_fetch_advice(
    session: Session, company: Company
) -> None:
    company.rate_source = "ecb"
    said = _missing(session, company, "BHD", D(2026, 3, 10))
    assert said.startswith("no BHD exchange rate on or before 2026-03-10")
    assert "the ECB publishes no BHD rates" in said
    assert "rate fetch" not in said and "rate set BHD RATE" in said


def test_a_day_before_the_ecbs_first_rate_says_when_they_begin(
    session: Session, company: Company
) -> None:
    company.rate_source = "ecb"
    said = _missing(session, company, "USD", D(1998, 6, 1))
    assert said.startswith("no USD exchange rate on or before 1998-06-01")
    assert "the ECB's USD rates begin on 1999-01-04" in said
    assert "rate fetch" not in said


def test_a_currency_the_ecb_stopped_publishing_says_when_it_stopped(
    session: Session, company: Company
) -> None:
    """The lev became the euro on 2026-01-01: fetching cannot bring a newer BGN rate."""
    company.rate_source = "ecb"
    bgn = bundled().series("BGN", "EUR")
    assert bgn is not None and bgn.dates[-1] == D(2025, 12, 31)
    said = _missing(session, company, "BGN", D(2026, 3, 10))
    assert "the ECB's BGN rates end on 2025-12-31" in said
    assert "rate fetch" not in said
    assert rate_at(session, company, "BGN", D(2026, 1, 5)) == _ecb("BGN", D(2025, 12, 31))


def test_beyond_the_bundled_history_it_says_to_fetch(session: Session, company: Company) -> None:
    company.rate_source = "ecb"
    end = bundled().last
    assert end is not None
    day = end + dt.timedelta(days=STALE_DAYS + 1)
    said = _missing(session, company, "USD", day)
    assert said.startswith(f"no USD exchange rate on or before {day.isoformat()}, nor an ECB")
    assert f"its rates end on {end.isoformat()}" in said and "currency rate fetch" in said


@pytest.mark.parametrize("currency", ["USD", "GBP", "CHF", "JPY"])
def test_a_company_in_another_currency_takes_the_ecbs_cross_rate(
    session: Session, currency: str
) -> None:
    company = create_company(session, f"Co {currency}", currency, "DE")
    company.rate_source = "ecb"
    friday = D(2026, 3, 6)
    per_euro = bundled().series("EUR", currency)  # the ECB's own figures, as published
    assert per_euro is not None
    mine = per_euro.rates[per_euro.dates.index(friday)]
    assert mine.as_tuple().exponent >= -6  # its text, not a float's 17 digits
    table = RateTable(session, company, "EUR")
    assert table.rate(D(2026, 3, 8)) == (friday, mine)
    # 1,000.05 EUR in the company's minor unit, rounded half-even once.
    exponent = company.currency.exponent
    want = (Decimal("1000.05") * mine).scaleb(exponent).quantize(Decimal(1))
    assert table.convert(1000_05, D(2026, 3, 8)) == int(want)
    assert table.convert(-1000_05, D(2026, 3, 8)) == -int(want)


FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    b'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
    b'<Cube><Cube time="%s"><Cube currency="USD" rate="%s"/></Cube></Cube></gesmes:Envelope>'
)


@pytest.mark.parametrize("rate", ["1_085", "1e3", "+1.085", " 1.085", "1.085 ", "0x10",
                                  "0.0000000001", "10000000000", "1.", ".5"])
def test_a_feed_rate_is_read_only_as_the_ecb_writes_it(rate: str) -> None:
    with pytest.raises(ProviderProtocolError, match="not a positive number"):
        parse_feed(FEED % (b"2026-03-10", rate.encode()), "https://feed.example")


def test_a_feed_rate_keeps_its_published_digits() -> None:
    table = parse_feed(FEED % (b"2026-03-10", b"1.08500"), "https://feed.example")
    series = table.series("EUR", "USD")
    assert series is not None and str(series.rates[0]) == "1.08500"


def test_a_feed_day_after_today_is_refused() -> None:
    today = D(2026, 3, 10)
    assert parse_feed(FEED % (b"2026-03-10", b"1.0850"), "https://f.example", today=today).last
    with pytest.raises(ProviderProtocolError, match=r"2026-03-11, after today \(2026-03-10\)"):
        parse_feed(FEED % (b"2026-03-11", b"1.0850"), "https://f.example", today=today)


def test_an_ecb_rate_once_recorded_still_serves_at_most_stale_days(
    session: Session, company: Company
) -> None:
    """A line just after the history's end records the ECB's last rate; a later line
    must not take it as the company's own, beyond the days an ECB rate serves."""
    company.rate_source = "ecb"
    end = bundled().last
    assert end is not None
    near, far = end + dt.timedelta(days=3), end + dt.timedelta(days=STALE_DAYS + 1)
    table = RateTable(session, company, "USD")
    assert table.rate(near) == (end, _ecb("USD", end))
    with pytest.raises(NotFound) as caught:
        table.rate(far)
    said = str(caught.value)
    assert said.startswith(
        f"no USD exchange rate on or before {far} other than the ECB's of {end}, nor an ECB rate"
    )
    assert "currency rate fetch" in said
    session.commit()
    with pytest.raises(NotFound):
        rate_at(session, company, "USD", far)  # recorded in another transaction: the same
    # A rate of the company's own (not the ECB's figure) serves as it always did.
    set_rate(session, company, "USD", end, "0.9")
    assert rate_at(session, company, "USD", far) == Decimal("0.9")
    # Without a source every recorded rate is the company's own.
    set_rate(session, company, "USD", end, str(_ecb("USD", end)))
    company.rate_source = None
    assert rate_at(session, company, "USD", far) == _ecb("USD", end)


def test_a_day_in_a_years_long_gap_says_the_ecb_published_none(
    session: Session, company: Company
) -> None:
    """The ECB published no ISK rate from December 2008 to February 2018."""
    company.rate_source = "ecb"
    said = _missing(session, company, "ISK", D(2012, 6, 1))
    assert said.startswith("no ISK exchange rate on or before 2012-06-01")
    assert f"the ECB published no ISK rate in the {STALE_DAYS} days before it" in said
    assert "rate fetch" not in said
