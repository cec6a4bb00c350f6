"""What is still owed on documents, and how they were settled.

A posted document's residual is not kept on the document: it is the open
item of its entry's receivable or payable line (docs/ledger.md, "Open
items and reconciliation"), in the document's currency.  Payments,
credit notes and bank reconciliations all settle that item, so the
document's state follows whatever settled it without being written to
(docs/documents.md, "Residual and payment state").
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from booksync.documents.models import Invoice, InvoiceState
from booksync.ledger.models import Company
from booksync.ledger.open_item_models import OpenItem, PartialReconcile

__all__ = [
    "PaymentState",
    "Standing",
    "credit_note_origin",
    "document_item",
    "standings",
]

_CHUNK = 500  # ids per IN list: far below every driver's limit on bound parameters


class PaymentState(enum.StrEnum):
    NOT_PAID = "not_paid"
    PARTIAL = "partial"
    PAID = "paid"
    REVERSED = "reversed"  # settled by its credit note (or refund) and nothing else


@dataclass(frozen=True, slots=True)
class Standing:
    """A document's residual (minor units of its currency, never negative) and state."""

    residual: int
    payment_state: PaymentState


def credit_note_origin(credit_note_id: int) -> str:
    """The origin of the settlement between a credit note (or refund) and what it corrects.

    Undoing it is ``ledger.reconcile.unreconcile(session, company, origin)``.
    """
    return f"credit-note:{credit_note_id}"


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def document_item(
    session: Session, company: Company, invoice: Invoice, *, lock: bool = False
) -> OpenItem | None:
    """The open item of a posted document's receivable or payable line (None for a draft).

    A document's entry has exactly one line on a reconcilable account: its
    lines and taxes are refused such accounts.  ``lock``: locked for the
    transaction and read afresh, for a change that depends on what it still
    owes (a payment or credit note committed meanwhile is then seen).
    """
    if invoice.entry_id is None:
        return None
    query = select(OpenItem).where(
        OpenItem.company_id == company.id, OpenItem.entry_id == invoice.entry_id
    ).order_by(OpenItem.id).limit(1)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def standings(
    session: Session, company: Company, invoices: Sequence[Invoice]
) -> dict[int, Standing]:
    """Each document's :class:`Standing`, by document id, in a few queries for any number."""
    entry_ids = [i.entry_id for i in invoices if i.entry_id is not None]
    # Columns, not rows: whatever changed the residuals (an ORM session or plain SQL), the
    # database's values are the ones read.
    items: dict[int, tuple[int, int]] = {}  # entry id -> (line id, residual in its currency)
    for chunk in _chunks(entry_ids):
        for entry_id, line_id, residual in session.execute(
            select(OpenItem.entry_id, OpenItem.line_id, OpenItem.residual_currency).where(
                OpenItem.company_id == company.id, OpenItem.entry_id.in_(chunk)
            ).order_by(OpenItem.id.desc())
        ):
            items[entry_id] = (line_id, residual)  # the first of an entry's items wins
    settled = [line_id for line_id, residual in items.values() if residual == 0]
    origins: dict[int, set[str]] = {}
    for chunk in _chunks(settled):
        for debit, credit, origin in session.execute(
            select(
                PartialReconcile.debit_line_id,
                PartialReconcile.credit_line_id,
                PartialReconcile.origin,
            ).where(
                PartialReconcile.company_id == company.id,
                or_(
                    PartialReconcile.debit_line_id.in_(chunk),
                    PartialReconcile.credit_line_id.in_(chunk),
                ),
            )
        ):
            origins.setdefault(debit, set()).add(origin)
            origins.setdefault(credit, set()).add(origin)
    # The credit notes that correct these documents: their settlements count as reversals.
    corrected_by: dict[int, set[str]] = {}
    posted_ids = [i.id for i in invoices if i.entry_id is not None]
    for chunk in _chunks(posted_ids):
        for note_id, original_id in session.execute(
            select(Invoice.id, Invoice.reversed_invoice_id).where(
                Invoice.company_id == company.id, Invoice.reversed_invoice_id.in_(chunk)
            )
        ):
            assert original_id is not None
            corrected_by.setdefault(original_id, set()).add(credit_note_origin(note_id))
    found = {}
    for invoice in invoices:
        item = items.get(invoice.entry_id) if invoice.entry_id is not None else None
        if item is None:
            cancelled = invoice.state == InvoiceState.CANCELLED.value
            found[invoice.id] = Standing(0 if cancelled else invoice.total, PaymentState.NOT_PAID)
            continue
        line_id, residual = item[0], abs(item[1])
        if residual == 0:
            own = {credit_note_origin(invoice.id)} | corrected_by.get(invoice.id, set())
            by = origins.get(line_id, set())
            state = PaymentState.REVERSED if by and by <= own else PaymentState.PAID
        elif residual >= invoice.total:
            state = PaymentState.NOT_PAID
        else:
            state = PaymentState.PARTIAL
        found[invoice.id] = Standing(residual, state)
    return found
