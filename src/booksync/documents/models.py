"""The tables of taxes, invoices (customer and vendor), payments and their batches.

A posted document's figures are those of its entry, which never changes;
the document row keeps what the entry does not say (the lines as typed,
quantities, unit prices, the due date, the vendor's reference) and its
state.  Amounts are integer minor units of the document's currency.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booksync.db.base import Base, CompanyOwned
from booksync.ledger.models import Account, Partner


class TaxType(enum.StrEnum):
    SALE = "sale"
    PURCHASE = "purchase"


class Tax(CompanyOwned, Base):
    """A percentage tax on sales or purchases, booked to ``account_id``.

    ``rate`` is the percentage in ten-thousandths (20 % is 200_000), exact for
    rates such as 5.5 % or 19.6 % without a float.  ``price_included``: the
    unit prices of lines with this tax already contain it.
    """

    __tablename__ = "tax"
    __table_args__ = (UniqueConstraint("company_id", "type", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    rate: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    price_included: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    account: Mapped[Account] = relationship(lazy="joined")


class InvoiceType(enum.StrEnum):
    """Customer invoice and credit note, vendor bill and refund."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    BILL = "bill"
    REFUND = "refund"


class InvoiceState(enum.StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    CANCELLED = "cancelled"


class DocumentSequence(Base):
    """The last number given per company, prefix (INV, RINV, BILL, RBILL) and year."""

    __tablename__ = "document_sequence"
    __table_args__ = (UniqueConstraint("company_id", "prefix", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    prefix: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(CompanyOwned, Base):
    """A customer invoice or credit note, or a vendor bill or refund."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        Index("ix_invoice_company_partner", "company_id", "partner_id", "state"),
    )

    type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=InvoiceState.DRAFT.value)
    number: Mapped[str | None] = mapped_column(String(64))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    ref: Mapped[str | None] = mapped_column(String(500))
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    untaxed: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"), unique=True)
    # The invoice a credit note (or the bill a refund) corrects.
    reversed_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))

    partner: Mapped[Partner] = relationship(lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.sequence", lazy="selectin",
        cascade="all, delete-orphan",
    )


class InvoiceLine(CompanyOwned, Base):
    """One line as typed: ``quantity`` in thousandths, ``unit_price`` in minor units."""

    __tablename__ = "invoice_line"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    tax_id: Mapped[int | None] = mapped_column(ForeignKey("tax.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    subtotal: Mapped[int] = mapped_column(BigInteger)  # untaxed, document currency

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    tax: Mapped[Tax | None] = relationship(lazy="joined")
    account: Mapped[Account] = relationship(lazy="joined")


class PaymentBatch(CompanyOwned, Base):
    """Several payments that reach the bank as one transfer (and one bank line)."""

    __tablename__ = "payment_batch"

    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    outbound: Mapped[bool] = mapped_column(Boolean)
    total: Mapped[int] = mapped_column(BigInteger)  # minor units of the journal's currency


class Payment(CompanyOwned, Base):
    """Money received from or sent to a partner through a bank journal.

    Posting books the company's outstanding receipts (or payments) account
    against the partner's receivable (or payable); the bank line that shows
    the money later settles the outstanding line (docs/payments.md).
    ``partner_line_id`` and ``outstanding_line_id`` name the entry's two
    lines, so that what settles each is one index lookup away.
    """

    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_company_partner", "company_id", "partner_id"),)

    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    outbound: Mapped[bool] = mapped_column(Boolean, default=False)
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # positive, minor units of currency_code
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    ref: Mapped[str | None] = mapped_column(String(500))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payment_batch.id"), index=True)
    # The receivable (or payable) line, settled with the documents the payment pays.
    partner_line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), unique=True)
    # The outstanding receipts (or payments) line, settled by the bank line.
    outstanding_line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), unique=True)

    partner: Mapped[Partner] = relationship(lazy="joined")


__all__ = [
    "DocumentSequence",
    "Invoice",
    "InvoiceLine",
    "InvoiceState",
    "InvoiceType",
    "Payment",
    "PaymentBatch",
    "Tax",
    "TaxType",
]
