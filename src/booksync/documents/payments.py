"""Payments: money received from a customer or sent to a vendor through a bank journal.

A payment is registered when it is made or announced (a transfer ordered, a
customer's remittance), usually before the bank shows it.  So it is booked
against the company's *outstanding* receipts or payments account, not the
bank account: the bank account keeps matching what the bank says, and the
bank line that later shows the money settles the outstanding line
(docs/payments.md).  The partner's side is settled at once with the
documents the payment pays, oldest due first; what they do not take stays
open on the partner's account ("on account").

Everything that can refuse a payment is checked before anything is written.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import and_, select, union_all
from sqlalchemy.orm import Session

from booksync.documents.invoices import KIND_NAMES, a_kind
from booksync.documents.models import Invoice, InvoiceState, InvoiceType, Payment
from booksync.errors import BooksyncError
from booksync.ledger.accounts import role_account
from booksync.ledger.entries import PreparedEntry, PreparedLine, check_postable
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.limits import MAX_LINE_MINOR
from booksync.ledger.line_values import entry_ref
from booksync.ledger.models import (
    Account,
    AccountRole,
    Company,
    Journal,
    JournalType,
    Line,
    Partner,
)
from booksync.ledger.open_item_models import OpenItem, PartialReconcile
from booksync.ledger.rates import RateTable
from booksync.ledger.reconcile import reconcile
from booksync.ledger.writer import EntryWriter
from booksync.money import exponent, to_decimal, to_minor

__all__ = [
    "Direction",
    "PaymentRequest",
    "get_payments",
    "list_payments",
    "outstanding_line_id",
    "paid_documents",
    "payment_origin",
    "register_payment",
]


class Direction(enum.StrEnum):
    """Inbound: a customer (or a vendor refunding us) pays us; outbound: we pay."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"

    @classmethod
    def of(cls, payment: Payment) -> Direction:
        return cls.OUTBOUND if payment.outbound else cls.INBOUND


# What each direction pays: the documents whose open item is on the side the
# payment settles (an inbound payment credits the partner, so it pays debits).
PAYS: dict[Direction, frozenset[InvoiceType]] = {
    Direction.INBOUND: frozenset({InvoiceType.INVOICE, InvoiceType.REFUND}),
    Direction.OUTBOUND: frozenset({InvoiceType.BILL, InvoiceType.CREDIT_NOTE}),
}
_PARTNER_ROLES = (AccountRole.RECEIVABLE.value, AccountRole.PAYABLE.value)


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A payment as the user states it; ``amount`` in the journal's currency."""

    journal: Journal
    partner: Partner
    amount: Decimal
    date: dt.date
    direction: Direction = Direction.INBOUND
    documents: tuple[Invoice, ...] = ()
    ref: str | None = None


def payment_origin(payment_id: int) -> str:
    """The origin of the settlements a payment makes, so they can be undone alone."""
    return f"payment:{payment_id}"


