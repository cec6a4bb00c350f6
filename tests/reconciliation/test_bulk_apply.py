"""The batch path of ``reconcile auto`` books exactly what the one-by-one path books."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.app.context import Books
from booksync.app.invoices import add_invoice
from booksync.app.reconcile import auto
from booksync.documents.invoices import DocumentInput, DocumentLineInput
from booksync.documents.models import Invoice, InvoiceType
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, Entry, Line, Partner
from booksync.ledger.open_item_models import FullReconcile, OpenItem, PartialReconcile
from booksync.ledger.partners import add_partner
from booksync.reconciliation.auto import Matcher, apply_proposal, unreconciled_facts
from booksync.reconciliation.matching import choose
from booksync.reconciliation.models import BankReconciliation
from booksync.reconciliation.rules import load_rules
from booksync.statements.manual import ManualLine, add_manual_line

DAY = dt.date(2026, 6, 1)


def _books(session: Session, name: str) -> Books:
    company = create_company(session, name, "EUR", "DE")
    add_partner(session, company, "Osaka", iban="DE89370400440532013000")
    add_partner(session, company, "Nordwerk")
    bank = create_bank_journal(session, company, "Bank")
    books = Books(session, company)

    def document(kind: InvoiceType, partner: str, amount: str, ref: str | None = None) -> str:
        view = add_invoice(books, DocumentInput(
            kind, partner, DAY, (DocumentLineInput("Goods", Decimal(1), Decimal(amount)),),
            ref=ref,
        ), post=True)
        assert view.number is not None
        return view.number

    one = document(InvoiceType.INVOICE, "Osaka", "100.00")
    two = document(InvoiceType.INVOICE, "Osaka", "40.00")
    three = document(InvoiceType.INVOICE, "Nordwerk", "75.50")
    document(InvoiceType.BILL, "Nordwerk", "60.00", ref="NW-2026-77")
    for amount, label, iban in [
        ("140.00", f"Payment {one} {two}", None),
        ("75.50", f"inv {three.split('/')[1]} {int(three.split('/')[2])}", None),
        ("-60.00", "SEPA debit NW 2026 77", None),
        ("12.00", "Nothing to see", None),
    ]:
        add_manual_line(session, books.company, ManualLine(bank.code, DAY, Decimal(amount), label,
                                                           iban=iban))
    session.flush()
    return books


def _shape(books: Books) -> dict[str, Any]:
    """The company's reconciliation state in terms that do not depend on row ids."""
    session, cid = books.session, books.company.id
    session.expire_all()
    numbers = {
        entry_id: number
        for entry_id, number in session.execute(
            select(Invoice.entry_id, Invoice.number).where(Invoice.company_id == cid)
        )
    }
    items = sorted(
        (numbers.get(entry_id, "clearing"), code, residual, full is not None)
        for entry_id, code, residual, full in session.execute(
            select(OpenItem.entry_id, Account.code, OpenItem.residual, OpenItem.full_reconcile_id)
            .join(Account, Account.id == OpenItem.account_id)
            .where(OpenItem.company_id == cid)
        )
    )
    clearing = sorted(
        (code, debit, credit, partner)
        for code, debit, credit, partner in session.execute(
            select(Account.code, Line.debit, Line.credit, Partner.name)
            .join(Account, Account.id == Line.account_id)
            .outerjoin(Partner, Partner.id == Line.partner_id)
            .join(BankReconciliation, BankReconciliation.clearing_entry_id == Line.entry_id)
            .where(Line.company_id == cid)
        )
    )
    return {
        "items": items,
        "clearing": clearing,
        "partials": sorted(session.scalars(
            select(PartialReconcile.amount).where(PartialReconcile.company_id == cid)
        ).all()),
        "fulls": len(session.scalars(
            select(FullReconcile.id).where(FullReconcile.company_id == cid)
        ).all()),
        "entries": len(session.scalars(select(Entry.id).where(Entry.company_id == cid)).all()),
    }


def test_the_batch_path_books_what_the_one_by_one_path_books(session: Session) -> None:
    batch = _books(session, "Batch Ltd")
    assert auto(batch).reconciled == 3
    single = _books(session, "Single Ltd")
    matcher = Matcher(session, single.company, load_rules(session, single.company))
    for facts in list(unreconciled_facts(session, single.company)):
        chosen = choose(matcher.proposals(facts))
        if chosen is not None:
            apply_proposal(session, single.company, facts.line_id, chosen, how="auto")
            matcher.book.settle(chosen.items)
    assert _shape(batch) == _shape(single)
    assert _shape(batch)["fulls"] == 4
