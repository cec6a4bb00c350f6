"""Every refusal is one sentence with its code, and writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from booksync.app.context import Books, open_books
from booksync.app.invoices import add_invoice, cancel_invoice, post_invoice
from booksync.documents.models import DocumentSequence, Invoice, InvoiceLine, InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.models import Company, Entry
from booksync.ledger.open_item_models import OpenItem
from tests.documents.conftest import DAY, document, line

TABLES = (Invoice, InvoiceLine, Entry, DocumentSequence, OpenItem)


def _counts(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return [session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES]


def _refused(engine: Engine, act: Callable[[Books], Any], code: str, message: str) -> None:
    before = _counts(engine)
    with pytest.raises(BooksyncError, match=message) as caught, open_books(engine, None) as b:
        act(b)
    assert caught.value.code == code
    assert "\n" not in str(caught.value)
    assert _counts(engine) == before


BAD_INPUT = [
    (document(line("A", "1", "10"), partner="Nobody"), "not_found", "unknown partner 'Nobody'"),
    (document(line("A", "1", "10", "VAT 7%")), "not_found", "unknown sale tax 'VAT 7%'"),
    (document(line("A", "1", "10", "VAT 7%"), kind=InvoiceType.BILL), "not_found",
     "unknown purchase tax"),
    (document(line("A", "1", "10", None, "9999")), "not_found", "line 1: unknown account '9999'"),
    (document(line("A", "1", "10", None, "1100")), "invalid", "1100 is reconcilable"),
    (document(line("A", "1", "10"), due_date=DAY, terms=3), "invalid", "not both"),
    (document(line("A", "1", "10"), terms=-1), "invalid", "between 0 and"),
    (document(line("A", "1", "10"), date=dt.date(9999, 12, 1), terms=60), "invalid",
     "run past 9999-12-31"),
    (document(line("A", "1", "10"), due_date=DAY - dt.timedelta(days=1)), "invalid",
     "before the document's date"),
    (document(line("A", "1", "10"), line("B", "0", "10")), "invalid",
     "line 2: quantity '0' must be positive"),
    (document(line("A", "1.0001", "10")), "invalid", "quantity '1.0001'"),
    (document(line("A", "1", "10.001")), "invalid", "unit price: amount 10.001 has more than 2"),
    (document(line("A", "1", "10"), currency="XYZ"), "invalid_amount", "unknown currency"),
    (document(line("A", "1", "-10")), "invalid", "cannot be negative"),
    (document(line(" ", "1", "10")), "invalid", "needs a description"),
    (document(line("A\x1b", "1", "10")), "invalid", "control character"),
    (document(line("A", "1", "10"), ref="x" * 201), "invalid", "ref is longer than 200"),
    (document(), "invalid", "an invoice needs at least one line"),
    (document(line("A", "1", "10"), currency="USD"), "not_found", "no USD exchange rate"),
    (document(line("A", "1", "0")), "invalid", "nothing to post"),
]


@pytest.mark.parametrize(("data", "code", "message"), BAD_INPUT)
def test_bad_documents_are_refused(
    engine: Engine, books: Books, data: Any, code: str, message: str
) -> None:
    books.session.close()
    _refused(engine, lambda b: add_invoice(b, data, post=True), code, message)


def test_the_lock_date_holds_for_drafts_and_postings(
    engine: Engine, session: Session, books: Books, company: Company
) -> None:
    draft = add_invoice(books, document(line("A", "1", "10"))).id
    company.lock_date = DAY
    session.commit()
    session.close()
    _refused(engine, lambda b: add_invoice(b, document(line("A", "1", "10"))), "locked_period",
             "on or before the lock date 2026-03-02")
    _refused(engine, lambda b: post_invoice(b, draft), "locked_period", "lock date")


def test_a_posted_document_is_not_posted_again_nor_cancelled(engine: Engine, books: Books) -> None:
    posted = add_invoice(books, document(line("A", "1", "10")), post=True).id
    books.session.commit()
    books.session.close()
    _refused(engine, lambda b: post_invoice(b, posted), "conflict",
             "INV/2026/00001 is posted: only a draft invoice can be posted")
    _refused(engine, lambda b: cancel_invoice(b, posted), "conflict",
             "only a draft invoice can be cancelled")


def test_a_cancelled_draft_is_never_posted(engine: Engine, books: Books) -> None:
    draft = add_invoice(books, document(line("A", "1", "10"))).id
    cancel_invoice(books, draft)
    books.session.commit()
    books.session.close()
    _refused(engine, lambda b: post_invoice(b, draft), "conflict", "is cancelled")
