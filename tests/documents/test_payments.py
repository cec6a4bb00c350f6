"""Registering payments: the entry they post, and the documents they settle."""

from __future__ import annotations

import datetime as dt

import pytest

from booksync.app.payments import add_payment, list_payments
from booksync.app.shapes import as_json
from booksync.documents.models import InvoiceType, Payment
from booksync.documents.payments import outstanding_line_id
from booksync.ledger.entries import get_entry
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.rates import set_rate
from booksync.ledger.reports import trial_balance
from tests.documents.payment_support import (
    DAY,
    D,
    World,
    counts,
    document,
    document_item,
    item_of,
    world,
)


@pytest.fixture
def w(session, company) -> World:
    return world(session, company)


def _payment(session, view) -> Payment:
    payment = session.get(Payment, view.id)
    assert payment is not None
    return payment


def _lines(session, company, view):
    entry = get_entry(session, company, view.entry)
    return [
        (ln.account.code, ln.partner.name if ln.partner else None, ln.debit, ln.credit,
         ln.currency_code, ln.amount_currency, ln.label)
        for ln in entry.lines
    ]


def test_an_inbound_payment_books_outstanding_receipts_against_the_receivable(
    session, company, w
):
    view = add_payment(
        w.books, journal="BNK1", partner="Osaka", amount=D("150"), date=DAY, ref="Remit 42"
    )
    session.commit()
    entry = get_entry(session, company, view.entry)
    assert (entry.number, entry.journal.code, entry.date, entry.ref, entry.state) == (
        "BNK1/2026/00001", "BNK1", DAY, "Remit 42", "posted"
    )
    assert _lines(session, company, view) == [
        ("1250", "Osaka", 15000, 0, None, None, "Remit 42"),
        ("1100", "Osaka", 0, 15000, None, None, "Remit 42"),
    ]
    payment = _payment(session, view)
    assert (payment.amount, payment.currency_code, payment.outbound, payment.entry_id) == (
        15000, "EUR", False, entry.id
    )
    outstanding = item_of(session, outstanding_line_id(payment))
    assert (outstanding.residual, outstanding.account_id) == (15000, entry.lines[0].account_id)
    # Without documents the payment is on account: its receivable line stays open.
    assert item_of(session, payment.partner_line_id).residual == -15000
    assert as_json(view) == {
        "id": payment.id, "journal": "BNK1", "partner": "Osaka", "direction": "inbound",
        "amount": "150.00", "currency": "EUR", "date": "2026-03-10", "ref": "Remit 42",
        "entry": "BNK1/2026/00001", "invoices": [], "batch": None,
    }


def test_a_payment_of_one_invoice_in_full_closes_it(session, company, w):
    invoice = document(session, company, w.osaka, "120.00")
    view = add_payment(
        w.books, journal="BNK1", partner="Osaka", amount=D("120.00"), date=DAY,
        invoices=[invoice.number],
    )
    session.commit()
    assert view.invoices == (invoice.number,)
    assert _lines(session, company, view)[0][6] == "Payment from Osaka"
    settled = document_item(session, invoice)
    assert (settled.residual, settled.residual_currency) == (0, 0)
    assert settled.full_reconcile_id is not None
    payment = _payment(session, view)
    assert item_of(session, payment.partner_line_id).full_reconcile_id == settled.full_reconcile_id
    assert item_of(session, payment.outstanding_line_id).residual == 12000  # for the bank line
    balances = {r.code: r.debit - r.credit for r in trial_balance(session, company).rows}
    assert (balances["1100"], balances["1250"]) == (0, 12000)


def test_two_invoices_are_paid_oldest_due_first(session, company, w):
    later = document(session, company, w.osaka, "50.00", due=dt.date(2026, 4, 30))
    earlier = document(session, company, w.osaka, "30.00", due=dt.date(2026, 3, 31))
    view = add_payment(
        w.books, journal="BNK1", partner="Osaka", amount=D("60"), date=DAY,
        invoices=[later.number, earlier.number],
    )
    session.commit()
    assert document_item(session, earlier).residual == 0
    assert document_item(session, later).residual == 2000
    assert view.invoices == (earlier.number, later.number)
    assert item_of(session, _payment(session, view).partner_line_id).residual == 0


def test_a_partial_payment_leaves_the_invoice_partly_paid_and_payable_again(
    session, company, w
):
    invoice = document(session, company, w.osaka, "100.00")
    add_payment(w.books, journal="BNK1", partner="Osaka", amount=D("40"), date=DAY,
                invoices=[invoice.number])
    item = document_item(session, invoice)
    assert (item.residual, item.full_reconcile_id) == (6000, None)
    add_payment(w.books, journal="BNK1", partner="Osaka", amount=D("60"), date=DAY,
                invoices=[invoice.number])
    session.commit()
    item = document_item(session, invoice)
    assert item.residual == 0 and item.full_reconcile_id is not None
    assert [v.invoices for v in list_payments(w.books)] == [(invoice.number,)] * 2


