"""Invoices and bills: drafts, the entry posting books, numbering, foreign currency."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booksync.app.context import Books, open_books
from booksync.app.invoices import (
    add_invoice,
    cancel_invoice,
    find_invoice,
    list_invoices,
    post_invoice,
    show_invoice,
)
from booksync.documents.invoices import PURCHASE_KINDS, SALE_KINDS
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.entries import get_entry
from booksync.ledger.models import Entry
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.rates import set_rate
from tests.documents.conftest import DAY, document, line

D = Decimal


def entry_lines(books: Books, number: str | None) -> list[tuple[object, ...]]:
    """(account, partner, debit, credit, label, currency, amount in it) of an entry's lines."""
    assert number is not None
    entry = get_entry(books.session, books.company, number)
    return [
        (ln.account.code, ln.partner.name if ln.partner else None, ln.debit, ln.credit, ln.label,
         ln.currency_code, ln.amount_currency)
        for ln in entry.lines
    ]


def test_a_draft_has_its_amounts_and_no_number(books: Books) -> None:
    view = add_invoice(books, document(
        line("Consulting", "2", "500", "VAT 20%"), line("Book", "1.5", "9.99", "VAT 10%"),
        line("Export", "1", "100", "VAT 0%"), terms=30, ref="PO-7",
    ))
    assert (view.number, view.state, view.payment_state, view.entry) == (
        None, "draft", "not_paid", None)
    assert view.due_date == DAY + dt.timedelta(days=30)
    assert [ln.subtotal for ln in view.lines] == [D("1000.00"), D("14.99"), D("100.00")]
    # 14.985 -> 14.99 on the line; taxes 200.00 + 1.499 -> 1.50 + 0
    assert (view.untaxed, view.tax, view.total) == (D("1114.99"), D("201.50"), D("1316.49"))
    assert view.residual == view.total
    assert [ln.account for ln in view.lines] == ["4000"] * 3  # the SAL journal's default


def test_posting_an_invoice_books_receivable_income_and_tax(books: Books) -> None:
    view = add_invoice(books, document(
        line("Consulting", "2", "500", "VAT 20%"), line("Hosting", "1", "50", "VAT 20%", "4100"),
        line("Book", "1", "10", "VAT 10%"), line("Export", "1", "30", "VAT 0%"),
        due_date=dt.date(2026, 4, 15),
    ), post=True)
    assert (view.number, view.state, view.entry) == ("INV/2026/00001", "posted", "SAL/2026/00001")
    assert entry_lines(books, view.entry) == [
        ("1100", "Osaka", 130100, 0, "INV/2026/00001", None, None),
        ("4000", "Osaka", 0, 100000, "Consulting", None, None),
        ("4100", "Osaka", 0, 5000, "Hosting", None, None),
        ("4000", "Osaka", 0, 1000, "Book", None, None),
        ("4000", "Osaka", 0, 3000, "Export", None, None),
        ("2100", "Osaka", 0, 21000, "VAT 20%", None, None),
        ("2100", "Osaka", 0, 100, "VAT 10%", None, None),
    ]  # no line for the 0 % tax: it books nothing
    entry = get_entry(books.session, books.company, "SAL/2026/00001")
    assert (entry.ref, entry.date, entry.state) == ("INV/2026/00001", DAY, "posted")
    item = books.session.scalar(select(OpenItem).where(OpenItem.entry_id == entry.id))
    assert item is not None
    assert (item.due_date, item.residual, item.partner_id) == (
        dt.date(2026, 4, 15), 130100, entry.lines[0].partner_id)


def test_a_bill_books_payable_expense_and_deductible_tax(books: Books) -> None:
    view = add_invoice(books, document(
        line("Paper", "3", "20", "VAT 20%", "6300"), line("Freight", "1", "5"),
        kind=InvoiceType.BILL, ref="V-778",
    ), post=True)
    assert (view.number, view.entry, view.ref) == ("BILL/2026/00001", "PUR/2026/00001", "V-778")
    assert entry_lines(books, view.entry) == [
        ("2000", "Paper Co", 0, 7700, "BILL/2026/00001", None, None),
        ("6300", "Paper Co", 6000, 0, "Paper", None, None),
        ("5000", "Paper Co", 500, 0, "Freight", None, None),
        ("1600", "Paper Co", 1200, 0, "VAT 20%", None, None),
    ]
    entry = get_entry(books.session, books.company, "PUR/2026/00001")
    assert entry.ref == "BILL/2026/00001 (V-778)"


