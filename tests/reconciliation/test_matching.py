"""The matching engine on real invoices: references, partners, amounts, and what is certain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.invoices import add_invoice
from booksync.app.reconcile import apply, auto, to_reconcile, undo
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company, Journal
from booksync.ledger.partners import add_partner
from booksync.statements.manual import ManualLine, add_manual_line

D = Decimal
DAY = dt.date(2026, 3, 2)


@pytest.fixture
def books(session: Session, company: Company) -> Books:
    add_partner(session, company, "Osaka Precision KK", iban="DE89370400440532013000")
    add_partner(session, company, "Nordwerk GmbH")
    return Books(session, company)


@pytest.fixture
def bank(books: Books) -> Journal:
    return create_bank_journal(books.session, books.company, "Main bank")


def _invoice(books: Books, partner: str, amount: str, kind: InvoiceType = InvoiceType.INVOICE
             ) -> str:
    view = add_invoice(books, DocumentInput(
        kind, partner, DAY, (DocumentLineInput("Work", D(1), D(amount)),)
    ), post=True)
    assert view.number is not None
    return view.number


def _line(books: Books, bank: Journal, amount: str, label: str, **more: str) -> int:
    return add_manual_line(books.session, books.company, ManualLine(
        bank.code, DAY + dt.timedelta(days=3), D(amount), label, **more
    ))


def _suggestions(books: Books, line_id: int) -> list[dict[str, object]]:
    (line,) = [ln for ln in to_reconcile(books) if ln.id == line_id]
    return [
        {"documents": s.documents, "score": s.score, "reason": s.reason, "kind": s.kind}
        for s in line.suggestions
    ]


def test_a_reference_written_loosely_with_the_exact_amount_is_reconciled(books, bank):
    number = _invoice(books, "Osaka Precision KK", "100.00")
    year, seq = number.split("/")[1:]
    line = _line(books, bank, "100.00", f"SEPA credit Osaka inv {year}-{int(seq)}")
    (best, *_) = _suggestions(books, line)
    assert best["documents"] == [number] and best["score"] == 100
    assert best["reason"] == f"{number} named in the label; amount equal"
    result = auto(books)
    assert (result.reconciled, result.left) == (1, 0)
    assert to_reconcile(books) == []
    assert _standing(books, number) == ("paid", D("0.00"))


def _standing(books: Books, number: str) -> tuple[str, Decimal]:
    from booksync.app.invoices import show_invoice

    view = show_invoice(books, number)
    return view.payment_state, view.residual


def test_several_invoices_in_one_transfer_by_their_numbers(books, bank):
    first, second = (_invoice(books, "Osaka Precision KK", a) for a in ("100.00", "50.00"))
    _line(books, bank, "150.00", f"Payment {first} and {second}")
    assert auto(books).reconciled == 1
    assert _standing(books, first)[0] == _standing(books, second)[0] == "paid"


def test_a_partial_payment_is_suggested_not_applied(books, bank):
    number = _invoice(books, "Osaka Precision KK", "100.00")
    line = _line(books, bank, "40.00", f"First part of {number}")
    (best, *_) = _suggestions(books, line)
    assert best["score"] == 75 and "pays 40.00 EUR of 100.00 EUR" in str(best["reason"])
    assert auto(books).reconciled == 0
    apply(books, line)  # the best suggestion, on request
    assert _standing(books, number) == ("partial", D("60.00"))


def test_partner_by_iban_and_one_open_item_of_that_amount_is_certain(books, bank):
    number = _invoice(books, "Osaka Precision KK", "80.00")
    _invoice(books, "Osaka Precision KK", "90.00")
    _invoice(books, "Nordwerk GmbH", "80.00")
    line = _line(books, bank, "80.00", "Transfer", iban="DE89 3704 0044 0532 0130 00")
    (best, *_) = _suggestions(books, line)
    assert best["documents"] == [number] and "counterparty IBAN" in str(best["reason"])
    assert auto(books).reconciled == 1


def test_the_bank_s_spelling_of_a_name_is_certain_and_a_close_one_is_a_guess(books):
    from booksync.reconciliation.facts import LineFacts
    from booksync.reconciliation.partners import Directory

    directory = Directory(books.session, books.company)

    def facts(name: str) -> LineFacts:
        return LineFacts(1, 1, DAY, 100, 100, "EUR", "Transfer", partner_name=name)

    same = directory.recognize(facts("NORDWERK  GMBH."))
    assert same is not None and (same.name, same.certain) == ("Nordwerk GmbH", True)
    close = directory.recognize(facts("Nordwerk GbmH"))
    assert close is not None and (close.name, close.certain) == ("Nordwerk GmbH", False)
    assert directory.recognize(facts("Someone Else Ltd")) is None


def test_amount_alone_is_never_applied(books, bank):
    _invoice(books, "Nordwerk GmbH", "33.00")
    line = _line(books, bank, "33.00", "Unknown sender")
    (best, *_) = _suggestions(books, line)
    assert best["score"] == 30
    assert auto(books).reconciled == 0


def test_a_reference_to_another_partners_invoice_is_not_applied(books, bank):
    number = _invoice(books, "Nordwerk GmbH", "20.00")
    line = _line(books, bank, "20.00", f"Pays {number}", iban="DE89370400440532013000")
    (best, *_) = _suggestions(books, line)
    assert best["documents"] == [number] and "comes from Osaka Precision KK" in str(
        best["reason"]
    )
    assert auto(books).reconciled == 0


def test_undo_after_auto_reopens_the_invoice(books, bank):
    number = _invoice(books, "Osaka Precision KK", "12.00")
    line = _line(books, bank, "12.00", number)
    auto(books)
    undo(books, line)
    assert _standing(books, number) == ("not_paid", D("12.00"))
    assert [ln.id for ln in to_reconcile(books)] == [line]


def test_a_vendor_bill_paid_by_an_outgoing_transfer_naming_the_vendor_reference(books, bank):
    from booksync.app.invoices import add_invoice as add_document

    bill = add_document(books, DocumentInput(
        InvoiceType.BILL, "Nordwerk GmbH", DAY, (DocumentLineInput("Parts", D(2), D("30.00")),),
        ref="F-2026-118",
    ), post=True)
    total = bill.total
    _line(books, bank, f"-{total}", "SEPA debit Nordwerk F-2026 118")
    assert auto(books).reconciled == 1
    assert bill.number is not None and _standing(books, bill.number)[0] == "paid"


def test_a_transfer_paying_several_invoices_of_a_known_partner_without_numbers(books, bank):
    """Two of the partner's open items add up to the amount (some of them equal): a
    suggestion, oldest due first; never applied without a reference."""
    numbers = [_invoice(books, "Osaka Precision KK", a) for a in ("40.00", "40.00", "25.00")]
    line = _line(books, bank, "65.00", "Transfer", iban="DE89370400440532013000")
    suggested = _suggestions(books, line)
    assert suggested[0]["documents"] == [numbers[0], numbers[2]]
    assert "add up to the amount" in str(suggested[0]["reason"])
    assert auto(books).reconciled == 0
