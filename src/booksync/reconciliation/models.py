"""The record of each bank line's reconciliation.

The statement line never changes (docs/banking.md, "Statement lines"): that
it is reconciled, with which clearing entry and against which documents,
lives here.  An undone reconciliation stays as history, with the entry that
reversed its clearing entry; at most one reconciliation of a line is active.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booksync.db.base import Base, CompanyOwned, UTCDateTime


class BankReconciliation(CompanyOwned, Base):
    __tablename__ = "bank_reconciliation"
    __table_args__ = (
        Index(
            "ix_bank_reconciliation_active_line",
            "statement_line_id",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )

    statement_line_id: Mapped[int] = mapped_column(ForeignKey("statement_line.id"), index=True)
    clearing_entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | undone
    how: Mapped[str] = mapped_column(String(16), default="manual")  # manual | auto
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    documents: Mapped[list[BankReconciliationDocument]] = relationship(
        order_by="BankReconciliationDocument.id", lazy="selectin"
    )


class BankReconciliationDocument(CompanyOwned, Base):
    """A document (invoice, bill, payment) a reconciliation settled, for listing."""

    __tablename__ = "bank_reconciliation_document"

    reconciliation_id: Mapped[int] = mapped_column(
        ForeignKey("bank_reconciliation.id"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)


__all__ = ["BankReconciliation", "BankReconciliationDocument"]
