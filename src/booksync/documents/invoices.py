"""Customer invoices and credit notes, vendor bills and refunds: drafts, lookup, listing.

A document is typed once, as a draft: its lines are resolved (tax by name,
account by code, or the journal's default account) and its amounts computed
(:mod:`booksync.documents.invoice_amounts`).  Posting it
(:mod:`booksync.documents.posting`) writes its entry; from then on it never
changes (docs/documents.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.documents.invoice_amounts import QUANTITY_PLACES, AmountLine, TaxRate, compute
from booksync.documents.models import Invoice, InvoiceLine, InvoiceState, InvoiceType, TaxType
from booksync.documents.taxes import taxes_by_name
from booksync.errors import BooksyncError
from booksync.ledger.errors import InvalidEntry, LedgerError, LockedPeriod, NotFound
from booksync.ledger.limits import MAX_ID, MAX_NAME, MAX_TEXT, check_text, shown
from booksync.ledger.models import Account, Company, Journal, JournalType
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import partner_named
from booksync.money import MoneyError, exponent, to_minor

__all__ = [
    "ALL_KINDS",
    "KIND_NAMES",
    "MAX_TERMS",
    "PURCHASE_KINDS",
    "SALE_KINDS",
    "DocumentInput",
    "DocumentLineInput",
    "a_kind",
    "cancel_document",
    "create_document",
    "document_journal",
    "get_document",
    "is_sale",
    "list_documents",
    "lock_document",
    "mirror_kind",
]

SALE_KINDS = (InvoiceType.INVOICE, InvoiceType.CREDIT_NOTE)
PURCHASE_KINDS = (InvoiceType.BILL, InvoiceType.REFUND)
ALL_KINDS = SALE_KINDS + PURCHASE_KINDS
KIND_NAMES = {
    InvoiceType.INVOICE: "invoice",
    InvoiceType.CREDIT_NOTE: "credit note",
    InvoiceType.BILL: "bill",
    InvoiceType.REFUND: "refund",
}
MAX_TERMS = 3660  # days: ten years of payment terms is already no longer terms


@dataclass(frozen=True, slots=True)
class DocumentLineInput:
    """One line as typed: amounts are decimals of the document's currency."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax: str | None = None  # a tax's name, of the document's type (sale or purchase)
    account: str | None = None  # an account code; the journal's default account if None


@dataclass(frozen=True, slots=True)
class DocumentInput:
    """A document to create.  ``due_date`` and ``terms`` (days) exclude each other."""

    type: InvoiceType
    partner: str
    date: dt.date
    lines: tuple[DocumentLineInput, ...]
    due_date: dt.date | None = None
    terms: int | None = None
    ref: str | None = None
    currency: str | None = None  # the company's when None


def a_kind(kind: InvoiceType | str) -> str:
    """``an invoice``, ``a bill``: a kind's name for a sentence."""
    name = KIND_NAMES[InvoiceType(kind)]
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def is_sale(kind: InvoiceType | str) -> bool:
    return InvoiceType(kind) in SALE_KINDS


def mirror_kind(kind: InvoiceType | str) -> InvoiceType:
    """The document that corrects ``kind``: a credit note for an invoice, a refund for a bill."""
    if InvoiceType(kind) is InvoiceType.INVOICE:
        return InvoiceType.CREDIT_NOTE
    if InvoiceType(kind) is InvoiceType.BILL:
        return InvoiceType.REFUND
    raise LedgerError(f"{a_kind(kind)} cannot itself be corrected", code="conflict")


def document_journal(session: Session, company: Company, kind: InvoiceType) -> Journal:
    """The company's first sales journal for sales documents, purchases journal for bills."""
    wanted = JournalType.SALE if is_sale(kind) else JournalType.PURCHASE
    journal = session.scalar(
        select(Journal)
        .where(Journal.company_id == company.id, Journal.type == wanted.value)
        .order_by(Journal.id)
        .limit(1)
    )
    if journal is None:
        raise NotFound(f"the company has no {wanted.value} journal")
    return journal


