"""Amounts at the edges of what the books hold (docs/documents.md, "Amounts")."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from booksync.app.context import Books, open_books
from booksync.app.invoices import add_invoice, credit_note
from booksync.documents.models import Invoice
from booksync.errors import BooksyncError
from booksync.ledger.models import Entry, Line
from booksync.ledger.rates import set_rate
from tests.documents.conftest import document, line


def test_a_foreign_total_too_large_in_company_currency_is_refused(
    engine: Engine, books: Books
) -> None:
    # Each line converts to 6 000 000 000 000.00 EUR, which a line holds; the
    # receivable, their sum, would hold 12 000 000 000 000.00: more than any line may.
    set_rate(books.session, books.company, "USD", dt.date(2026, 1, 1), "1.5")
    books.session.commit()
    books.session.close()
    data = document(line("A", "1", "4000000000000"), line("B", "1", "4000000000000"),
                    currency="USD")
    with pytest.raises(BooksyncError, match=r"the invoice's total, 12000000000000\.00 EUR, is "
                                            "more than a line can hold") as caught, \
            open_books(engine, None) as b:
        add_invoice(b, data, post=True)
    assert caught.value.code == "invalid"
    with Session(engine) as session:
        assert [session.scalar(select(func.count()).select_from(t))
                for t in (Invoice, Entry, Line)] == [0, 0, 0]


def test_an_invoice_whose_lines_net_to_zero_is_not_posted(engine: Engine, books: Books) -> None:
    """Its open item would owe nothing and show "not paid" for ever, where a single line
    of zero is refused as nothing to post."""
    books.session.close()
    data = document(line("Goods", "1", "100.00"), line("Discount", "1", "-100.00"))
    with pytest.raises(BooksyncError, match="totals 0: there is nothing to be paid"), \
            open_books(engine, None) as b:
        add_invoice(b, data, post=True)
    with Session(engine) as session:
        assert [session.scalar(select(func.count()).select_from(t))
                for t in (Invoice, Entry, Line)] == [0, 0, 0]


def test_a_credit_note_is_not_dated_before_the_invoice_it_credits(
    engine: Engine, books: Books
) -> None:
    books.session.close()
    with open_books(engine, None) as b:
        number = add_invoice(b, document(line("Goods", "1", "100.00")), post=True).number
    with pytest.raises(BooksyncError, match=r"a credit note is dated on or after what it "
                                            r"credits: 2026-03-01 is before INV/"), \
            open_books(engine, None) as b:
        credit_note(b, number, date=dt.date(2026, 3, 1))
    with open_books(engine, None) as b:
        assert credit_note(b, number, date=dt.date(2026, 3, 2)).state == "posted"