def test_an_overpayment_leaves_the_rest_on_account(session, company, w):
    invoice = document(session, company, w.osaka, "100.00")
    view = add_payment(w.books, journal="BNK1", partner="Osaka", amount=D("150"), date=DAY,
                       invoices=[invoice.number])
    session.commit()
    assert document_item(session, invoice).residual == 0
    rest = item_of(session, _payment(session, view).partner_line_id)
    assert (rest.residual, rest.full_reconcile_id) == (-5000, None)


def test_an_outbound_payment_of_a_bill_debits_the_payable(session, company, w):
    bill = document(session, company, w.kyoto, "80.00", kind=InvoiceType.BILL)
    view = add_payment(w.books, journal="BNK1", partner="Kyoto", amount=D("80"), date=DAY,
                       outbound=True, invoices=[bill.number])
    session.commit()
    assert _lines(session, company, view) == [
        ("2000", "Kyoto", 8000, 0, None, None, "Payment to Kyoto"),
        ("1260", "Kyoto", 0, 8000, None, None, "Payment to Kyoto"),
    ]
    assert document_item(session, bill).full_reconcile_id is not None
    payment = _payment(session, view)
    assert payment.outbound and view.direction == "outbound"
    assert item_of(session, payment.outstanding_line_id).residual == -8000


def test_credit_notes_and_vendor_refunds_are_paid_on_their_own_account(session, company, w):
    note = document(session, company, w.osaka, "20.00", kind=InvoiceType.CREDIT_NOTE)
    back = add_payment(w.books, journal="BNK1", partner="Osaka", amount=D("20"), date=DAY,
                       outbound=True, invoices=[note.number])
    refund = document(session, company, w.kyoto, "15.00", kind=InvoiceType.REFUND)
    received = add_payment(w.books, journal="BNK1", partner="Kyoto", amount=D("15"), date=DAY,
                           invoices=[refund.number])
    session.commit()
    assert [line[:4] for line in _lines(session, company, back)] == [
        ("1100", "Osaka", 2000, 0), ("1260", "Osaka", 0, 2000),
    ]
    assert [line[:4] for line in _lines(session, company, received)] == [
        ("1250", "Kyoto", 1500, 0), ("2000", "Kyoto", 0, 1500),
    ]
    assert document_item(session, note).residual == 0
    assert document_item(session, refund).residual == 0


def test_a_foreign_currency_payment_books_the_rate_of_the_day_and_the_exchange_difference(
    session, company, w
):
    usd = create_bank_journal(session, company, "Dollars", "USD")
    set_rate(session, company, "USD", dt.date(2026, 3, 1), "0.90")
    set_rate(session, company, "USD", dt.date(2026, 3, 20), "0.95")
    invoice = document(session, company, w.osaka, "100", currency="USD")  # 90.00 EUR
    before = counts(session)
    view = add_payment(w.books, journal=usd.code, partner="Osaka", amount=D("100"),
                       date=dt.date(2026, 3, 20), invoices=[invoice.number])
    session.commit()
    assert (view.amount, view.currency) == (D("100.00"), "USD")
    assert _lines(session, company, view) == [
        ("1250", "Osaka", 9500, 0, "USD", 10000, "Payment from Osaka"),
        ("1100", "Osaka", 0, 9500, "USD", -10000, "Payment from Osaka"),
    ]
    assert counts(session)["entry"] == before["entry"] + 2  # the payment, the difference
    item = document_item(session, invoice)
    assert (item.residual, item.residual_currency) == (0, 0)
    assert item.full_reconcile_id is not None
    balances = {r.code: r.debit - r.credit for r in trial_balance(session, company).rows}
    assert balances["1100"] == 0
    assert balances["4950"] == -500  # 100 USD booked at 90.00 EUR, received at 95.00 EUR


def test_the_listing_shows_every_payment_with_its_documents_and_batch(session, company, w):
    invoice = document(session, company, w.osaka, "10.00")
    first = add_payment(w.books, journal="BNK1", partner="Osaka", amount=D("10"), date=DAY,
                        invoices=[invoice.number])
    second = add_payment(w.books, journal="BNK1", partner="Kyoto", amount=D("7.5"),
                         date=dt.date(2026, 3, 1), outbound=True)
    session.commit()
    listed = list_payments(w.books)
    assert [v.id for v in listed] == [second.id, first.id]  # by date
    assert listed == (second, first)
    assert as_json(listed[0])["amount"] == "7.50"
