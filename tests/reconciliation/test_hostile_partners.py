"""Hostile cases of recognizing a line's partner: two partners behind one IBAN or one
spelling of a name tell nothing sure, so neither one's open item is applied on that
ground (docs/reconciliation.md, "Partners")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.invoices import add_invoice
from booksync.app.reconcile import auto, to_reconcile
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import InvoiceType
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company
from booksync.ledger.partners import add_partner
from booksync.reconciliation.facts import LineFacts
from booksync.reconciliation.partners import Directory
from booksync.statements.manual import ManualLine, add_manual_line

DAY = dt.date(2026, 3, 2)
IBAN = "DE89370400440532013000"


def _invoice(books: Books, partner: str, amount: str) -> None:
    add_invoice(books, DocumentInput(InvoiceType.INVOICE, partner, DAY, (
        DocumentLineInput("Work", Decimal(1), Decimal(amount)),)), post=True)


def test_one_iban_of_two_partners_is_no_sure_payer(session: Session, company: Company) -> None:
    add_partner(session, company, "Anna Berg", iban=IBAN)
    add_partner(session, company, "Berg Consulting GmbH", iban=IBAN)
    books = Books(session, company)
    _invoice(books, "Anna Berg", "80.00")
    _invoice(books, "Berg Consulting GmbH", "80.00")
    bank = create_bank_journal(session, company, "Main bank")
    line = add_manual_line(session, company, ManualLine(
        bank.code, DAY, Decimal("80.00"), "Transfer", iban=IBAN))
    assert auto(books).reconciled == 0
    (listed,) = [ln for ln in to_reconcile(books) if ln.id == line]
    assert len(listed.suggestions) == 2
    assert all("counterparty IBAN" not in s.reason for s in listed.suggestions)


def test_one_spelling_of_two_partners_names_is_no_sure_payer(
    session: Session, company: Company
) -> None:
    add_partner(session, company, "Acme Ltd")
    add_partner(session, company, "ACME, Ltd.")
    directory = Directory(session, company)
    found = directory.recognize(LineFacts(1, 1, DAY, 100, 100, "EUR", "Transfer",
                                          partner_name="acme ltd"))
    assert found is None or not found.certain
