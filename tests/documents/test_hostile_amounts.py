"""Amounts at the edges of what the books hold (docs/documents.md, "Amounts")."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from booksync.app.context import Books, open_books
from booksync.app.invoices import add_invoice
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
