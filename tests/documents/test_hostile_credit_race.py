"""Documents changed by two transactions at once (PostgreSQL).

A credit note reads what its original still owes and settles it: a second
credit note, or a payment, committed meanwhile must be seen, not overwritten
(docs/documents.md, "Credit notes and refunds").  A draft is posted or
cancelled once, whoever asks at the same time (docs/documents.md, "Numbering").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from booksync.app.context import Books, open_books
from booksync.app.invoices import (
    add_invoice,
    cancel_invoice,
    credit_note,
    post_invoice,
    show_invoice,
)
from booksync.app.payments import add_payment
from booksync.documents.models import Invoice
from booksync.errors import BooksyncError
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, Entry
from booksync.ledger.open_item_models import OpenItem
from tests.documents.conftest import DAY, document, line

D = Decimal


@pytest.fixture
def invoice(engine: Engine, books: Books, backend: str) -> str:
    """A posted invoice of 100.00 to Osaka, committed, and a bank journal."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing races")
    create_bank_journal(books.session, books.company, "Main")
    number = add_invoice(books, document(line("Work", "1", "100")), post=True).number
    books.session.commit()
    books.session.close()
    assert number is not None
    return number


def _while_held(engine: Engine, first: Callable[[Books], object],
                second: Callable[[Books], object]) -> list[object]:
    """Run ``second`` in another transaction while ``first``'s is still open; what it
    returned, or the error it raised."""
    got: list[object] = []

    def run() -> None:
        try:
            with open_books(engine, None) as b:
                got.append(second(b))
        except BooksyncError as exc:
            got.append(exc)

    with open_books(engine, None) as b:
        first(b)
        other = threading.Thread(target=run)
        other.start()
        other.join(timeout=1.0)
    other.join(timeout=30)
    assert not other.is_alive()
    return got


def test_two_credit_notes_of_one_invoice_at_once_make_one(engine: Engine, invoice: str) -> None:
    got = _while_held(engine, lambda b: credit_note(b, invoice),
                      lambda b: credit_note(b, invoice))
    assert len(got) == 1 and isinstance(got[0], BooksyncError)
    assert got[0].code == "conflict"
    assert "already has a credit note: RINV/2026/00001" in str(got[0])
    with Session(engine) as session:
        assert session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.type == "credit_note")
        ) == 1


def test_a_credit_note_while_a_payment_settles_the_invoice_leaves_the_credit_open(
    engine: Engine, invoice: str
) -> None:
    got = _while_held(
        engine,
        lambda b: add_payment(b, journal="BNK1", partner="Osaka", amount=D("100"), date=DAY,
                              invoices=[invoice]),
        lambda b: credit_note(b, invoice),
    )
    assert len(got) == 1 and not isinstance(got[0], Exception)
    with open_books(engine, None) as b:
        assert show_invoice(b, invoice).payment_state == "paid"
        note = show_invoice(b, "RINV/2026/00001")
        # The payment took the invoice; the credit note owes the customer all of it.
        assert (note.residual, note.payment_state) == (D("100.00"), "not_paid")
    with Session(engine) as session:
        # The receivable's open items still add up to its lines: 100 debit, 100 + 100 credit.
        assert session.scalar(
            select(func.sum(OpenItem.residual)).join(Account, Account.id == OpenItem.account_id)
            .where(Account.code == "1100")
        ) == -10000


@pytest.fixture
def draft(engine: Engine, books: Books, backend: str) -> int:
    """A draft invoice of 100.00 to Osaka, committed."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing races")
    found = add_invoice(books, document(line("Work", "1", "100"))).id
    books.session.commit()
    books.session.close()
    return found


def test_one_draft_posted_twice_at_once_is_posted_once(engine: Engine, draft: int) -> None:
    got = _while_held(engine, lambda b: post_invoice(b, draft), lambda b: post_invoice(b, draft))
    assert len(got) == 1 and isinstance(got[0], BooksyncError)
    assert got[0].code == "conflict"
    assert "INV/2026/00001 is posted: only a draft invoice can be posted" in str(got[0])
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 1
    with open_books(engine, None) as b:
        assert post_invoice(b, add_invoice(b, document(line("Next", "1", "5"))).id).number == (
            "INV/2026/00002"  # no number was lost
        )


def test_a_draft_cancelled_while_it_is_posted_stays_posted(engine: Engine, draft: int) -> None:
    got = _while_held(engine, lambda b: post_invoice(b, draft),
                      lambda b: cancel_invoice(b, draft))
    assert len(got) == 1 and isinstance(got[0], BooksyncError)
    assert "is posted: only a draft invoice can be cancelled" in str(got[0])
    with open_books(engine, None) as b:
        assert show_invoice(b, draft).state == "posted"


def test_a_payment_while_a_credit_note_settles_the_invoice_is_refused(
    engine: Engine, invoice: str
) -> None:
    got = _while_held(
        engine,
        lambda b: credit_note(b, invoice),
        lambda b: add_payment(b, journal="BNK1", partner="Osaka", amount=D("100"), date=DAY,
                              invoices=[invoice]),
    )
    assert len(got) == 1 and isinstance(got[0], BooksyncError)
    assert (got[0].code, str(got[0])) == ("conflict", f"{invoice} is already paid")