def test_a_credit_note_and_a_refund_book_the_other_sides(books: Books) -> None:
    note = add_invoice(books, document(line("Return", "1", "100", "VAT 20%"),
                                       kind=InvoiceType.CREDIT_NOTE), post=True)
    assert entry_lines(books, note.entry) == [
        ("1100", "Osaka", 0, 12000, "RINV/2026/00001", None, None),
        ("4000", "Osaka", 10000, 0, "Return", None, None),
        ("2100", "Osaka", 2000, 0, "VAT 20%", None, None),
    ]
    refund = add_invoice(books, document(line("Return", "1", "100", "VAT 20%"),
                                         kind=InvoiceType.REFUND), post=True)
    assert entry_lines(books, refund.entry) == [
        ("2000", "Paper Co", 12000, 0, "RBILL/2026/00001", None, None),
        ("5000", "Paper Co", 0, 10000, "Return", None, None),
        ("1600", "Paper Co", 0, 2000, "VAT 20%", None, None),
    ]


def test_a_price_included_tax_books_the_price_it_contains(books: Books) -> None:
    from booksync.app.taxes import add_tax

    add_tax(books, "VAT 20% incl.", "20", "sale", price_included=True)
    view = add_invoice(books, document(line("Ticket", "3", "10.01", "VAT 20% incl.")), post=True)
    # 30.03 gross: 25.03 untaxed (30.03 / 1.2 = 25.025 -> 25.03) and 5.00 tax
    assert (view.untaxed, view.tax, view.total) == (D("25.03"), D("5.00"), D("30.03"))
    assert entry_lines(books, view.entry)[0][2] == 3003


def test_numbers_are_gap_free_per_prefix_and_year_in_posting_order(books: Books) -> None:
    first = add_invoice(books, document(line("A", "1", "10")))
    second = add_invoice(books, document(line("B", "1", "10")))
    assert post_invoice(books, second.id).number == "INV/2026/00001"
    assert post_invoice(books, first.id).number == "INV/2026/00002"
    next_year = add_invoice(books, document(line("C", "1", "10"), date=dt.date(2027, 1, 4)),
                            post=True)
    assert next_year.number == "INV/2027/00001"
    kinds = [InvoiceType.CREDIT_NOTE, InvoiceType.BILL, InvoiceType.REFUND, InvoiceType.BILL]
    numbers = [add_invoice(books, document(line("D", "1", "10"), kind=k), post=True).number
               for k in kinds]
    assert numbers == ["RINV/2026/00001", "BILL/2026/00001", "RBILL/2026/00001",
                       "BILL/2026/00002"]
    assert get_entry(books.session, books.company, "SAL/2026/00003").ref == "RINV/2026/00001"


def test_a_failed_posting_takes_no_number(engine: Engine, books: Books) -> None:
    books.session.close()
    with open_books(engine, None) as b:
        stuck = add_invoice(b, document(line("A", "1", "10"), currency="USD")).id
        fine = add_invoice(b, document(line("B", "1", "10"))).id
    with pytest.raises(BooksyncError, match="no USD exchange rate"), open_books(engine, None) as b:
        post_invoice(b, stuck)
    with open_books(engine, None) as b:
        assert post_invoice(b, fine).number == "INV/2026/00001"
        assert show_invoice(b, stuck).state == "draft"