def register_payment(session: Session, company: Company, request: PaymentRequest) -> Payment:
    """Post the payment's entry, record it and settle the documents it pays.

    Refused with one sentence, before anything is written, when the journal
    is not a bank journal, the amount is not positive or does not fit the
    currency, a rate is missing, or a document is not one this payment can
    pay (docs/payments.md).
    """
    journal, partner, direction = request.journal, request.partner, request.direction
    if journal.company_id != company.id or journal.type != JournalType.BANK.value:
        raise LedgerError(
            f"journal {journal.code} is not a bank journal: payments go through bank journals"
        )
    if partner.company_id != company.id:
        raise NotFound(f"unknown partner {partner.name!r}")
    currency = journal.currency_code or company.currency_code
    amount = to_minor(request.amount, exponent(currency))
    if amount <= 0:
        raise LedgerError(f"a payment's amount must be more than zero, not {request.amount}")
    ref = entry_ref(request.ref)
    items = _document_items(session, company, request)
    accounts = {item.account_id for item in items}
    if len(accounts) > 1:
        raise LedgerError(
            "a payment pays either a customer's documents or a vendor's, not both at once"
        )
    in_company = amount
    if currency != company.currency_code:
        in_company = RateTable(session, company, currency).convert(amount, request.date)

    inbound = direction is Direction.INBOUND
    if accounts:
        (partner_account,) = accounts
    else:
        role = AccountRole.RECEIVABLE if inbound else AccountRole.PAYABLE
        partner_account = role_account(session, company, role).id
    outstanding_role = AccountRole.OUTSTANDING_IN if inbound else AccountRole.OUTSTANDING_OUT
    outstanding_account = role_account(session, company, outstanding_role).id
    foreign = currency if currency != company.currency_code else None
    label = ref or f"Payment {'from' if inbound else 'to'} {partner.name}"[:500]
    # The partner's side is in the documents' currency when they all share one other
    # than the journal's: they then settle in it, the rates' difference booked apart.
    owed = {item.currency_code for item in items}
    partner_currency, partner_amount = foreign, amount
    if len(owed) == 1 and (documents := owed.pop()) != currency:
        partner_currency = documents if documents != company.currency_code else None
        partner_amount = _company_to(session, company, documents, in_company, request.date)

    def side(account: int, debit: bool, in_currency: str | None, own: int) -> PreparedLine:
        return PreparedLine(
            account, in_company if debit else 0, 0 if debit else in_company, partner.id, label,
            in_currency, (own if debit else -own) if in_currency else None,
        )

    outstanding = side(outstanding_account, inbound, foreign, amount)
    partner_side = side(partner_account, not inbound, partner_currency, partner_amount)
    lines = [outstanding, partner_side] if inbound else [partner_side, outstanding]
    entry = PreparedEntry(journal.id, request.date, ref, lines)
    check_postable(company, entry)

    writer = EntryWriter(session, company)
    (entry_id,) = writer.write([entry], post=True)
    writer.finish()
    line_of = dict(
        session.execute(select(Line.account_id, Line.id).where(Line.entry_id == entry_id)).all()
    )
    payment = Payment(
        company_id=company.id,
        journal_id=journal.id,
        partner_id=partner.id,
        outbound=not inbound,
        date=request.date,
        amount=amount,
        currency_code=currency,
        ref=ref,
        entry_id=entry_id,
        partner_line_id=line_of[partner_account],
        outstanding_line_id=line_of[outstanding_account],
    )
    session.add(payment)
    session.flush()
    if items:
        reconcile(
            session, company, [payment.partner_line_id, *(i.line_id for i in items)],
            origin=payment_origin(payment.id),
        )
    return payment


def _company_to(
    session: Session, company: Company, currency: str, in_company: int, date: dt.date
) -> int:
    """``in_company`` minor units of company currency in ``currency`` at the rate of
    ``date`` (half-even, the ledger's rule for conversions); refused when it is zero."""
    if currency == company.currency_code:
        return in_company
    table = RateTable(session, company, currency)
    _, rate = table.rate(date)
    exp = exponent(currency) - exponent(company.currency_code)
    value = int((Decimal(in_company).scaleb(exp) / rate).to_integral_value(ROUND_HALF_EVEN))
    if not value or abs(value) > MAX_LINE_MINOR:
        raise LedgerError(
            f"{to_decimal(in_company, exponent(company.currency_code))} "
            f"{company.currency_code} at the rate of {date.isoformat()} is "
            f"{'zero' if not value else 'more than a line can hold'} in {currency}"
        )
    return value


