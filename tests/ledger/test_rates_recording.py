"""Recording the ECB's rates counts what it wrote, one rate as well as many, on
both databases; and a rate another transaction recorded first is the one used."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from booksync.db.engine import session_factory
from booksync.ledger.models import Company
from booksync.ledger.rates import RateTable, insert_rates, list_rates, record_rates, set_rate

D = dt.date


def test_one_rate_recorded_counts_as_one(session: Session, company: Company) -> None:
    day = D(2026, 3, 6)
    done = record_rates(session, company, [("USD", day, Decimal("0.865"))])
    assert (done.written, done.unchanged, done.kept) == (1, 0, ())
    again = record_rates(session, company, [("USD", day, Decimal("0.8650"))])
    assert (again.written, again.unchanged, again.kept) == (0, 1, ())
    row = {"company_id": company.id, "currency_code": "USD", "date": day, "rate": "0.7"}
    assert insert_rates(session, [row]) == 0  # the day holds a rate: nothing written
    assert [(r.date, r.rate) for r in list_rates(session, company)] == [(day, "0.865")]


def test_a_rate_recorded_meanwhile_is_the_one_used(
    engine: Engine, session: Session, company: Company
) -> None:
    """A sync takes the ECB's Friday rate while another transaction records its own for
    Friday first: the line uses the recorded one, which the books show."""
    company.rate_source = "ecb"
    session.commit()
    table = RateTable(session, company, "USD")  # loaded before the other one writes
    with session_factory(engine).begin() as other:
        mine = other.get(Company, company.id)
        assert mine is not None
        set_rate(other, mine, "USD", D(2026, 3, 6), "0.5")
    assert table.rate(D(2026, 3, 8)) == (D(2026, 3, 6), Decimal("0.5"))
    assert table.convert(100_00, D(2026, 3, 8)) == 50_00


def test_a_rate_is_recorded_as_plain_decimal_text(session: Session) -> None:
    """HUF 320.6 per euro and AUD 1.603 divide to exactly 200, which Decimal writes
    ``2E+2``: the ECB's cross rates and rates typed by hand are stored and listed as
    plain digits, as the ECB and an accountant write them."""
    from booksync.app.companies import create_company
    from booksync.app.context import Books
    from booksync.app.currencies import import_ecb

    day = D(2019, 2, 11)
    forint = create_company(session, "Forint Kft", "HUF", "HU")
    done = import_ecb(Books(session, forint), day, ["AUD"])
    assert done.written > 0
    stored = {r.date: r.rate for r in list_rates(session, forint)}
    assert stored[day] == "200"
    assert all("E" not in text for text in stored.values())
    assert set_rate(session, forint, "USD", day, "1e-3").rate == "0.001"
    assert set_rate(session, forint, "USD", day, "3.5E+2").rate == "350"
