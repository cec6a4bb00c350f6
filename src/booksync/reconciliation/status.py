"""Which statement lines are reconciled, and with what: for listing them.

A line is reconciled while it has an active reconciliation; ``matched``
names the documents it settled (invoice and bill numbers, ``payment N``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.documents.models import Invoice
from booksync.reconciliation.models import BankReconciliation, BankReconciliationDocument

__all__ = ["matched_documents"]


def matched_documents(session: Session, line_ids: Sequence[int]) -> dict[int, list[str]]:
    """``{line id: documents}`` for the reconciled ones of ``line_ids`` (one query)."""
    found: dict[int, list[str]] = {}
    if not line_ids:
        return found
    rows = session.execute(
        select(BankReconciliation.statement_line_id, Invoice.number,
               BankReconciliationDocument.payment_id)
        .outerjoin(BankReconciliationDocument,
                   BankReconciliationDocument.reconciliation_id == BankReconciliation.id)
        .outerjoin(Invoice, Invoice.id == BankReconciliationDocument.invoice_id)
        .where(BankReconciliation.state == "active",
               BankReconciliation.statement_line_id.in_(line_ids))
        .order_by(BankReconciliation.statement_line_id, BankReconciliationDocument.id)
    )
    for line_id, number, payment_id in rows:
        documents = found.setdefault(line_id, [])
        if number:
            documents.append(number)
        elif payment_id is not None:
            documents.append(f"payment {payment_id}")
    return found
