"""Payment batches: several payments that reach the bank as one transfer.

A vendor run pays ten bills with one transfer, and a cheque deposit brings
several customers' cheques at once: the bank shows one line for the total.
Grouping the payments into a batch lets that one line be matched to the
batch as a whole, that is to its payments' outstanding lines together
(docs/payments.md).  A payment is in at most one batch, and only a payment
no bank line has matched yet can join one.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from booksync.documents.models import Payment, PaymentBatch
from booksync.documents.payments import Direction
from booksync.errors import BooksyncError
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.models import Company, Journal
from booksync.ledger.open_item_models import OpenItem

__all__ = [
    "batch_outstanding_line_ids",
    "batch_payment_ids",
    "get_batch",
    "make_batch",
    "matched_payment_ids",
]


def make_batch(
    session: Session, company: Company, journal: Journal, payments: Sequence[Payment]
) -> PaymentBatch:
    """A batch of ``payments``, all of ``journal`` and of one direction, none batched
    or matched yet; its total is in the journal's currency, its date the latest
    payment's (the transfer cannot leave before its last payment)."""
    if not payments:
        raise LedgerError("a batch needs at least one payment")
    seen: set[int] = set()
    for payment in payments:
        if payment.company_id != company.id:
            raise NotFound(f"no payment {payment.id}")
        if payment.id in seen:
            raise LedgerError(f"payment {payment.id} is named twice")
        seen.add(payment.id)
        if payment.journal_id != journal.id:
            raise LedgerError(
                f"payment {payment.id} is not in journal {journal.code}: "
                "a batch holds the payments of one bank journal"
            )
    first = payments[0]
    for payment in payments[1:]:
        if payment.outbound != first.outbound:
            raise LedgerError(
                f"payment {first.id} is {Direction.of(first).value} and payment {payment.id} "
                f"{Direction.of(payment).value}: a batch holds payments of one direction"
            )
    for payment in payments:
        if payment.batch_id is not None:
            raise BooksyncError(
                f"payment {payment.id} is already in batch {payment.batch_id}", code="conflict"
            )
    matched = matched_payment_ids(session, company, [p.id for p in payments])
    if matched:
        raise BooksyncError(
            f"payment {min(matched)} is already matched to a bank line", code="conflict"
        )
    batch = PaymentBatch(
        company_id=company.id,
        journal_id=journal.id,
        date=max(p.date for p in payments),
        outbound=first.outbound,
        total=sum(p.amount for p in payments),
    )
    session.add(batch)
    session.flush()
    for payment in payments:
        payment.batch_id = batch.id
    session.flush()
    return batch


def matched_payment_ids(
    session: Session, company: Company, payment_ids: Sequence[int]
) -> set[int]:
    """The payments of ``payment_ids`` whose outstanding line something already settled.

    Only a bank line settles an outstanding line (docs/payments.md), so this
    is "already matched to a bank line", partly or in full, whichever module
    did the matching.
    """
    return set(
        session.scalars(
            select(Payment.id)
            .join(OpenItem, OpenItem.line_id == Payment.outstanding_line_id)
            .where(
                Payment.company_id == company.id,
                Payment.id.in_(payment_ids),
                or_(
                    OpenItem.residual != OpenItem.amount,
                    OpenItem.residual_currency != OpenItem.amount_currency,
                    OpenItem.full_reconcile_id.is_not(None),
                ),
            )
        )
    )


def get_batch(session: Session, company: Company, batch_id: int) -> PaymentBatch:
    batch = session.scalar(
        select(PaymentBatch).where(
            PaymentBatch.company_id == company.id, PaymentBatch.id == batch_id
        )
    )
    if batch is None:
        raise NotFound(f"no payment batch {batch_id}")
    return batch


def batch_payment_ids(
    session: Session, company: Company, batch_ids: Sequence[int]
) -> dict[int, list[int]]:
    """The ids of each batch's payments, in id order."""
    found: dict[int, list[int]] = {batch_id: [] for batch_id in batch_ids}
    for batch_id, payment_id in session.execute(
        select(Payment.batch_id, Payment.id)
        .where(Payment.company_id == company.id, Payment.batch_id.in_(batch_ids))
        .order_by(Payment.id)
    ):
        if batch_id is not None:  # always: the query selects batched payments only
            found[batch_id].append(payment_id)
    return found


def batch_outstanding_line_ids(
    session: Session, company: Company, batch: PaymentBatch
) -> list[int]:
    """The lines one bank line showing the whole batch settles together: each
    payment's outstanding line, in payment id order (docs/payments.md)."""
    return list(
        session.scalars(
            select(Payment.outstanding_line_id)
            .where(Payment.company_id == company.id, Payment.batch_id == batch.id)
            .order_by(Payment.id)
        )
    )
