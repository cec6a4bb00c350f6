"""Open items: what is still owed on a posted line, and what settled it.

Posted lines never change (docs/ledger.md, "How immutability is enforced"), so
what a payment settles cannot live on the line.  Every posted line on a
reconcilable account (receivables, payables, outstanding receipts and
payments; not the bank suspense account, whose lines are settled by bank
reconciliation) gets one :class:`OpenItem` holding its residual.  A
:class:`PartialReconcile` links a debit line and a credit line with the
amount one settles of the other, in company currency and in each line's own
currency; when every line of a group is settled, a :class:`FullReconcile`
closes the group (docs/ledger.md, "Open items and reconciliation").

Residuals are signed like the line: positive for a debit, negative for a
credit, in company currency (``residual``) and in the line's own currency
(``residual_currency``, equal to ``residual`` for a line in company
currency).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from booksync.db.base import Base, CompanyOwned


class OpenItem(Base):
    """The residual of one posted line on a reconcilable account.

    Derived from the line and its partial reconciliations (a test holds the
    two equal); kept as a row so that "open items of this partner" and
    "open items of this amount" are index lookups, not sums over history.
    """

    __tablename__ = "open_item"
    __table_args__ = (
        # Open items of a partner (matching by partner, payments, aged balances).
        Index(
            "ix_open_item_partner",
            "company_id",
            "partner_id",
            "account_id",
            sqlite_where=text("full_reconcile_id IS NULL"),
            postgresql_where=text("full_reconcile_id IS NULL"),
        ),
        # Open items of an amount (matching by amount alone).
        Index(
            "ix_open_item_residual",
            "company_id",
            "residual",
            sqlite_where=text("full_reconcile_id IS NULL"),
            postgresql_where=text("full_reconcile_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), nullable=False)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    amount: Mapped[int] = mapped_column(BigInteger)  # signed, company currency
    amount_currency: Mapped[int] = mapped_column(BigInteger)  # signed, line currency
    residual: Mapped[int] = mapped_column(BigInteger)
    residual_currency: Mapped[int] = mapped_column(BigInteger)
    full_reconcile_id: Mapped[int | None] = mapped_column(ForeignKey("full_reconcile.id"))


class FullReconcile(CompanyOwned, Base):
    """A group of lines settled against each other down to zero.

    ``exchange_entry_id``: the entry that booked the group's currency
    difference, when its lines were in a foreign currency at other rates.
    """

    __tablename__ = "full_reconcile"

    exchange_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"), index=True)


class PartialReconcile(CompanyOwned, Base):
    """``amount`` of a debit line settled by a credit line (both positive).

    ``debit_amount_currency``/``credit_amount_currency`` are the same
    settlement in each line's own currency.  ``origin`` says which operation
    made it (``payment:ID``, ``bank:ID``, ``manual``), so that undoing that
    operation removes exactly its links and nothing else.
    """

    __tablename__ = "partial_reconcile"
    __table_args__ = (Index("ix_partial_reconcile_origin", "company_id", "origin"),)

    debit_line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), index=True)
    credit_line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    debit_amount_currency: Mapped[int] = mapped_column(BigInteger)
    credit_amount_currency: Mapped[int] = mapped_column(BigInteger)
    full_reconcile_id: Mapped[int | None] = mapped_column(ForeignKey("full_reconcile.id"))
    origin: Mapped[str] = mapped_column(String(40))


__all__ = ["FullReconcile", "OpenItem", "PartialReconcile"]
