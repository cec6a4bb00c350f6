"""Open items: residuals, partial and full reconciliation, exchange differences, undo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.ledger.entries import EntryInput, LineInput, add_entries, get_entry
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.models import Company, Line
from booksync.ledger.open_item_models import FullReconcile, OpenItem, PartialReconcile
from booksync.ledger.partners import add_partner
from booksync.ledger.reconcile import reconcile, scaled, unreconcile
from booksync.ledger.reports import trial_balance

D = Decimal
DAY = dt.date(2026, 3, 2)


def _book(session: Session, company: Company, *lines: LineInput, day: dt.date = DAY) -> int:
    (entry_id,) = add_entries(session, company, [EntryInput("MISC", day, lines)], post=True)
    return entry_id


def _line(session: Session, entry_id: int, code: str = "1100") -> int:
    line_id = session.scalar(
        select(Line.id).join(Line.account).where(Line.entry_id == entry_id).where(
            Line.account.has(code=code)
        )
    )
    assert line_id is not None
    return line_id


def _item(session: Session, line_id: int) -> OpenItem:
    item = session.scalar(select(OpenItem).where(OpenItem.line_id == line_id))
    assert item is not None
    session.refresh(item)
    return item


def _invoice(session: Session, company: Company, amount: str, **foreign: object) -> int:
    return _line(session, _book(
        session, company,
        LineInput("1100", debit=D(amount), partner="Osaka", **foreign),  # type: ignore[arg-type]
        LineInput("4000", credit=D(amount)),
    ))


def _payment(session: Session, company: Company, amount: str, **foreign: object) -> int:
    return _line(session, _book(
        session, company,
        LineInput("1250", debit=D(amount)),
        LineInput("1100", credit=D(amount), partner="Osaka", **foreign),  # type: ignore[arg-type]
    ))


def assert_residuals_follow_the_links(session: Session, company: Company) -> None:
    """Every item's residual is its amount less what its settlements took."""
    for item in session.scalars(select(OpenItem).where(OpenItem.company_id == company.id)):
        session.refresh(item)
        as_debit = session.execute(
            select(func.coalesce(func.sum(PartialReconcile.amount), 0),
                   func.coalesce(func.sum(PartialReconcile.debit_amount_currency), 0))
            .where(PartialReconcile.debit_line_id == item.line_id)
        ).one()
        as_credit = session.execute(
            select(func.coalesce(func.sum(PartialReconcile.amount), 0),
                   func.coalesce(func.sum(PartialReconcile.credit_amount_currency), 0))
            .where(PartialReconcile.credit_line_id == item.line_id)
        ).one()
        assert item.residual == item.amount - as_debit[0] + as_credit[0]
        assert item.residual_currency == item.amount_currency - as_debit[1] + as_credit[1]
        assert min(0, item.amount) <= item.residual <= max(0, item.amount)


@pytest.fixture
def osaka(session: Session, company: Company) -> None:
    add_partner(session, company, "Osaka")


def test_posting_tracks_receivable_lines_and_not_the_suspense_account(session, company, osaka):
    line_id = _invoice(session, company, "120.00")
    item = _item(session, line_id)
    assert (item.amount, item.residual, item.residual_currency) == (12000, 12000, 12000)
    assert item.full_reconcile_id is None and item.currency_code == "EUR"
    suspense = _line(session, _book(
        session, company, LineInput("1200", debit=D("5")), LineInput("1290", credit=D("5"))
    ), "1290")
    assert session.scalar(select(OpenItem).where(OpenItem.line_id == suspense)) is None


def test_a_partial_payment_leaves_the_rest_open_and_the_last_one_closes(session, company, osaka):
    invoice = _invoice(session, company, "100.00")
    first = _payment(session, company, "60.00")
    settled = reconcile(session, company, [invoice, first], origin="payment:1")
    assert [(p.amount, p.debit_line_id, p.credit_line_id) for p in settled.partials] == [
        (6000, invoice, first)
    ]
    assert not settled.closed
    assert (_item(session, invoice).residual, _item(session, first).residual) == (4000, 0)
    second = _payment(session, company, "40.00")
    settled = reconcile(session, company, [invoice, second], origin="payment:2")
    assert len(settled.closed) == 1
    group = settled.closed[0].id
    assert {_item(session, i).full_reconcile_id for i in (invoice, first, second)} == {group}
    assert_residuals_follow_the_links(session, company)
    with pytest.raises(LedgerError, match="already fully reconciled"):
        reconcile(session, company, [invoice, _payment(session, company, "1.00")], origin="x")


