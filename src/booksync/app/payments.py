"""Payments and payment batches: the use cases, with typed results.

Names as users type them (journal codes, partner names, document numbers)
are resolved here; the rules live in :mod:`booksync.documents.payments` and
:mod:`booksync.documents.payment_batches` (docs/payments.md).  Each result
is a frozen dataclass whose fields are its JSON shape
(:func:`booksync.app.shapes.as_json`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from booksync.app.context import Books
from booksync.app.invoices import find_invoice
from booksync.documents.models import Payment, PaymentBatch
from booksync.documents.payment_batches import batch_payment_ids, make_batch
from booksync.documents.payments import (
    Direction,
    PaymentRequest,
    get_payments,
    paid_documents,
    register_payment,
)
from booksync.documents.payments import list_payments as payments_of
from booksync.ledger.journals import get_journal
from booksync.ledger.models import Entry, Journal
from booksync.ledger.partners import partner_named
from booksync.money import exponent, to_decimal

__all__ = [
    "BatchView",
    "PaymentView",
    "add_payment",
    "batch_payments",
    "list_payments",
    "payment_page",
]


@dataclass(frozen=True, slots=True)
class PaymentView:
    """A payment; ``amount`` in ``currency`` (the journal's), ``entry`` its entry's
    number, ``invoices`` the numbers of the documents it settles."""

    id: int
    journal: str
    partner: str
    direction: Direction
    amount: Decimal
    currency: str
    date: dt.date
    ref: str | None
    entry: str
    invoices: tuple[str, ...]
    batch: int | None


@dataclass(frozen=True, slots=True)
class BatchView:
    """A batch of payments; ``total`` in ``currency`` (the journal's)."""

    id: int
    journal: str
    direction: Direction
    date: dt.date
    total: Decimal
    currency: str
    payments: tuple[int, ...]


def add_payment(
    books: Books,
    *,
    journal: str,
    partner: str,
    amount: Decimal,
    date: dt.date,
    outbound: bool = False,
    invoices: Sequence[str] = (),
    ref: str | None = None,
) -> PaymentView:
    """Register a payment in bank journal ``journal`` and settle the documents
    ``invoices`` (numbers) with it; without any it stays on account."""
    session, company = books.session, books.company
    request = PaymentRequest(
        journal=get_journal(session, company, journal),
        partner=partner_named(books.session, books.company, partner),
        amount=amount,
        date=date,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        documents=tuple(find_invoice(books, number) for number in invoices),
        ref=ref,
    )
    payment = register_payment(session, company, request)
    return _views(books, [payment])[0]


def list_payments(books: Books) -> tuple[PaymentView, ...]:
    """Every payment of the company, by date then id."""
    return _views(books, payments_of(books.session, books.company), every=True)


def payment_page(
    books: Books, *, before: int | None = None, limit: int = 100
) -> tuple[PaymentView, ...]:
    """At most ``limit`` payments, newest first, those with ids below ``before`` when given:
    a page of the API's list, read by keyset."""
    query = select(Payment).where(Payment.company_id == books.company.id)
    if before is not None:
        query = query.where(Payment.id < before)
    found = books.session.scalars(query.order_by(Payment.id.desc()).limit(limit)).all()
    return _views(books, found)


def batch_payments(books: Books, *, journal: str, payment_ids: Sequence[int]) -> BatchView:
    """Group payments of bank journal ``journal`` that reach the bank as one transfer."""
    session, company = books.session, books.company
    found = get_journal(session, company, journal)
    payments = get_payments(session, company, list(payment_ids), lock=True)
    batch = make_batch(session, company, found, payments)
    return _batch_view(books, batch, found)


def _views(
    books: Books, payments: Sequence[Payment], *, every: bool = False
) -> tuple[PaymentView, ...]:
    """Views of ``payments``, reading journals, entries and documents once for all."""
    session, company = books.session, books.company
    if not payments:
        return ()
    ids = [p.id for p in payments]
    documents = paid_documents(session, company, None if every else ids)
    codes = {
        id_: code
        for id_, code in session.execute(
            select(Journal.id, Journal.code).where(Journal.company_id == company.id)
        )
    }
    entry_ids = [p.entry_id for p in payments]
    numbers: dict[int, str | None] = {}
    for start in range(0, len(entry_ids), 1000):  # bounded IN lists
        numbers.update(
            (id_, number)
            for id_, number in session.execute(
                select(Entry.id, Entry.number).where(Entry.id.in_(entry_ids[start:start + 1000]))
            )
        )
    return tuple(
        PaymentView(
            id=p.id,
            journal=codes[p.journal_id],
            partner=p.partner.name,
            direction=Direction.of(p),
            amount=to_decimal(p.amount, exponent(p.currency_code)),
            currency=p.currency_code,
            date=p.date,
            ref=p.ref,
            entry=numbers.get(p.entry_id) or "",
            invoices=tuple(documents.get(p.id, ())),
            batch=p.batch_id,
        )
        for p in payments
    )


def _batch_view(books: Books, batch: PaymentBatch, journal: Journal) -> BatchView:
    currency = journal.currency_code or books.company.currency_code
    members = batch_payment_ids(books.session, books.company, [batch.id])[batch.id]
    return BatchView(
        id=batch.id,
        journal=journal.code,
        direction=Direction.OUTBOUND if batch.outbound else Direction.INBOUND,
        date=batch.date,
        total=to_decimal(batch.total, exponent(currency)),
        currency=currency,
        payments=tuple(members),
    )
