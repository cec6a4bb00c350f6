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

from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.orm import aliased

from booksync.app.context import Books
from booksync.documents.invoice_amounts import QUANTITY_PLACES, AmountLine, TaxRate, compute
from booksync.documents.invoices import (
    ALL_KINDS,
    DocumentInput,
    DocumentLineInput,
    cancel_document,
    create_document,
    get_document,
    list_documents,
)
from booksync.documents.models import Invoice, InvoiceState, InvoiceType, Payment
from booksync.documents.payment_state import Standing, document_item, standings
from booksync.documents.posting import credit_document, post_document
from booksync.errors import BooksyncError
from booksync.ledger.limits import shown, text_ok
from booksync.ledger.models import Entry, Line, Partner
from booksync.ledger.open_item_models import OpenItem, PartialReconcile
from booksync.money import CURRENCIES, MoneyError, exponent, parse_amount, to_decimal, to_minor

__all__ = [
    "BROWSE_STATES",
    "DocumentDetail",
    "DocumentInput",
    "DocumentLineInput",
    "DocumentRef",
    "InvoiceLineView",
    "InvoiceView",
    "SettlementView",
    "TaxLineView",
    "add_invoice",
    "browse_invoices",
    "cancel_invoice",
    "credit_note",
    "document_detail",
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


# -- pages of documents, and one document in full (the web app's lists and pages) ------

BROWSE_STATES = ("all", "draft", "open", "overdue", "paid")


def browse_invoices(
    books: Books,
    kinds: Collection[InvoiceType] = ALL_KINDS,
    *,
    state: str = "all",
    q: str | None = None,
    partner_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
    today: dt.date | None = None,
) -> list[InvoiceView]:
    """At most ``limit`` documents, newest first, with ids below ``before``.

    A keyset page (``id < before``, the primary key's order), so that the
    thousandth page costs what the first does, unlike an offset.  ``state``:
    one of :data:`BROWSE_STATES` (open: posted and still owed; overdue: open
    and due before ``today``; paid: posted and owing nothing).  ``q`` matches
    the number, the reference or the partner's name in part, whatever the
    case, or the total when it reads as an amount.
    """
    if state not in BROWSE_STATES:
        raise BooksyncError(f"state {shown(state)} is not one of {', '.join(BROWSE_STATES)}")
    company = books.company
    query = select(Invoice).where(
        Invoice.company_id == company.id, Invoice.type.in_([k.value for k in kinds])
    )
    if before is not None:
        query = query.where(Invoice.id < before)
    if partner_id is not None:
        query = query.where(Invoice.partner_id == partner_id)
    owing = select(OpenItem.id).where(
        OpenItem.company_id == company.id,
        OpenItem.entry_id == Invoice.entry_id,
        OpenItem.residual_currency != 0,
    ).exists()
    posted = Invoice.state == InvoiceState.POSTED.value
    if state == "draft":
        query = query.where(Invoice.state == InvoiceState.DRAFT.value)
    elif state == "open":
        query = query.where(posted, owing)
    elif state == "overdue":
        query = query.where(posted, owing, Invoice.due_date < (today or dt.date.today()))
    elif state == "paid":
        query = query.where(posted, ~owing)
    if q is not None and q.strip():
        if not text_ok(q, len(q)):  # stored text holds no control character: nothing matches
            return []
        query = query.where(_matching(books, q.strip()))
    found = books.session.scalars(query.order_by(Invoice.id.desc()).limit(limit)).unique().all()
    return _views(books, found)


def _matching(books: Books, q: str) -> ColumnElement[bool]:
    """Documents whose number, reference or partner's name holds ``q``, or whose total
    is ``q`` read as an amount in the document's currency."""
    partners = select(Partner.id).where(
        Partner.company_id == books.company.id, Partner.name.icontains(q, autoescape=True)
    )
    found: list[ColumnElement[bool]] = [
        Invoice.number.icontains(q, autoescape=True),
        Invoice.ref.icontains(q, autoescape=True),
        Invoice.partner_id.in_(partners),
    ]
    try:
        amount = parse_amount(q.replace(",", ""))
    except MoneyError:
        return or_(*found)
    for places in sorted({exp for exp, _ in CURRENCIES.values()}):
        try:
            minor = to_minor(amount, places)
        except MoneyError:  # more decimals than these currencies have: none of them
            continue
        codes = [code for code, (exp, _) in CURRENCIES.items() if exp == places]
        found.append(and_(Invoice.currency_code.in_(codes), Invoice.total == abs(minor)))
    return or_(*found)


@dataclass(frozen=True, slots=True)
class TaxLineView:
    """One tax of a document: the untaxed base it applies to and what it comes to."""

    name: str
    base: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SettlementView:
    """Part of a document settled by another entry, in the document's currency.

    ``kind``: payment (``payment`` its id), a document's type (the credit note
    settling an invoice, or the invoice its credit note settled: ``document``
    its number), bank (a bank line's reconciliation) or other.
    """

    date: dt.date
    kind: str
    amount: Decimal
    entry: str | None
    entry_id: int
    payment: int | None
    document: str | None
    document_id: int | None


@dataclass(frozen=True, slots=True)
class DocumentRef:
    id: int
    number: str | None
    type: str


@dataclass(frozen=True, slots=True)
class DocumentDetail:
    """A document with what its page shows beyond :class:`InvoiceView`: its partner's
    and its entry's ids, its taxes, what settled it, the document it corrects and those
    correcting it."""

    document: InvoiceView
    partner_id: int
    entry_id: int | None
    taxes: tuple[TaxLineView, ...]
    settlements: tuple[SettlementView, ...]
    corrects: DocumentRef | None
    corrected_by: tuple[DocumentRef, ...]


def document_detail(
    books: Books, number_or_id: str | int, kinds: Collection[InvoiceType] = ALL_KINDS
) -> DocumentDetail:
    """One document in full, in a handful of queries."""
    invoice = find_invoice(books, number_or_id, kinds)
    exp = exponent(invoice.currency_code)
    rates = [
        AmountLine(ln.quantity, ln.unit_price,
                   TaxRate(ln.tax.id, ln.tax.rate, ln.tax.price_included) if ln.tax else None)
        for ln in invoice.lines
    ]
    names = {ln.tax.id: ln.tax.name for ln in invoice.lines if ln.tax is not None}
    taxes = tuple(
        TaxLineView(names[t.tax.key], to_decimal(t.base, exp), to_decimal(t.amount, exp))
        for t in compute(rates).taxes
    )
    session, company = books.session, books.company
    refs = [
        DocumentRef(i, n, t)
        for i, n, t in session.execute(
            select(Invoice.id, Invoice.number, Invoice.type).where(
                Invoice.company_id == company.id,
                or_(Invoice.id == invoice.reversed_invoice_id,
                    Invoice.reversed_invoice_id == invoice.id),
            ).order_by(Invoice.id)
        )
    ]
    return DocumentDetail(
        document=_one(books, invoice),
        partner_id=invoice.partner_id,
        entry_id=invoice.entry_id,
        taxes=taxes,
        settlements=_settlements(books, invoice, exp),
        corrects=next((r for r in refs if r.id == invoice.reversed_invoice_id), None),
        corrected_by=tuple(r for r in refs if r.id != invoice.reversed_invoice_id),
    )


def _settlements(books: Books, invoice: Invoice, exp: int) -> tuple[SettlementView, ...]:
    """What settled the document's open item, oldest first, read in one query."""
    item = document_item(books.session, books.company, invoice)
    if item is None:
        return ()
    own, pr = item.line_id, PartialReconcile
    mine = pr.debit_line_id == own
    other = aliased(Invoice)
    rows = books.session.execute(
        select(
            Entry.date, Entry.number, Entry.id, case((mine, pr.debit_amount_currency),
                                                     else_=pr.credit_amount_currency),
            Payment.id, other.id, other.number, other.type, pr.origin,
        )
        .select_from(pr)
        .join(Line, Line.id == case((mine, pr.credit_line_id), else_=pr.debit_line_id))
        .join(Entry, Entry.id == Line.entry_id)
        .outerjoin(Payment, and_(Payment.entry_id == Entry.id,
                                 Payment.company_id == books.company.id))
        .outerjoin(other, and_(other.entry_id == Entry.id,
                               other.company_id == books.company.id))
        .where(pr.company_id == books.company.id,
               or_(pr.debit_line_id == own, pr.credit_line_id == own))
        .order_by(pr.id)
    )
    found = []
    for day, number, entry_id, amount, payment, doc_id, doc_number, doc_type, origin in rows:
        kind = ("payment" if payment is not None else doc_type if doc_type is not None
                else "bank" if origin.startswith("bank:") else "other")
        found.append(SettlementView(day, kind, to_decimal(abs(amount), exp), number, entry_id,
                                    payment, doc_number, doc_id))
    return tuple(found)