def _due_date(data: DocumentInput) -> dt.date:
    if data.due_date is not None and data.terms is not None:
        raise LedgerError("give a due date or payment terms, not both")
    if data.terms is not None:
        if not 0 <= data.terms <= MAX_TERMS:
            raise LedgerError(f"payment terms must lie between 0 and {MAX_TERMS} days")
        try:
            return data.date + dt.timedelta(days=data.terms)
        except OverflowError:
            raise LedgerError(
                f"payment terms of {data.terms} days run past {dt.date.max.isoformat()}"
            ) from None
    due = data.due_date or data.date
    if due < data.date:
        raise LedgerError(
            f"due date {due.isoformat()} is before the document's date {data.date.isoformat()}"
        )
    return due


def _line_account(
    accounts: dict[str, Account], code: str | None, default: int | None
) -> Account:
    if code is None:
        found = next((a for a in accounts.values() if a.id == default), None)
        if found is None:
            raise InvalidEntry("the journal has no default account: name one")
        return found
    account = accounts.get(code.strip())
    if account is None:
        raise NotFound(f"unknown account {shown(code)}")
    if not account.active:
        raise InvalidEntry(f"account {account.code} is inactive")
    if account.reconcile:
        raise InvalidEntry(
            f"account {account.code} is reconcilable: a document's line books income or expenses"
        )
    return account


def _quantity(value: Decimal) -> int:
    try:
        quantity = to_minor(value, QUANTITY_PLACES)
    except MoneyError as exc:
        raise InvalidEntry(f"quantity {shown(str(value))}: {exc}") from None
    if quantity <= 0:
        raise InvalidEntry(f"quantity {shown(str(value))} must be positive")
    return quantity


def create_document(session: Session, company: Company, data: DocumentInput) -> Invoice:
    """A new draft, checked whole: nothing is added when any part of it is wrong.

    A draft dated on or before the lock date is refused now, since it could
    never be posted.
    """
    kind = InvoiceType(data.type)
    if not data.lines:
        raise InvalidEntry(f"{a_kind(kind)} needs at least one line")
    partner = partner_named(session, company, data.partner.strip())
    due = _due_date(data)
    if company.lock_date is not None and data.date <= company.lock_date:
        raise LockedPeriod(
            f"date {data.date.isoformat()} is on or before the lock date "
            f"{company.lock_date.isoformat()}"
        )
    currency = (data.currency or company.currency_code).strip().upper()
    exp = exponent(currency)
    ref = data.ref.strip() if data.ref else None
    ref = check_text(ref or None, "ref", MAX_NAME)
    journal = document_journal(session, company, kind)
    accounts = {
        a.code: a
        for a in session.scalars(select(Account).where(Account.company_id == company.id))
    }
    taxes = taxes_by_name(
        session, company, [ln.tax.strip() for ln in data.lines if ln.tax and ln.tax.strip()],
        TaxType.SALE if is_sale(kind) else TaxType.PURCHASE,
    )
    lines, amount_lines = [], []
    for number, given in enumerate(data.lines, 1):
        try:
            description = check_text(given.description.strip(), "description", MAX_TEXT) or ""
            if not description:
                raise InvalidEntry("a line needs a description")
            quantity = _quantity(given.quantity)
            try:
                price = to_minor(given.unit_price, exp)
            except MoneyError as exc:
                raise InvalidEntry(f"unit price: {exc}") from None
            tax = taxes.get(given.tax.strip()) if given.tax and given.tax.strip() else None
            account = _line_account(accounts, given.account, journal.default_account_id)
        except BooksyncError as exc:
            raise type(exc)(f"line {number}: {exc}", code=exc.code) from None
        lines.append(InvoiceLine(
            company_id=company.id, sequence=number, description=description,
            quantity=quantity, unit_price=price, tax_id=tax.id if tax else None,
            account_id=account.id, subtotal=0,
        ))
        rate = TaxRate(tax.id, tax.rate, tax.price_included) if tax else None
        amount_lines.append(AmountLine(quantity, price, rate))
    amounts = compute(amount_lines)
    if amounts.total < 0:
        raise InvalidEntry(f"the total of {a_kind(kind)} cannot be negative")
    for line, subtotal in zip(lines, amounts.subtotals, strict=True):
        line.subtotal = subtotal
    invoice = Invoice(
        company_id=company.id, type=kind.value, state=InvoiceState.DRAFT.value,
        partner_id=partner.id, journal_id=journal.id, date=data.date, due_date=due, ref=ref,
        currency_code=currency, untaxed=amounts.untaxed, tax=amounts.tax, total=amounts.total,
        lines=lines,
    )
    session.add(invoice)
    session.flush()
    return invoice