def test_two_postings_at_once_queue_on_the_counter(
    engine: Engine, books: Books, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing to queue for")
    books.session.close()
    with open_books(engine, None) as b:
        ids = [add_invoice(b, document(line(n, "1", "10"))).id for n in "AB"]
    got: list[str | None] = []

    def post_second() -> None:
        with open_books(engine, None) as b:
            got.append(post_invoice(b, ids[1]).number)

    with open_books(engine, None) as b:
        assert post_invoice(b, ids[0]).number == "INV/2026/00001"
        other = threading.Thread(target=post_second)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive()  # waiting for this transaction's lock on the counter
    other.join(timeout=30)
    assert got == ["INV/2026/00002"]


def test_a_foreign_invoice_books_both_amounts_at_the_rate_of_its_date(books: Books) -> None:
    set_rate(books.session, books.company, "USD", dt.date(2026, 3, 1), "0.5")
    set_rate(books.session, books.company, "USD", dt.date(2026, 3, 3), "0.9")  # after: unused
    view = add_invoice(books, document(
        line("A", "1", "10.05"), line("B", "1", "10.05"), currency="USD",
    ), post=True)
    assert (view.currency, view.total, view.residual) == ("USD", D("20.10"), D("20.10"))
    # Each line converts on its own (5.025 -> 5.02, half-even); the receivable is their sum,
    # 10.04, not 20.10 x 0.5 = 10.05: the entry balances.
    assert entry_lines(books, view.entry) == [
        ("1100", "Osaka", 1004, 0, "INV/2026/00001", "USD", 2010),
        ("4000", "Osaka", 0, 502, "A", "USD", -1005),
        ("4000", "Osaka", 0, 502, "B", "USD", -1005),
    ]
    item = books.session.scalar(select(OpenItem).join(Entry, Entry.id == OpenItem.entry_id)
                                .where(Entry.number == view.entry))
    assert item is not None
    assert (item.currency_code, item.residual_currency, item.residual) == ("USD", 2010, 1004)


def test_a_document_in_a_currency_without_decimals(books: Books) -> None:
    set_rate(books.session, books.company, "JPY", dt.date(2026, 1, 1), "0.0061")
    view = add_invoice(books, document(line("Tea", "3", "333", "VAT 10%"), currency="JPY"),
                       post=True)
    assert (view.untaxed, view.tax, view.total) == (D(999), D(100), D(1099))  # 99.9 -> 100
    lines = entry_lines(books, view.entry)
    assert [ln[6] for ln in lines] == [1099, -999, -100]
    assert [ln[3] for ln in lines] == [0, 609, 61]  # 6.0939 -> 6.09, 0.61
    assert lines[0][2] == 670


def test_drafts_are_cancelled_and_listed(books: Books) -> None:
    draft = add_invoice(books, document(line("A", "1", "10")))
    posted = add_invoice(books, document(line("B", "1", "20")), post=True)
    bill = add_invoice(books, document(line("C", "1", "30"), kind=InvoiceType.BILL), post=True)
    cancelled = cancel_invoice(books, draft.id)
    assert (cancelled.state, cancelled.residual, cancelled.payment_state) == (
        "cancelled", D("0.00"), "not_paid")
    assert [v.id for v in list_invoices(books, SALE_KINDS)] == [draft.id, posted.id]
    assert [v.id for v in list_invoices(books, PURCHASE_KINDS)] == [bill.id]
    assert [v.id for v in list_invoices(books, open_only=True)] == [posted.id, bill.id]
    assert [v.id for v in list_invoices(books, partner="Paper Co")] == [bill.id]
    with pytest.raises(BooksyncError, match="unknown partner"):
        list_invoices(books, partner="Nobody")


def test_find_invoice_names_a_document_by_number_or_id_of_the_kinds_asked(books: Books) -> None:
    bill = add_invoice(books, document(line("C", "1", "30"), kind=InvoiceType.BILL), post=True)
    assert find_invoice(books, "BILL/2026/00001").id == bill.id
    assert find_invoice(books, str(bill.id), PURCHASE_KINDS).number == "BILL/2026/00001"
    with pytest.raises(BooksyncError, match="is a bill, not an invoice or a credit note") as e:
        find_invoice(books, "BILL/2026/00001", SALE_KINDS)
    assert e.value.code == "not_found"
    with pytest.raises(BooksyncError, match="no invoice or credit note 'INV/2026/00009'"):
        find_invoice(books, "INV/2026/00009", SALE_KINDS)


def test_documents_of_another_company_are_not_found(session: Session, books: Books) -> None:
    from booksync.app.companies import create_company
    from booksync.ledger.partners import add_partner

    other = create_company(session, "Other GmbH", "EUR", "DE")
    add_partner(session, other, "Osaka")
    theirs = add_invoice(Books(session, other), document(line("A", "1", "10")), post=True)
    assert theirs.number == "INV/2026/00001"  # numbering is per company
    with pytest.raises(BooksyncError, match="no invoice"):
        show_invoice(books, theirs.id)
    assert add_invoice(books, document(line("A", "1", "10")), post=True).number == (
        "INV/2026/00001")
