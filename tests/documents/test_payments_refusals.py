"""A payment that cannot be booked is refused in one sentence, with nothing written."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from booksync.app.context import open_books
from booksync.app.payments import add_payment
from booksync.documents.models import Invoice, InvoiceType, Payment
from booksync.errors import BooksyncError
from booksync.ledger.journals import create_bank_journal
from tests.documents.payment_support import DAY, D, World, counts, document, residuals, world


@pytest.fixture
def w(session, company) -> World:
    return world(session, company)


def _refused(session, w: World, code: str, fragment: str, **given: Any) -> None:
    """add_payment with ``given`` over a valid inbound payment is refused, writing nothing."""
    args: dict[str, Any] = {
        "journal": "BNK1", "partner": "Osaka", "amount": D("10"), "date": DAY,
    } | given
    before, open_before = counts(session), residuals(session)
    with pytest.raises(BooksyncError) as caught:
        add_payment(w.books, **args)
    assert caught.value.code == code, str(caught.value)
    message = str(caught.value)
    assert fragment in message and "\n" not in message
    # Checked in the same session, before any rollback: the refusal came before the writes.
    assert counts(session) == before
    assert residuals(session) == open_before


def test_unknown_names_are_not_found(session, company, w):
    _refused(session, w, "not_found", "unknown journal", journal="BNK9")
    _refused(session, w, "not_found", "unknown partner", partner="Nagoya")
    _refused(session, w, "not_found", "'INV/2026/99999'", invoices=["INV/2026/99999"])


def test_only_a_bank_journal_takes_a_payment(session, company, w):
    _refused(session, w, "invalid", "SAL is not a bank journal", journal="SAL")


@pytest.mark.parametrize(
    ("amount", "code", "fragment"),
    [("0", "invalid", "more than zero"), ("-5", "invalid", "more than zero"),
     ("1.234", "invalid_amount", "more than 2 decimal places")],
)
def test_the_amount_must_be_positive_and_fit_the_currency(session, company, w, amount, code,
                                                         fragment):
    _refused(session, w, code, fragment, amount=D(amount))


def test_a_document_must_be_the_partner_s_posted_and_of_the_right_kind(session, company, w):
    theirs = document(session, company, w.kyoto, "10.00", kind=InvoiceType.REFUND)
    _refused(session, w, "invalid", "is Kyoto's, not Osaka's", invoices=[theirs.number])
    bill = document(session, company, w.osaka, "10.00", kind=InvoiceType.BILL)
    _refused(session, w, "invalid", "is a bill: an inbound payment pays invoices and refunds",
             invoices=[bill.number])
    invoice = document(session, company, w.osaka, "10.00")
    _refused(session, w, "invalid", "is an invoice: an outbound payment pays bills and credit "
             "notes", invoices=[invoice.number], outbound=True)
    _refused(session, w, "invalid", "named twice", invoices=[invoice.number, invoice.number])
    refund = document(session, company, w.osaka, "10.00", kind=InvoiceType.REFUND)
    _refused(session, w, "invalid", "not both", invoices=[invoice.number, refund.number])


def test_a_draft_is_not_paid(session, company, w):
    draft = document(session, company, w.osaka, "10.00", post=False)
    _refused(session, w, "invalid", f"draft {draft.id} is draft: only posted documents",
             invoices=[str(draft.id)])


def test_a_paid_document_is_a_conflict(session, company, w):
    invoice = document(session, company, w.osaka, "10.00")
    add_payment(w.books, journal="BNK1", partner="Osaka", amount=D("10"), date=DAY,
                invoices=[invoice.number])
    session.commit()
    _refused(session, w, "conflict", f"{invoice.number} is already paid",
             invoices=[invoice.number])
    assert session.get(Invoice, invoice.id) is not None


def test_a_foreign_journal_needs_a_rate_and_the_lock_date_holds(session, company, w):
    create_bank_journal(session, company, "Dollars", "USD")
    session.commit()
    _refused(session, w, "not_found", "no USD exchange rate on or before 2026-03-10",
             journal="BNK2")
    company.lock_date = dt.date(2026, 3, 31)
    session.commit()
    _refused(session, w, "locked_period", "on or before the lock date")


def test_a_reference_holds_no_control_character(session, company, w):
    _refused(session, w, "invalid", "ref", ref="a\nb")


def test_two_payments_of_one_invoice_at_once_settle_it_once(session, company, w, engine,
                                                             backend):
    """The second waits for the first's lock, then finds the invoice paid (PostgreSQL; SQLite
    has one writer at a time)."""
    if backend != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time")
    invoice = document(session, company, w.osaka, "10.00")
    number = invoice.number
    add_payment(w.books, journal="BNK1", partner="Osaka", amount=D("10"), date=DAY,
                invoices=[number])  # holds the invoice's open item until the commit
    outcome: list[BaseException | None] = []

    def second() -> None:
        try:
            with open_books(engine, None) as books:
                add_payment(books, journal="BNK1", partner="Osaka", amount=D("10"), date=DAY,
                            invoices=[number])
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1)
    assert thread.is_alive() and not outcome  # waiting for the first payment's lock
    session.commit()
    thread.join(timeout=30)
    (error,) = outcome
    assert isinstance(error, BooksyncError) and error.code == "conflict", error
    assert f"{number} is already paid" in str(error)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
