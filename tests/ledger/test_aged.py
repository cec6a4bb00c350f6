"""Aged receivable and payable: the buckets' edges, past dates, settlements added back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.ledger.aged import BUCKETS, AgedBalances, aged_balances
from booksync.ledger.entries import EntryInput, LineInput, add_entries
from booksync.ledger.models import AccountRole, Company, Line
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner
from booksync.ledger.reconcile import reconcile

D = Decimal
AT = dt.date(2026, 6, 30)
RECEIVABLE, PAYABLE = AccountRole.RECEIVABLE, AccountRole.PAYABLE


def book(
    session: Session,
    company: Company,
    day: dt.date,
    *lines: LineInput,
    due: dt.date | None = None,
    post: bool = True,
) -> int:
    """Post one entry; ``due`` becomes the due date of its open items.  Returns the
    line id of its receivable or payable line."""
    (entry_id,) = add_entries(session, company, [EntryInput("MISC", day, lines)], post=post)
    if due is not None:
        session.execute(update(OpenItem).where(OpenItem.entry_id == entry_id).values(due_date=due))
    line_id = session.scalar(
        select(Line.id)
        .where(Line.entry_id == entry_id, Line.partner_id.is_not(None))
        .order_by(Line.id)
        .limit(1)
    )
    assert line_id is not None
    return line_id


def invoice(session: Session, company: Company, partner: str, amount: str, day: dt.date,
            due: dt.date | None = None) -> int:
    return book(session, company, day, LineInput("1100", debit=D(amount), partner=partner),
                LineInput("4000", credit=D(amount)), due=due)


def receipt(session: Session, company: Company, partner: str, amount: str, day: dt.date) -> int:
    return book(session, company, day, LineInput("1100", credit=D(amount), partner=partner),
                LineInput("1250", debit=D(amount)))


def bill(session: Session, company: Company, partner: str, amount: str, day: dt.date,
         due: dt.date | None = None) -> int:
    return book(session, company, day, LineInput("2000", credit=D(amount), partner=partner),
                LineInput("6100", debit=D(amount)), due=due)


def rows(report: AgedBalances) -> dict[str | None, tuple[int, ...]]:
    """Each partner's buckets and total, in minor units."""
    return {r.partner: (*r.buckets, r.total) for r in report.partners}


def row(*, current: int = 0, d30: int = 0, d60: int = 0, d90: int = 0,
        over: int = 0) -> tuple[int, ...]:
    buckets = (current, d30, d60, d90, over)
    return (*buckets, sum(buckets))


@pytest.fixture
def partners(session: Session, company: Company) -> None:
    for name in ("Anna", "Bert", "Vera"):
        add_partner(session, company, name)


def test_each_day_past_due_falls_in_its_bucket(session, company):
    """Days past due at the date: 0 is current, 1..30, 31..60, 61..90, then over 90."""
    days = [-5, 0, 1, 30, 31, 60, 61, 90, 91]
    for days_late in days:
        add_partner(session, company, f"late {days_late:+03d}")
        invoice(session, company, f"late {days_late:+03d}", "10.00",
                day=dt.date(2026, 1, 1), due=AT - dt.timedelta(days=days_late))
    got = rows(aged_balances(session, company, RECEIVABLE, AT))
    assert [b[0] for b in BUCKETS] == ["current", "1-30", "31-60", "61-90", "over_90"]
    expected = {
        -5: row(current=1000), 0: row(current=1000),
        1: row(d30=1000), 30: row(d30=1000),
        31: row(d60=1000), 60: row(d60=1000),
        61: row(d90=1000), 90: row(d90=1000),
        91: row(over=1000),
    }
    assert got == {f"late {d:+03d}": expected[d] for d in days}
    report = aged_balances(session, company, RECEIVABLE, AT)
    assert (*report.total.buckets, report.total.total) == (2000, 2000, 2000, 2000, 1000, 9000)
    assert report.total.partner is None


