"""The ECB's rates as a company's: the bundled history imported, cross rates, the
feed's XML read, and the company's rate source filling a missing rate on lookup."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Context, Decimal
from importlib import resources

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.app.context import Books
from booksync.app.currencies import import_ecb, set_rate_source
from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.models import Company, ExchangeRate
from booksync.ledger.rates import RateTable, list_rates, rate_at, set_rate
from booksync.providers.errors import ProviderProtocolError
from booksync.rates.ecb import RATE_DIGITS, bundled, parse_feed

D = dt.date
START = D(2026, 2, 2)  # a Monday


def _published() -> dict[dt.date, dict[str, str]]:
    """The bundled CSV read here on its own, as the ECB's text: what the tests compare with."""
    package = resources.files("currency_converter")
    with package.joinpath("eurofxref-hist.zip").open("rb") as raw, zipfile.ZipFile(raw) as z:
        text = z.read(z.namelist()[0]).decode()
    rows = csv.DictReader(io.StringIO(text))
    return {
        D.fromisoformat(row["Date"]): {k.strip(): v.strip() for k, v in row.items() if k}
        for row in rows
    }


PUBLISHED = _published()
DIVIDE = Context(prec=RATE_DIGITS)


def _stored(session: Session, company: Company, currency: str) -> dict[dt.date, str]:
    return {
        r.date: r.rate for r in list_rates(session, company) if r.currency_code == currency
    }


def _count(session: Session, company: Company) -> int:
    return session.scalar(
        select(func.count()).select_from(ExchangeRate).where(ExchangeRate.company_id == company.id)
    ) or 0


def test_importing_twice_writes_nothing_new(session: Session, company: Company) -> None:
    books = Books(session, company)
    first = import_ecb(books, START, ["USD", "jpy"])
    session.commit()
    days = [d for d in PUBLISHED if d >= START]
    assert first.currencies == ("JPY", "USD")
    assert (first.written, first.unchanged, first.kept) == (2 * len(days), 0, ())
    assert (first.first, first.last) == (min(days), max(days))
    again = import_ecb(books, START, ["USD", "JPY"])
    session.commit()
    assert (again.written, again.unchanged, again.kept) == (0, 2 * len(days), ())
    assert _count(session, company) == 2 * len(days)
    usd = _stored(session, company, "USD")
    day = D(2026, 3, 2)
    assert Decimal(usd[day]) == DIVIDE.divide(Decimal(1), Decimal(PUBLISHED[day]["USD"]))


def test_without_currencies_it_takes_those_the_company_uses(
    session: Session, company: Company
) -> None:
    books = Books(session, company)
    nothing = import_ecb(books, START)
    assert (nothing.currencies, nothing.written) == ((), 0)
    set_rate(session, company, "GBP", D(2020, 1, 1), "1.1")
    used = import_ecb(books, START)
    assert used.currencies == ("GBP",)
    assert used.written == len([d for d in PUBLISHED if d >= START])


def test_a_chf_company_gets_exact_cross_rates(session: Session) -> None:
    alpen = create_company(session, "Alpen AG", "CHF", "CH")
    done = import_ecb(Books(session, alpen), START, ["USD", "EUR"])
    session.commit()
    usd, eur = _stored(session, alpen, "USD"), _stored(session, alpen, "EUR")
    days = [d for d in PUBLISHED if d >= START]
    assert done.written == 2 * len(days) and set(usd) == set(eur) == set(days)
    for day in days:
        chf, dollar = Decimal(PUBLISHED[day]["CHF"]), Decimal(PUBLISHED[day]["USD"])
        assert Decimal(usd[day]) == DIVIDE.divide(chf, dollar), day
        assert Decimal(eur[day]) == chf, day  # CHF per EUR: the ECB's own figure


def test_a_rate_set_by_hand_is_kept_and_reported(session: Session, company: Company) -> None:
    day = D(2026, 2, 4)
    set_rate(session, company, "USD", day, "0.5")
    done = import_ecb(Books(session, company), START, ["USD"])
    session.commit()
    assert [(k.currency, k.date, k.rate) for k in done.kept] == [("USD", day, "0.5")]
    assert Decimal(done.kept[0].source_rate) == DIVIDE.divide(
        Decimal(1), Decimal(PUBLISHED[day]["USD"])
    )
    assert _stored(session, company, "USD")[day] == "0.5"
    assert done.written == len([d for d in PUBLISHED if d >= START]) - 1


def test_the_source_fills_a_missing_rate_and_records_it(session: Session, company: Company) -> None:
    set_rate_source(Books(session, company), "ecb")
    sunday = D(2026, 3, 8)
    friday = D(2026, 3, 6)
    expected = DIVIDE.divide(Decimal(1), Decimal(PUBLISHED[friday]["USD"]))
    table = RateTable(session, company, "USD")
    assert table.rate(sunday) == (friday, expected)
    assert table.convert(100_00, sunday) == int((100 * expected).quantize(Decimal("0.01")) * 100)
    session.commit()
    assert _stored(session, company, "USD") == {friday: str(expected)}
    # The next lookup is a plain read of the recorded rate: no second row.
    assert rate_at(session, company, "USD", sunday) == expected
    assert _count(session, company) == 1