def get_document(
    session: Session, company: Company, ref: str | int, kinds: Collection[InvoiceType] = ALL_KINDS
) -> Invoice:
    """A document by local id or number (``INV/2026/00001``), of one of ``kinds``."""
    text = str(ref).strip()
    wanted = " or ".join(KIND_NAMES[k] for k in kinds)
    query = select(Invoice).where(Invoice.company_id == company.id)
    if text.isascii() and text.isdigit():
        if int(text) > MAX_ID:  # no row has it, and the database would refuse the number
            raise NotFound(f"no {wanted} {shown(text)}")
        query = query.where(Invoice.id == int(text))
    else:
        query = query.where(Invoice.number == text)
    invoice = session.scalar(query)
    if invoice is None:
        raise NotFound(f"no {wanted} {shown(text)}")
    if InvoiceType(invoice.type) not in kinds:
        raise NotFound(
            f"{invoice.number or text} is {a_kind(invoice.type)}, not "
            + " or ".join(a_kind(k) for k in kinds)
        )
    return invoice


def list_documents(
    session: Session,
    company: Company,
    kinds: Collection[InvoiceType] = ALL_KINDS,
    *,
    open_only: bool = False,
    partner: str | None = None,
) -> Sequence[Invoice]:
    """Documents of ``kinds`` by date; ``open_only``: posted ones still owing something."""
    query = select(Invoice).where(
        Invoice.company_id == company.id, Invoice.type.in_([k.value for k in kinds])
    )
    if partner is not None:
        named = partner_named(session, company, partner.strip())
        query = query.where(Invoice.partner_id == named.id)
    if open_only:
        query = query.join(OpenItem, OpenItem.entry_id == Invoice.entry_id).where(
            Invoice.state == InvoiceState.POSTED.value,
            OpenItem.company_id == company.id,
            OpenItem.residual_currency != 0,
        )
    return session.scalars(query.order_by(Invoice.date, Invoice.id)).unique().all()


def lock_document(session: Session, invoice: Invoice) -> None:
    """Lock the document's row for the transaction and read it afresh (PostgreSQL).

    Posting and cancelling depend on its state: a second transaction doing
    either at once waits, then sees the first's change and is refused in one
    sentence (SQLite has one writer at a time).
    """
    session.scalars(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update(of=Invoice)
        .execution_options(populate_existing=True)
    ).one()


def cancel_document(session: Session, company: Company, invoice: Invoice) -> Invoice:
    """A draft set aside for good; a posted document is corrected by a credit note instead."""
    lock_document(session, invoice)
    if invoice.state != InvoiceState.DRAFT.value:
        what = KIND_NAMES[InvoiceType(invoice.type)]
        raise LedgerError(
            f"{invoice.number or invoice.id} is {invoice.state}: only a draft {what} "
            "can be cancelled",
            code="conflict",
        )
    invoice.state = InvoiceState.CANCELLED.value
    session.flush()
    return invoice
