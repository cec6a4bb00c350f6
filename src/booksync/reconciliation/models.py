"""The record of each bank line's reconciliation.

The statement line never changes (docs/banking.md, "Statement lines"): that
it is reconciled, with which clearing entry and against which documents,
lives here.  An undone reconciliation stays as history, with the entry that
reversed its clearing entry; at most one reconciliation of a line is active.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
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


class ReconcileStamp(Base):
    """What a bank journal's last pass without a result found, for the next sync's pass.

    Written when an automatic pass over every unreconciled line of the journal
    applied nothing: ``inputs`` sums up what matching read then (open items,
    documents, partners, rules, records), ``line_*`` the journal's statement
    lines then.  While both still read the same, the old lines would find nothing
    again, and a sync's pass matches only the lines booked since
    (docs/reconciliation.md, "Automatic reconciliation").  A cache: not a
    business row, never travels between instances.
    """

    __tablename__ = "reconcile_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), nullable=False, index=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"), unique=True)
    inputs: Mapped[str] = mapped_column(Text)
    line_max_id: Mapped[int] = mapped_column(Integer)
    line_count: Mapped[int] = mapped_column(Integer)
    line_versions: Mapped[int] = mapped_column(BigInteger)


__all__ = ["BankReconciliation", "BankReconciliationDocument", "ReconcileStamp"]
