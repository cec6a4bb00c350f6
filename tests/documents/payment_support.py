"""What the payment tests build on: a bank journal, partners, documents, counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.app.context import Books
from booksync.app.invoices import DocumentInput, DocumentLineInput, add_invoice, find_invoice
from booksync.documents.models import Invoice, InvoiceType, Payment, PaymentBatch
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company, Entry, Journal, Line, Partner
from booksync.ledger.open_item_models import FullReconcile, OpenItem, PartialReconcile
from booksync.ledger.partners import add_partner

D = Decimal
DAY = dt.date(2026, 3, 10)


@dataclass(frozen=True)
class World:
    books: Books
    bank: Journal
    osaka: Partner  # a customer
    kyoto: Partner  # a vendor


def world(session: Session, company: Company) -> World:
    bank = create_bank_journal(session, company, "Main")
    osaka = add_partner(session, company, "Osaka")
    kyoto = add_partner(session, company, "Kyoto")
    session.commit()
    return World(Books(session, company), bank, osaka, kyoto)


def document(
    session: Session,
    company: Company,
    partner: Partner,
    amount: str,
    *,
    kind: InvoiceType = InvoiceType.INVOICE,
    day: dt.date = dt.date(2026, 3, 1),
    due: dt.date | None = None,
    currency: str | None = None,
    post: bool = True,
) -> Invoice:
    """A document of one untaxed line of ``amount`` (in ``currency``, the company's
    when None), posted unless ``post`` is false."""
    books = Books(session, company)
    view = add_invoice(
        books,
        DocumentInput(
            kind, partner.name, day, (DocumentLineInput("Work", D(1), D(amount)),),
            due_date=due or day, currency=currency,
        ),
        post=post,
    )
    session.commit()
    return find_invoice(books, view.id)


def item_of(session: Session, line_id: int) -> OpenItem:
    item = session.scalar(select(OpenItem).where(OpenItem.line_id == line_id))
    assert item is not None
    session.refresh(item)
    return item


def document_item(session: Session, doc: Invoice) -> OpenItem:
    """The open item of a document's receivable or payable line."""
    line_id = session.scalar(
        select(Line.id).join(OpenItem, OpenItem.line_id == Line.id)
        .where(Line.entry_id == doc.entry_id)
    )
    assert line_id is not None
    return item_of(session, line_id)


def counts(session: Session) -> dict[str, int]:
    """How many rows every table a payment writes holds."""
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Entry, Line, Payment, PaymentBatch, OpenItem, PartialReconcile,
                      FullReconcile)
    }


def residuals(session: Session) -> dict[int, tuple[int, int, int | None]]:
    """Every open item's residuals, read afresh."""
    session.expire_all()
    return {
        i.line_id: (i.residual, i.residual_currency, i.full_reconcile_id)
        for i in session.scalars(select(OpenItem))
    }
