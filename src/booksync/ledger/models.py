"""The ledger's tables.

Posted entries and their lines are immutable; the services refuse changes
and database triggers (see the initial migration) refuse them again, so no
code path, raw SQL included, can rewrite posted books.  ``Line.posted`` and
``Line.date`` copy the entry's state and date so that reports are single-table
aggregations over a covering index.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booksync.db.base import Base, BusinessRow, CompanyOwned, UTCDateTime


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class AccountRole(enum.StrEnum):
    """What an account is used for, beyond its type."""

    RECEIVABLE = "receivable"
    PAYABLE = "payable"
    BANK = "bank"
    SUSPENSE = "suspense"
    OUTSTANDING_IN = "outstanding_in"  # payments received, not yet seen on the bank
    OUTSTANDING_OUT = "outstanding_out"  # payments sent, not yet seen on the bank
    EXCHANGE_GAIN = "exchange_gain"
    EXCHANGE_LOSS = "exchange_loss"
    TAX_SALE = "tax_sale"  # tax collected on sales
    TAX_PURCHASE = "tax_purchase"  # tax paid on purchases, to deduct


class JournalType(enum.StrEnum):
    SALE = "sale"
    PURCHASE = "purchase"
    BANK = "bank"
    GENERAL = "general"


class EntryState(enum.StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    REVERSED = "reversed"  # shown only: a posted entry that a reversal points at


class Currency(BusinessRow, Base):
    __tablename__ = "currency"

    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    exponent: Mapped[int] = mapped_column(Integer)


class Company(BusinessRow, Base):
    __tablename__ = "company"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    country: Mapped[str] = mapped_column(String(2))
    lock_date: Mapped[dt.date | None] = mapped_column(Date)
    # Where a rate missing for a foreign-currency line comes from: None = only the
    # rates recorded by hand; "ecb" (docs/banking.md, "Exchange rates").
    rate_source: Mapped[str | None] = mapped_column(String(16))

    currency: Mapped[Currency] = relationship(lazy="joined")


class ExchangeRate(CompanyOwned, Base):
    """Units of company currency for one unit of ``currency_code`` on ``date``.

    A rate is not money: it is stored as its exact decimal text.
    """

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("company_id", "currency_code", "date"),)

    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    date: Mapped[dt.date] = mapped_column(Date)
    rate: Mapped[str] = mapped_column(String(40))


class Account(CompanyOwned, Base):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    code: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AccountType] = mapped_column(String(16))
    role: Mapped[AccountRole | None] = mapped_column(String(16))
    reconcile: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Journal(CompanyOwned, Base):
    __tablename__ = "journal"
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[JournalType] = mapped_column(String(16))
    default_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    suspense_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    # A bank journal in another currency than the company's (None: the company's).
    currency_code: Mapped[str | None] = mapped_column(ForeignKey("currency.code"))


class Partner(CompanyOwned, Base):
    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    iban: Mapped[str | None] = mapped_column(String(34))
    email: Mapped[str | None] = mapped_column(String(200))


class Sequence(Base):
    """The last number given per journal and year: posting takes the next one
    under a row lock, so numbers are gap-free and never handed out twice."""

    __tablename__ = "sequence"
    __table_args__ = (UniqueConstraint("journal_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Entry(CompanyOwned, Base):
    __tablename__ = "entry"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'posted')", name="state"),
        UniqueConstraint("company_id", "number"),
        Index("ix_entry_company_journal_date", "company_id", "journal_id", "date"),
        Index("ix_entry_company_date_id", "company_id", "date", "id"),  # listing order
    )

    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    ref: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(8), default=EntryState.DRAFT.value)
    number: Mapped[str | None] = mapped_column(String(64))
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"), unique=True)

    journal: Mapped[Journal] = relationship(lazy="joined")
    lines: Mapped[list[Line]] = relationship(
        back_populates="entry", order_by="Line.id", lazy="selectin"
    )
    reversal_of: Mapped[Entry | None] = relationship(
        remote_side="Entry.id", foreign_keys=[reversal_of_id], back_populates="reversed_by"
    )
    reversed_by: Mapped[Entry | None] = relationship(
        foreign_keys=[reversal_of_id], back_populates="reversal_of", uselist=False
    )


class Line(CompanyOwned, Base):
    """One side of an entry.

    Indexes are few on purpose: a bulk import writes a million lines, and
    every index costs each of them. ``ix_line_report`` is partial (posted
    lines only), so a draft line costs it nothing and posting adds the line
    to it once; reports and the account ledger both read through it.
    """

    __tablename__ = "line"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="non_negative"),
        Index(
            "ix_line_report",
            "company_id",
            "account_id",
            "date",
            "debit",
            "credit",
            sqlite_where=text("posted = 1"),
            postgresql_where=text("posted = true"),
        ),
    )

    # Not indexed alone: ix_line_report starts with it.
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), nullable=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    currency_code: Mapped[str | None] = mapped_column(ForeignKey("currency.code"))
    amount_currency: Mapped[int | None] = mapped_column(BigInteger)
    label: Mapped[str | None] = mapped_column(String(500))
    date: Mapped[dt.date] = mapped_column(Date)
    posted: Mapped[bool] = mapped_column(Boolean, default=False)

    entry: Mapped[Entry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship(lazy="joined")
    partner: Mapped[Partner | None] = relationship(lazy="joined")


__all__ = [
    "Account",
    "AccountRole",
    "AccountType",
    "Company",
    "Currency",
    "Entry",
    "EntryState",
    "ExchangeRate",
    "Journal",
    "JournalType",
    "Line",
    "Partner",
    "Sequence",
]
