"""Posting a document: its number, its entry, its open item; and correcting one.

What a posted document books (docs/documents.md, "What posting books"):

- invoice: receivable debit (the total, with the partner), income credit per
  line, tax payable credit per tax; a credit note the same, sides swapped;
- bill: payable credit, expense debit per line, deductible tax debit per
  tax; a refund the same, sides swapped.

In a foreign currency every line states its amount in that currency and in
the company's at the rate of the document's date; the receivable or
payable line is the sum of the others in company currency, so that
rounding each line never unbalances the entry.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.documents.invoice_amounts import AmountLine, TaxRate, compute
from booksync.documents.invoices import (
    KIND_NAMES,
    a_kind,
    is_sale,
    lock_document,
    mirror_kind,
)
from booksync.documents.models import Invoice, InvoiceLine, InvoiceState, InvoiceType, Tax
from booksync.documents.numbering import PREFIXES, next_number
from booksync.documents.payment_state import credit_note_origin, document_item
from booksync.ledger.accounts import role_account
from booksync.ledger.entries import PreparedEntry, PreparedLine, check_postable
from booksync.ledger.errors import InvalidEntry, LedgerError
from booksync.ledger.limits import MAX_LINE_MINOR, MAX_TEXT
from booksync.ledger.models import AccountRole, Company
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.rates import RateTable
from booksync.ledger.reconcile import reconcile
from booksync.ledger.writer import EntryWriter
from booksync.money import format_minor

__all__ = ["credit_document", "post_document"]

# The side of the receivable or payable line: +1 debit, -1 credit.  The
# income, expense and tax lines take the other side.
_COUNTERPART_SIGN = {
    InvoiceType.INVOICE: 1,
    InvoiceType.CREDIT_NOTE: -1,
    InvoiceType.BILL: -1,
    InvoiceType.REFUND: 1,
}


def _signed(account_id: int, amount: int, company_amount: int, partner_id: int, label: str,
            currency: str | None) -> PreparedLine:
    """A line from a signed company amount (positive: debit), with its currency amount."""
    return PreparedLine(
        account_id,
        max(company_amount, 0),
        max(-company_amount, 0),
        partner_id,
        label[:MAX_TEXT],
        currency,
        amount if currency is not None else None,
    )


def _entry_ref(invoice: Invoice, number: str) -> str:
    """The document's number, and the partner's own reference when there is one."""
    return f"{number} ({invoice.ref})" if invoice.ref else number


def _prepared(session: Session, company: Company, invoice: Invoice) -> PreparedEntry:
    """The document's entry, balanced to the minor unit in company currency.

    Its first line is the receivable or payable one; the number (its label
    and the entry's reference) is filled in once taken.
    """
    kind = InvoiceType(invoice.type)
    sign = _COUNTERPART_SIGN[kind]
    foreign = invoice.currency_code if invoice.currency_code != company.currency_code else None
    rates = RateTable(session, company, invoice.currency_code)
    taxes = {t.id: t for t in session.scalars(
        select(Tax).where(Tax.company_id == company.id,
                          Tax.id.in_({ln.tax_id for ln in invoice.lines if ln.tax_id}))
    )}
    amounts = compute([
        AmountLine(ln.quantity, ln.unit_price, _rate(taxes[ln.tax_id]) if ln.tax_id else None)
        for ln in invoice.lines
    ])
    if (amounts.untaxed, amounts.tax, amounts.total) != (invoice.untaxed, invoice.tax,
                                                          invoice.total):
        # A tax's rate changed since the draft was typed: post what the draft says, or not at all.
        raise LedgerError(
            f"the amounts of {a_kind(kind)} {invoice.id} no longer follow its taxes' rates: "
            "cancel it and type it again",
            code="conflict",
        )
    partner = invoice.partner_id
    lines: list[PreparedLine] = []
    for line in invoice.lines:
        if line.subtotal:
            amount = -sign * line.subtotal
            lines.append(_signed(line.account_id, amount, rates.convert(amount, invoice.date),
                                 partner, line.description, foreign))
    for tax in amounts.taxes:
        if tax.amount:
            amount = -sign * tax.amount
            row = taxes[tax.tax.key]
            lines.append(_signed(row.account_id, amount, rates.convert(amount, invoice.date),
                                 partner, row.name, foreign))
    role = AccountRole.RECEIVABLE if is_sale(kind) else AccountRole.PAYABLE
    counterpart = role_account(session, company, role)
    company_total = -sum(ln.debit - ln.credit for ln in lines)
    if abs(company_total) > MAX_LINE_MINOR:
        # Each line fits once converted, their sum need not: the receivable line must too.
        raise InvalidEntry(
            f"the {KIND_NAMES[kind]}'s total, "
            f"{format_minor(abs(company_total), company.currency.exponent)} "
            f"{company.currency_code}, is more than a line can hold"
        )
    lines.insert(0, _signed(counterpart.id, sign * invoice.total, company_total, partner,
                            "", foreign))
    return PreparedEntry(invoice.journal_id, invoice.date, None, lines)


def _rate(tax: Tax) -> TaxRate:
    return TaxRate(tax.id, tax.rate, tax.price_included)


def post_document(session: Session, company: Company, invoice: Invoice) -> Invoice:
    """Number a draft, book its entry and give its open item the document's due date.

    Everything is checked before the number is taken (balance, lock date,
    an amount to book, an exchange rate); a failure later rolls the whole
    transaction back, number included, so numbers stay gap-free.
    """
    lock_document(session, invoice)
    kind = InvoiceType(invoice.type)
    if invoice.state != InvoiceState.DRAFT.value:
        raise LedgerError(
            f"{invoice.number or invoice.id} is {invoice.state}: only a draft "
            f"{KIND_NAMES[kind]} can be posted",
            code="conflict",
        )
    if not invoice.total:
        # Its open item would owe nothing yet show "not paid" for ever.
        raise LedgerError(
            f"{KIND_NAMES[kind]} {invoice.id} totals 0: there is nothing to be paid, so "
            "nothing to post"
        )
    prepared = _prepared(session, company, invoice)
    check_postable(company, prepared)
    number = next_number(session, company, PREFIXES[kind], invoice.date.year)
    prepared.ref = _entry_ref(invoice, number)
    prepared.lines[0].label = number
    writer = EntryWriter(session, company)
    (entry_id,) = writer.write([prepared], post=True)
    writer.finish()
    session.execute(
        update(OpenItem)
        .where(OpenItem.company_id == company.id, OpenItem.entry_id == entry_id)
        .values(due_date=invoice.due_date)
        .execution_options(synchronize_session=False)
    )
    invoice.number = number
    invoice.entry_id = entry_id
    invoice.state = InvoiceState.POSTED.value
    session.flush()
    return invoice


def credit_document(
    session: Session, company: Company, invoice: Invoice, date: dt.date | None = None
) -> Invoice:
    """Post the mirror of a posted invoice (a credit note) or bill (a refund).

    Same lines, linked by ``reversed_invoice_id``, dated like the original
    unless ``date`` is given, due on its own date.  It then settles what the
    original still owes (origin ``credit-note:ID``); whatever the original
    no longer owed (a payment came first) stays open on the credit note, a
    credit the partner can use.
    """
    kind = InvoiceType(invoice.type)
    mirror = mirror_kind(kind)
    if invoice.state != InvoiceState.POSTED.value:
        raise LedgerError(
            f"{invoice.number or invoice.id} is {invoice.state}: only a posted "
            f"{KIND_NAMES[kind]} gets {a_kind(mirror)}",
            code="conflict",
        )
    # Locked first: a second credit note or a payment of the original committed
    # meanwhile is seen below, not overwritten (PostgreSQL; SQLite has one writer).
    original = document_item(session, company, invoice, lock=True)
    earlier = session.scalar(
        select(Invoice.number).where(
            Invoice.company_id == company.id,
            Invoice.reversed_invoice_id == invoice.id,
            Invoice.state != InvoiceState.CANCELLED.value,
        ).limit(1)
    )
    if earlier is not None:
        raise LedgerError(
            f"{invoice.number} already has {a_kind(mirror)}: {earlier}", code="conflict"
        )
    day = date or invoice.date
    if day < invoice.date:
        raise LedgerError(
            f"{a_kind(mirror)} is dated on or after what it credits: {day.isoformat()} is "
            f"before {invoice.number}'s date {invoice.date.isoformat()}"
        )
    note = Invoice(
        company_id=company.id, type=mirror.value, state=InvoiceState.DRAFT.value,
        partner_id=invoice.partner_id, journal_id=invoice.journal_id, date=day, due_date=day,
        ref=invoice.number, currency_code=invoice.currency_code, untaxed=invoice.untaxed,
        tax=invoice.tax, total=invoice.total, reversed_invoice_id=invoice.id,
        lines=[
            InvoiceLine(
                company_id=company.id, sequence=ln.sequence, description=ln.description,
                quantity=ln.quantity, unit_price=ln.unit_price, tax_id=ln.tax_id,
                account_id=ln.account_id, subtotal=ln.subtotal,
            )
            for ln in invoice.lines
        ],
    )
    session.add(note)
    session.flush()
    post_document(session, company, note)
    own = document_item(session, company, note)
    if (
        original is not None
        and own is not None
        and original.full_reconcile_id is None
        and original.residual_currency != 0
    ):
        reconcile(session, company, [original.line_id, own.line_id],
                  origin=credit_note_origin(note.id))
    return note
