"""Use cases of invoices, credit notes, bills and refunds (docs/documents.md).

Each takes the :class:`~booksync.app.context.Books` it works on and returns
an :class:`InvoiceView`, whose JSON (``as_json``) is the documented shape:
amounts as decimal strings with the currency's decimals, dates in ISO.
``kinds`` narrows which documents a number may name: the CLI's ``invoice``
commands pass the sales kinds, ``bill`` the purchase kinds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from booksync.app.context import Books
from booksync.documents.invoice_amounts import QUANTITY_PLACES
from booksync.documents.invoices import (
    ALL_KINDS,
    DocumentInput,
    DocumentLineInput,
    cancel_document,
    create_document,
    get_document,
    list_documents,
)
from booksync.documents.models import Invoice, InvoiceType
from booksync.documents.payment_state import Standing, standings
from booksync.documents.posting import credit_document, post_document
from booksync.ledger.models import Entry
from booksync.money import exponent, to_decimal

__all__ = [
    "DocumentInput",
    "DocumentLineInput",
    "InvoiceLineView",
    "InvoiceView",
    "add_invoice",
    "cancel_invoice",
    "credit_note",
    "find_invoice",
    "list_invoices",
    "post_invoice",
    "show_invoice",
]


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    description: str
    quantity: Decimal  # three decimals
    unit_price: Decimal
    tax: str | None  # the tax's name
    account: str  # the account's code
    subtotal: Decimal  # untaxed


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """A document as shown; ``type`` is invoice, credit_note, bill or refund.

    ``state``: draft, posted or cancelled; ``payment_state``: not_paid,
    partial, paid or reversed; ``residual``: what is still owed, in the
    document's currency; ``entry``: the posted entry's number.
    """

    id: int
    number: str | None
    type: str
    partner: str
    date: dt.date
    due_date: dt.date
    ref: str | None
    currency: str
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    residual: Decimal
    state: str
    payment_state: str
    entry: str | None
    lines: tuple[InvoiceLineView, ...]


def _views(books: Books, invoices: Sequence[Invoice]) -> list[InvoiceView]:
    """Views of ``invoices``, with their standings and entry numbers read in bulk."""
    standing = standings(books.session, books.company, invoices)
    entry_ids = [i.entry_id for i in invoices if i.entry_id is not None]
    numbers: dict[int, str | None] = {}
    for start in range(0, len(entry_ids), 500):
        rows = books.session.execute(
            select(Entry.id, Entry.number).where(
                Entry.company_id == books.company.id,
                Entry.id.in_(entry_ids[start : start + 500]),
            )
        )
        numbers.update((entry_id, number) for entry_id, number in rows)
    return [_view(i, standing[i.id], numbers) for i in invoices]


def _view(invoice: Invoice, standing: Standing, numbers: dict[int, str | None]) -> InvoiceView:
    exp = exponent(invoice.currency_code)

    def money(minor: int) -> Decimal:
        return to_decimal(minor, exp)

    return InvoiceView(
        id=invoice.id,
        number=invoice.number,
        type=invoice.type,
        partner=invoice.partner.name,
        date=invoice.date,
        due_date=invoice.due_date,
        ref=invoice.ref,
        currency=invoice.currency_code,
        untaxed=money(invoice.untaxed),
        tax=money(invoice.tax),
        total=money(invoice.total),
        residual=money(standing.residual),
        state=invoice.state,
        payment_state=standing.payment_state.value,
        entry=numbers.get(invoice.entry_id) if invoice.entry_id is not None else None,
        lines=tuple(
            InvoiceLineView(
                description=line.description,
                quantity=to_decimal(line.quantity, QUANTITY_PLACES),
                unit_price=money(line.unit_price),
                tax=line.tax.name if line.tax is not None else None,
                account=line.account.code,
                subtotal=money(line.subtotal),
            )
            for line in invoice.lines
        ),
    )


def _one(books: Books, invoice: Invoice) -> InvoiceView:
    return _views(books, [invoice])[0]


def find_invoice(
    books: Books, number_or_id: str | int, kinds: Collection[InvoiceType] = ALL_KINDS
) -> Invoice:
    """The document a user names by number (``INV/2026/00001``) or id, of one of ``kinds``.

    For other use cases (payments name the invoice they pay): the row
    itself, whose open item :func:`booksync.documents.payment_state.document_item`
    gives.
    """
    return get_document(books.session, books.company, number_or_id, kinds)


def add_invoice(books: Books, data: DocumentInput, *, post: bool = False) -> InvoiceView:
    """A new draft document, posted at once when ``post``."""
    invoice = create_document(books.session, books.company, data)
    if post:
        post_document(books.session, books.company, invoice)
    return _one(books, invoice)


def post_invoice(
    books: Books, number_or_id: str | int, kinds: Collection[InvoiceType] = ALL_KINDS
) -> InvoiceView:
    """Post a draft: its number, its entry, its open item."""
    invoice = find_invoice(books, number_or_id, kinds)
    return _one(books, post_document(books.session, books.company, invoice))


def show_invoice(
    books: Books, number_or_id: str | int, kinds: Collection[InvoiceType] = ALL_KINDS
) -> InvoiceView:
    return _one(books, find_invoice(books, number_or_id, kinds))


def list_invoices(
    books: Books,
    kinds: Collection[InvoiceType] = ALL_KINDS,
    *,
    open_only: bool = False,
    partner: str | None = None,
) -> list[InvoiceView]:
    """Documents by date; ``open_only``: posted ones with something still owed."""
    found = list_documents(
        books.session, books.company, kinds, open_only=open_only, partner=partner
    )
    return _views(books, found)


def credit_note(
    books: Books,
    number_or_id: str | int,
    kinds: Collection[InvoiceType] = ALL_KINDS,
    *,
    date: dt.date | None = None,
) -> InvoiceView:
    """The credit note (or refund) of a posted invoice (or bill), posted and settled with it."""
    invoice = find_invoice(books, number_or_id, kinds)
    return _one(books, credit_document(books.session, books.company, invoice, date))


def cancel_invoice(
    books: Books, number_or_id: str | int, kinds: Collection[InvoiceType] = ALL_KINDS
) -> InvoiceView:
    """Set a draft aside for good."""
    invoice = find_invoice(books, number_or_id, kinds)
    return _one(books, cancel_document(books.session, books.company, invoice))