def _document_items(
    session: Session, company: Company, request: PaymentRequest
) -> list[OpenItem]:
    """The open receivable or payable items of the documents ``request`` pays.

    Each document must be posted, the partner's, of a kind the direction
    pays, named once, and still owe something.
    """
    documents, direction = request.documents, request.direction
    seen: set[int] = set()
    for doc in documents:
        name = doc.number or f"draft {doc.id}"
        if doc.company_id != company.id:
            raise NotFound(f"no invoice {name!r}")
        if doc.id in seen:
            raise LedgerError(f"{name} is named twice")
        seen.add(doc.id)
        if doc.state != InvoiceState.POSTED.value or doc.entry_id is None:
            raise LedgerError(f"{name} is {doc.state}: only posted documents are paid")
        if doc.partner_id != request.partner.id:
            raise LedgerError(
                f"{name} is {doc.partner.name}'s, not {request.partner.name}'s"
            )
        kind = InvoiceType(doc.type)
        if kind not in PAYS[direction]:
            raise LedgerError(
                f"{name} is {a_kind(kind)}: an {direction.value} payment pays "
                + " and ".join(f"{KIND_NAMES[k]}s" for k in sorted(PAYS[direction]))
            )
    if not documents:
        return []
    entry_ids = [doc.entry_id for doc in documents]
    items = list(
        session.scalars(
            select(OpenItem)
            .join(Account, Account.id == OpenItem.account_id)
            .where(
                OpenItem.company_id == company.id,
                OpenItem.entry_id.in_(entry_ids),
                Account.role.in_(_PARTNER_ROLES),
            )
            .order_by(OpenItem.due_date, OpenItem.line_id)
            # Locked and read afresh: two payments of one invoice at once on PostgreSQL
            # would otherwise both see it unpaid and settle it twice.
            .with_for_update(of=OpenItem)
            .execution_options(populate_existing=True)
        )
    )
    for doc in documents:
        own = [item for item in items if item.entry_id == doc.entry_id]
        if not own:
            raise LedgerError(f"{doc.number} has no receivable or payable line to pay")
        if not any(item.residual or item.residual_currency for item in own):
            raise BooksyncError(f"{doc.number} is already paid", code="conflict")
    return [item for item in items if item.residual or item.residual_currency]


def outstanding_line_id(payment: Payment) -> int:
    """The line a bank line showing this payment's money settles (docs/payments.md)."""
    return payment.outstanding_line_id


def get_payments(
    session: Session, company: Company, ids: Sequence[int], *, lock: bool = False
) -> list[Payment]:
    """The payments of ``ids``, in that order; the first unknown id is named.

    ``lock``: locked for the transaction and read afresh, for a change that
    depends on what they hold (a batch takes only payments in none).
    """
    query = select(Payment).where(Payment.company_id == company.id, Payment.id.in_(ids))
    if lock:
        query = query.with_for_update(of=Payment).execution_options(populate_existing=True)
    found = {p.id: p for p in session.scalars(query)}
    for payment_id in ids:
        if payment_id not in found:
            raise NotFound(f"no payment {payment_id}")
    return [found[i] for i in ids]


def list_payments(session: Session, company: Company) -> list[Payment]:
    """Every payment of the company, by date then id."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.company_id == company.id)
            .order_by(Payment.date, Payment.id)
        )
    )


def paid_documents(
    session: Session, company: Company, payment_ids: Sequence[int] | None = None
) -> dict[int, list[str]]:
    """The numbers of the documents each payment settles (``None``: every payment's).

    Read from the settlements of the payment's partner line, whatever made
    them (the payment itself, or a later matching of a payment on account),
    oldest due first.
    """
    pr = PartialReconcile
    legs = []
    sides = ((pr.credit_line_id, pr.debit_line_id), (pr.debit_line_id, pr.credit_line_id))
    for own, other in sides:
        query = (
            select(Payment.id.label("payment"), Invoice.number, Invoice.due_date)
            .join(pr, and_(own == Payment.partner_line_id, pr.company_id == company.id))
            .join(Line, Line.id == other)
            .join(Invoice, Invoice.entry_id == Line.entry_id)
            .where(Payment.company_id == company.id)
        )
        if payment_ids is not None:
            query = query.where(Payment.id.in_(payment_ids))
        legs.append(query)
    both = union_all(*legs).subquery()
    found: dict[int, list[str]] = {}
    for payment_id, number, _ in session.execute(
        select(both).order_by(both.c.payment, both.c.due_date, both.c.number)
    ):
        numbers = found.setdefault(payment_id, [])
        if number is not None and number not in numbers:
            numbers.append(number)
    return found