def test_undo_gives_back_exactly_what_was_taken_and_reopens_the_group(session, company, osaka):
    invoice = _invoice(session, company, "100.00")
    first, second = _payment(session, company, "60.00"), _payment(session, company, "40.00")
    reconcile(session, company, [invoice, first], origin="payment:1")
    reconcile(session, company, [invoice, second], origin="payment:2")
    assert unreconcile(session, company, "payment:2") == 1
    items = [_item(session, i) for i in (invoice, first, second)]
    assert [(i.residual, i.full_reconcile_id) for i in items] == [
        (4000, None), (0, None), (-4000, None)
    ]
    assert session.scalar(select(func.count()).select_from(FullReconcile)) == 0
    assert unreconcile(session, company, "payment:2") == 0
    assert_residuals_follow_the_links(session, company)


def test_oldest_due_first_across_several_invoices(session, company, osaka):
    later = _invoice(session, company, "50.00")
    earlier = _line(session, _book(
        session, company,
        LineInput("1100", debit=D("30.00"), partner="Osaka"), LineInput("4000", credit=D("30.00")),
        day=dt.date(2026, 2, 1),
    ))
    payment = _payment(session, company, "40.00")
    reconcile(session, company, [later, earlier, payment], origin="payment:9")
    assert (_item(session, earlier).residual, _item(session, later).residual) == (0, 4000)


def test_a_foreign_invoice_paid_at_another_rate_books_the_exchange_difference(
    session, company, osaka
):
    invoice = _invoice(session, company, "90.00", currency="USD", amount_currency=D("100"))
    payment = _payment(session, company, "95.00", currency="USD", amount_currency=D("-100"))
    settled = reconcile(session, company, [invoice, payment], origin="bank:1")
    assert len(settled.exchange_entries) == 1 and len(settled.closed) == 1
    exchange = get_entry(session, company, settled.exchange_entries[0])
    gain = [(ln.account.code, ln.debit, ln.credit) for ln in exchange.lines]
    assert ("4950", 0, 500) in gain  # received 95.00 for what was booked at 90.00
    assert all(_item(session, i).residual == 0 for i in (invoice, payment))
    balances = {row.code: row.debit - row.credit for row in trial_balance(session, company).rows}
    assert balances["1100"] == 0
    assert_residuals_follow_the_links(session, company)

    unreconcile(session, company, "bank:1")
    assert (_item(session, invoice).residual, _item(session, invoice).residual_currency) == (
        9000, 10000
    )
    assert (_item(session, payment).residual, _item(session, payment).residual_currency) == (
        -9500, -10000
    )
    session.refresh(exchange)
    assert exchange.reversed_by is not None  # never deleted: reversed, and the two settled
    assert_residuals_follow_the_links(session, company)


def test_refusals_write_nothing(session, company, osaka):
    invoice = _invoice(session, company, "10.00")
    other = _line(session, _book(
        session, company, LineInput("2000", debit=D("1"), partner="Osaka"),
        LineInput("6000", credit=D("1")),
    ), "2000")
    with pytest.raises(LedgerError, match="different accounts"):
        reconcile(session, company, [invoice, other], origin="x")
    sales = _line(session, _book(
        session, company, LineInput("1000", debit=D("1")), LineInput("4000", credit=D("1"))
    ), "4000")
    with pytest.raises(NotFound, match="not an open item"):
        reconcile(session, company, [invoice, sales], origin="x")
    assert session.scalar(select(func.count()).select_from(PartialReconcile)) == 0


@pytest.mark.parametrize(
    ("value", "num", "den", "expected"),
    [(10, 1, 3, 3), (10, 1, 4, 3), (-10, 1, 4, -3), (7, 2, 4, 4), (-7, 2, 4, -4), (9, 1, -2, -5)],
)
def test_scaled_rounds_half_away_from_zero(value, num, den, expected):
    assert scaled(value, num, den) == expected