def test_the_newer_rate_wins_the_companys_own_on_a_tie(
    session: Session, company: Company
) -> None:
    company.rate_source = "ecb"
    set_rate(session, company, "USD", D(2026, 3, 7), "0.8")  # a Saturday
    set_rate(session, company, "USD", D(2026, 3, 10), "0.7")  # an ECB day
    # Sunday: the company's Saturday rate is newer than the ECB's Friday.
    assert rate_at(session, company, "USD", D(2026, 3, 8)) == Decimal("0.8")
    monday = D(2026, 3, 9)
    ecb = DIVIDE.divide(Decimal(1), Decimal(PUBLISHED[monday]["USD"]))
    assert rate_at(session, company, "USD", monday) == ecb
    assert rate_at(session, company, "USD", D(2026, 3, 10)) == Decimal("0.7")
    assert _stored(session, company, "USD") == {
        D(2026, 3, 7): "0.8", monday: str(ecb), D(2026, 3, 10): "0.7"
    }


def test_without_a_source_or_beyond_its_data_the_rate_is_missing(
    session: Session, company: Company
) -> None:
    with pytest.raises(NotFound, match=r"no USD exchange rate on or before 2026-03-10: .*"
                       r"currency rate source ecb"):
        rate_at(session, company, "USD", D(2026, 3, 10))
    company.rate_source = "ecb"
    end = bundled().last
    assert end is not None
    beyond = end + dt.timedelta(days=30)
    with pytest.raises(NotFound, match=f"its rates end on {end.isoformat()}"):
        rate_at(session, company, "USD", beyond)
    with pytest.raises(NotFound, match="on or before 1998-01-01"):
        rate_at(session, company, "USD", D(1998, 1, 1))  # before the euro
    assert _count(session, company) == 0
    # An old rate of the company is still used when the source has nothing newer.
    set_rate(session, company, "USD", end - dt.timedelta(days=1), "0.9")
    assert rate_at(session, company, "USD", beyond) == Decimal("0.9")


def test_naming_a_source(session: Session, company: Company) -> None:
    books = Books(session, company)
    assert set_rate_source(books, "ECB").rate_source == "ecb"
    assert set_rate_source(books, "none").rate_source is None
    with pytest.raises(BooksyncError, match="unknown rate source 'bank'"):
        set_rate_source(books, "bank")
    aed = create_company(session, "Dune LLC", "AED", "AE")
    with pytest.raises(BooksyncError, match="the ECB publishes no AED rates"):
        set_rate_source(Books(session, aed), "ecb")


FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    b'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
    b"<gesmes:subject>Reference rates</gesmes:subject>"
    b"<Cube>%s</Cube></gesmes:Envelope>"
)


def test_the_feed_is_read_as_published() -> None:
    table = parse_feed(
        FEED % b'<Cube time="2026-03-10"><Cube currency="USD" rate="1.0850"/>'
        b'<Cube currency="CHF" rate="0.9531"/></Cube>',
        "https://feed.example",
    )
    assert table.last == D(2026, 3, 10)
    series = table.series("USD", "CHF")
    assert series is not None
    assert series.on_or_before(D(2026, 3, 12)) == (
        D(2026, 3, 10), DIVIDE.divide(Decimal("0.9531"), Decimal("1.0850"))
    )


@pytest.mark.parametrize(
    ("cubes", "said"),
    [
        (b'<Cube time="2026-03-10"><Cube currency="USD" rate="abc"/></Cube>', "not a positive"),
        (b'<Cube time="2026-03-10"><Cube currency="USD" rate="-1"/></Cube>', "not a positive"),
        (b'<Cube time="2026-03-10"><Cube currency="USD" rate="1e-999999999"/></Cube>',
         "not a positive"),
        (b'<Cube time="10.03.2026"><Cube currency="USD" rate="1"/></Cube>', "not a date"),
        (b'<Cube time="2026-03-10"><Cube currency="usd" rate="1"/></Cube>', "currency 'usd'"),
        (b'<Cube time="2026-03-10"/>', "no rate for 2026-03-10"),
        (b"", "no day of rates"),
        (b'<Cube time="2026-03-10"><Cube currency="USD" rate="1"/></Cube>'
         b'<Cube time="2026-03-10"><Cube currency="USD" rate="1"/></Cube>', "2026-03-10 twice"),
    ],
)
def test_a_malformed_feed_is_one_sentence(cubes: bytes, said: str) -> None:
    with pytest.raises(ProviderProtocolError, match=said) as caught:
        parse_feed(FEED % cubes, "https://feed.example")
    assert str(caught.value).startswith("The ECB rate feed at https://feed.example is malformed")


@pytest.mark.parametrize(
    "body",
    [
        b"<html>maintenance</html>",
        b"<not xml",
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
    ],
)
def test_what_is_not_the_ecb_xml_is_refused(body: bytes) -> None:
    with pytest.raises(ProviderProtocolError, match="malformed"):
        parse_feed(body, "https://feed.example")