def test_partial_settlements_and_past_dates(session, company, partners):
    """A settlement counts from the later of its two lines' dates, however late the
    match is made; before it, its amount is owed again."""
    sale = invoice(session, company, "Anna", "100.00", dt.date(2026, 1, 10),
                   due=dt.date(2026, 2, 9))
    first = receipt(session, company, "Anna", "40.00", dt.date(2026, 2, 20))
    second = receipt(session, company, "Anna", "60.00", dt.date(2026, 3, 15))
    reconcile(session, company, [sale, second], origin="manual")  # matched first, paid later
    reconcile(session, company, [sale, first], origin="manual")
    assert session.scalar(select(OpenItem.full_reconcile_id).where(OpenItem.line_id == sale))

    def at(day: dt.date) -> dict[str | None, tuple[int, ...]]:
        return rows(aged_balances(session, company, RECEIVABLE, day))

    assert at(dt.date(2026, 1, 9)) == {}  # the invoice is not there yet
    assert at(dt.date(2026, 2, 9)) == {"Anna": row(current=10000)}  # due that day
    assert at(dt.date(2026, 2, 15)) == {"Anna": row(d30=10000)}
    # 40.00 paid on 20 February; the receipt itself owes nothing more.
    assert at(dt.date(2026, 2, 20)) == {"Anna": row(d30=6000)}
    assert at(dt.date(2026, 3, 11)) == {"Anna": row(d30=6000)}  # 30 days past due
    assert at(dt.date(2026, 3, 14)) == {"Anna": row(d60=6000)}  # 33 days
    assert at(dt.date(2026, 3, 15)) == {}  # fully paid that day
    assert at(AT) == {}


def test_a_payment_before_its_invoice_is_a_credit_until_the_invoice_comes(
    session, company, partners
):
    early = receipt(session, company, "Bert", "30.00", dt.date(2026, 1, 5))
    sale = invoice(session, company, "Bert", "100.00", dt.date(2026, 1, 10),
                   due=dt.date(2026, 3, 1))
    reconcile(session, company, [sale, early], origin="manual")
    # On account, due on its own date: two days past due on 7 January.
    assert rows(aged_balances(session, company, RECEIVABLE, dt.date(2026, 1, 7))) == {
        "Bert": row(d30=-3000)
    }
    assert rows(aged_balances(session, company, RECEIVABLE, dt.date(2026, 1, 10))) == {
        "Bert": row(current=7000)
    }


def test_payables_read_positive_and_partners_are_kept_apart(session, company, partners):
    purchase = bill(session, company, "Vera", "50.00", dt.date(2026, 6, 1),
                    due=dt.date(2026, 7, 1))
    paid = book(session, company, dt.date(2026, 6, 10),
                LineInput("2000", debit=D("20.00"), partner="Vera"),
                LineInput("1260", credit=D("20.00")))
    reconcile(session, company, [purchase, paid], origin="manual")
    invoice(session, company, "Anna", "5.00", dt.date(2026, 6, 1))  # a receivable: not here
    bill(session, company, "Bert", "7.00", dt.date(2026, 1, 1))  # due on its date: over 90
    report = aged_balances(session, company, PAYABLE, AT)
    assert rows(report) == {"Bert": row(over=700), "Vera": row(current=3000)}
    assert [r.partner for r in report.partners] == ["Bert", "Vera"]
    assert (*report.total.buckets, report.total.total) == (3000, 0, 0, 0, 700, 3700)
    assert rows(aged_balances(session, company, PAYABLE, dt.date(2026, 6, 5))) == {
        "Bert": row(over=700), "Vera": row(current=5000)
    }


def test_items_without_a_partner_come_last_and_drafts_never(session, company, partners):
    add_entries(session, company, [EntryInput("MISC", dt.date(2026, 6, 1), (
        LineInput("1100", debit=D("8.00")), LineInput("4000", credit=D("8.00")),
    ))], post=True)
    invoice(session, company, "Anna", "2.00", dt.date(2026, 6, 1))
    add_entries(session, company, [EntryInput("MISC", dt.date(2026, 6, 1), (
        LineInput("1100", debit=D("99.00"), partner="Anna"), LineInput("4000", credit=D("99.00")),
    ))], post=False)
    report = aged_balances(session, company, RECEIVABLE, AT)
    assert [(r.partner, r.total) for r in report.partners] == [("Anna", 200), (None, 800)]


def test_a_foreign_invoice_is_aged_in_company_currency_and_its_exchange_difference_dated(
    session, company, partners
):
    """100 USD booked at 90.00 EUR, paid with 100 USD worth 95.00 EUR: the exchange
    difference closes it on the payment's date, and before that 90.00 is owed."""
    sale = book(session, company, dt.date(2026, 5, 1),
                LineInput("1100", debit=D("90.00"), partner="Anna", currency="USD",
                          amount_currency=D("100")),
                LineInput("4000", credit=D("90.00")), due=dt.date(2026, 5, 31))
    paid = book(session, company, dt.date(2026, 6, 15),
                LineInput("1100", credit=D("95.00"), partner="Anna", currency="USD",
                          amount_currency=D("-100")),
                LineInput("1250", debit=D("95.00")))
    done = reconcile(session, company, [sale, paid], origin="manual")
    assert done.exchange_entries and done.closed
    assert rows(aged_balances(session, company, RECEIVABLE, dt.date(2026, 6, 14))) == {
        "Anna": row(d30=9000)
    }
    assert rows(aged_balances(session, company, RECEIVABLE, dt.date(2026, 6, 15))) == {}
