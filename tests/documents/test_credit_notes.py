"""Credit notes and refunds, and what is owed: residual and payment state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from booksync.app.context import Books
from booksync.app.invoices import (
    InvoiceView,
    add_invoice,
    credit_note,
    find_invoice,
    list_invoices,
    show_invoice,
)
from booksync.documents.invoices import SALE_KINDS
from booksync.documents.models import InvoiceType
from booksync.documents.payment_state import credit_note_origin, document_item
from booksync.errors import BooksyncError
from booksync.ledger.entries import EntryInput, LineInput, add_entries, get_entry
from booksync.ledger.models import Line
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.rates import set_rate
from booksync.ledger.reconcile import reconcile, unreconcile
from tests.documents.conftest import DAY, document, line

D = Decimal


def _receivable_line(books: Books, view: InvoiceView) -> int:
    item = document_item(books.session, books.company, find_invoice(books, view.id))
    assert item is not None
    return item.line_id


def _pay(books: Books, view: InvoiceView, amount: str, origin: str) -> None:
    """A customer's payment booked by hand and settled against the invoice."""
    (entry_id,) = add_entries(books.session, books.company, [EntryInput(
        "MISC", DAY, (LineInput("1250", debit=D(amount)),
                      LineInput("1100", credit=D(amount), partner="Osaka")),
    )], post=True)
    paid = books.session.scalar(select(Line.id).where(Line.entry_id == entry_id,
                                                      Line.credit > 0))
    assert paid is not None
    reconcile(books.session, books.company, [_receivable_line(books, view), paid], origin=origin)


def _state(books: Books, ref: int | str | None) -> tuple[Decimal, str]:
    assert ref is not None
    view = show_invoice(books, ref)
    return view.residual, view.payment_state


def test_a_credit_note_mirrors_the_invoice_and_settles_it(books: Books) -> None:
    invoice = add_invoice(books, document(
        line("Consulting", "2", "500", "VAT 20%"), line("Book", "1", "10", "VAT 10%"), terms=30,
    ), post=True)
    note = credit_note(books, invoice.number or "")
    assert (note.number, note.type, note.ref, note.date, note.due_date) == (
        "RINV/2026/00001", "credit_note", "INV/2026/00001", DAY, DAY)
    assert [(ln.description, ln.quantity, ln.unit_price, ln.tax, ln.account, ln.subtotal)
            for ln in note.lines] == [
        (ln.description, ln.quantity, ln.unit_price, ln.tax, ln.account, ln.subtotal)
        for ln in invoice.lines
    ]
    assert (note.total, note.residual, note.payment_state) == (invoice.total, D("0.00"),
                                                               "reversed")
    assert _state(books, invoice.id) == (D("0.00"), "reversed")
    original = get_entry(books.session, books.company, invoice.entry or "")
    mirror = get_entry(books.session, books.company, note.entry or "")
    assert [(ln.account_id, ln.debit, ln.credit) for ln in mirror.lines] == [
        (ln.account_id, ln.credit, ln.debit) for ln in original.lines
    ]
    items = books.session.scalars(select(OpenItem).where(
        OpenItem.entry_id.in_([original.id, mirror.id]))).all()
    assert {i.full_reconcile_id for i in items} != {None}
    assert len({i.full_reconcile_id for i in items}) == 1
    assert list_invoices(books, SALE_KINDS, open_only=True) == []


def test_undoing_the_credit_note_s_settlement_reopens_both(books: Books) -> None:
    invoice = add_invoice(books, document(line("A", "1", "100")), post=True)
    note = credit_note(books, invoice.id)
    assert unreconcile(books.session, books.company, credit_note_origin(note.id)) == 1
    assert _state(books, invoice.id) == (D("100.00"), "not_paid")
    assert _state(books, note.id) == (D("100.00"), "not_paid")


def test_payments_make_an_invoice_partial_then_paid(books: Books) -> None:
    invoice = add_invoice(books, document(line("A", "1", "100", "VAT 20%")), post=True)
    assert _state(books, invoice.id) == (D("120.00"), "not_paid")
    _pay(books, invoice, "50", "payment:1")
    assert _state(books, invoice.id) == (D("70.00"), "partial")
    assert [v.id for v in list_invoices(books, open_only=True)] == [invoice.id]
    _pay(books, invoice, "70", "payment:2")
    assert _state(books, invoice.id) == (D("0.00"), "paid")
    assert list_invoices(books, open_only=True) == []


def test_a_credit_note_after_a_payment_settles_only_what_is_left(books: Books) -> None:
    invoice = add_invoice(books, document(line("A", "1", "100")), post=True)
    _pay(books, invoice, "30", "payment:1")
    note = credit_note(books, invoice.id)
    assert _state(books, invoice.id) == (D("0.00"), "paid")  # not only by its credit note
    assert (note.residual, note.payment_state) == (D("30.00"), "partial")  # owed to Osaka


def test_a_refund_settles_its_bill(books: Books) -> None:
    bill = add_invoice(books, document(line("Paper", "2", "30", "VAT 10%"),
                                       kind=InvoiceType.BILL, ref="V-1"), post=True)
    assert bill.residual == D("66.00")
    refund = credit_note(books, bill.number or "", date=dt.date(2026, 3, 9))
    assert (refund.number, refund.type, refund.date) == ("RBILL/2026/00001", "refund",
                                                         dt.date(2026, 3, 9))
    assert _state(books, bill.id) == (D("0.00"), "reversed")
    assert (refund.residual, refund.payment_state) == (D("0.00"), "reversed")


def test_a_foreign_credit_note_at_another_rate_books_the_exchange_difference(
    books: Books,
) -> None:
    set_rate(books.session, books.company, "USD", dt.date(2026, 3, 1), "0.9")
    set_rate(books.session, books.company, "USD", dt.date(2026, 4, 1), "0.8")
    invoice = add_invoice(books, document(line("A", "1", "100"), currency="USD"), post=True)
    note = credit_note(books, invoice.id, date=dt.date(2026, 4, 2))
    assert get_entry(books.session, books.company, note.entry or "").lines[0].credit == 8000
    assert _state(books, invoice.id) == (D("0.00"), "reversed")
    assert _state(books, note.id) == (D("0.00"), "reversed")
    assert get_entry(books.session, books.company, "MISC/2026/00001").ref == (
        f"Exchange difference ({credit_note_origin(note.id)})")


@pytest.mark.parametrize("setup", ["draft", "credited", "credit_note", "cancelled"])
def test_what_cannot_be_credited(books: Books, setup: str) -> None:
    invoice = add_invoice(books, document(line("A", "1", "100")), post=setup != "draft")
    if setup == "credited":
        credit_note(books, invoice.id)
        target, message = invoice.id, "already has a credit note: RINV/2026/00001"
    elif setup == "credit_note":
        target, message = credit_note(books, invoice.id).id, "cannot itself be corrected"
    elif setup == "cancelled":
        from booksync.app.invoices import cancel_invoice

        draft = add_invoice(books, document(line("B", "1", "10")))
        target, message = cancel_invoice(books, draft.id).id, "is cancelled: only a posted"
    else:
        target, message = invoice.id, "is draft: only a posted invoice gets a credit note"
    with pytest.raises(BooksyncError, match=message) as caught:
        credit_note(books, target)
    assert caught.value.code == "conflict"
