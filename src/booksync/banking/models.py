"""The banking tables.

A *connection* is one consent at one provider (a SimpleFIN access URL, a
GoCardless requisition); it sees several *provider accounts*, each linked to
a bank journal.  Every booked bank transaction becomes one *statement line*
and one posted entry.  A line comes from a *statement source* of its
journal: a provider account (``online``), a statement file (``file``) or
lines entered by hand (``manual``).  The ids a source used for a line
(several, when a provider changes its id rule or a pending transaction books
under a new id) are *aliases* of that line, unique per source, so exactly
once does not depend on an online connection (docs/banking.md, "Statement
sources").  Pending transactions only ever live in the staging table,
replaced whole by each fetch.
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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booksync.banking.states import ConnectionState, RunState, RunTrigger
from booksync.db.base import Base, BusinessRow, CompanyOwned, UTCDateTime
from booksync.ledger.models import Journal


class Institution(BusinessRow, Base):
    """A bank as a provider knows it: searchable catalogue, shared by companies."""

    __tablename__ = "institution"
    __table_args__ = (UniqueConstraint("provider", "provider_institution_id"),)

    provider: Mapped[str] = mapped_column(String(32))
    provider_institution_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), index=True)
    bic: Mapped[str | None] = mapped_column(String(11))
    country: Mapped[str | None] = mapped_column(String(2))
    online_sync: Mapped[bool] = mapped_column(Boolean, default=True)


class Bank(BusinessRow, Base):
    """A bank entered by hand ("Create it"): name and Bank Identifier Code."""

    __tablename__ = "bank"
    __table_args__ = (UniqueConstraint("name", "bic"),)

    name: Mapped[str] = mapped_column(String(200))
    bic: Mapped[str | None] = mapped_column(String(11))


class BankAccount(CompanyOwned, Base):
    __tablename__ = "bank_account"
    __table_args__ = (UniqueConstraint("company_id", "account_number"),)

    account_number: Mapped[str] = mapped_column(String(64))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"))
    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))

    bank: Mapped[Bank | None] = relationship(lazy="joined")
    journal: Mapped[Journal] = relationship(lazy="joined")


class Connection(CompanyOwned, Base):
    """One consent at one provider, its schedule and its state.

    ``claimed_until``/``claimed_by`` are a lease: a worker that takes a due
    connection holds it until the lease ends, so two workers never run the
    same connection, and a crashed worker's claim simply expires.
    """

    __tablename__ = "connection"
    __table_args__ = (Index("ix_connection_due", "auto_sync", "state", "next_sync_at"),)

    provider: Mapped[str] = mapped_column(String(32))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    label: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(24), default=ConnectionState.CONNECTED)
    last_refresh: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=12 * 3600)
    auto_sync: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    include_pending: Mapped[bool] = mapped_column(Boolean, default=True)
    # Reconcile what is certain after each successful run (docs/reconciliation.md).
    auto_reconcile: Mapped[bool] = mapped_column(Boolean, default=True)
    history_days: Mapped[int] = mapped_column(Integer, default=90)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    # A cursor-based provider's position (Plaid), saved only once a run has read
    # every page (docs/banking.md, "Providers").
    sync_cursor: Mapped[str | None] = mapped_column(Text)

    institution: Mapped[Institution | None] = relationship(lazy="joined")
    accounts: Mapped[list[ProviderAccount]] = relationship(
        back_populates="connection", order_by="ProviderAccount.id", lazy="selectin"
    )


class ProviderAccount(CompanyOwned, Base):
    """An account as the provider shows it, linked to a bank journal.

    The bank's last reported balance is kept with its as-of date: a balance
    is only comparable with the books at the date the bank gave it.
    """

    __tablename__ = "provider_account"
    __table_args__ = (UniqueConstraint("connection_id", "provider_account_id"),)

    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id"))
    provider_account_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    iban: Mapped[str | None] = mapped_column(String(34))
    journal_id: Mapped[int | None] = mapped_column(ForeignKey("journal.id"))
    history_start: Mapped[dt.date | None] = mapped_column(Date)
    balance: Mapped[int | None] = mapped_column(BigInteger)
    balance_date: Mapped[dt.date | None] = mapped_column(Date)
    balance_difference: Mapped[int | None] = mapped_column(BigInteger)
    watermark: Mapped[dt.date | None] = mapped_column(Date)
    last_sync: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    connection: Mapped[Connection] = relationship(back_populates="accounts")
    journal: Mapped[Journal | None] = relationship(lazy="joined")


class SourceKind(enum.StrEnum):
    """Where a statement source's lines come from."""

    ONLINE = "online"  # a provider account of a connection
    FILE = "file"  # statement files (CAMT.053, MT940, OFX, CSV)
    MANUAL = "manual"  # lines entered by hand


class StatementSource(CompanyOwned, Base):
    """Where a bank journal's statement lines come from; aliases are unique per source.

    An ``online`` source is its provider account's (one each, so the
    account's transaction ids keep one namespace); a journal has at most one
    ``manual`` source, made on first use.  Keying lines and aliases on the
    source instead of the provider account lets a journal book lines from a
    file or by hand with the same exactly-once rules.
    """

    __tablename__ = "statement_source"
    __table_args__ = (
        CheckConstraint("kind IN ('online', 'file', 'manual')", name="kind"),
        CheckConstraint(
            "(kind = 'online' AND provider_account_id IS NOT NULL) "
            "OR (kind <> 'online' AND provider_account_id IS NULL)",
            name="online_account",
        ),
        Index(
            "uq_statement_source_manual",
            "journal_id",
            unique=True,
            sqlite_where=text("kind = 'manual'"),
            postgresql_where=text("kind = 'manual'"),
        ),
        Index(
            "uq_statement_source_file",
            "journal_id",
            "name",
            unique=True,
            sqlite_where=text("kind = 'file'"),
            postgresql_where=text("kind = 'file'"),
        ),
    )

    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"), index=True)
    kind: Mapped[SourceKind] = mapped_column(String(16))
    provider_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_account.id"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))


class StatementLine(CompanyOwned, Base):
    """One booked bank transaction (or a first sync's opening line) and its entry.

    ``amount`` is signed, positive = money in, in the account's currency.
    ``source_id`` says where the line came from; ``provider_account_id`` is
    kept for an online source's lines as information only (dedupe goes by
    source).  ``partner_id`` is the partner known when the line was made
    (given by hand, say), ``partner_name`` the name the bank gave;
    ``reference`` the bank's structured or remittance reference.
    """

    __tablename__ = "statement_line"
    __table_args__ = (
        Index("ix_statement_line_source_date", "source_id", "date"),
        Index("ix_statement_line_journal_date", "journal_id", "date"),
    )

    journal_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("statement_source.id"))
    provider_account_id: Mapped[int | None] = mapped_column(ForeignKey("provider_account.id"))
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_run.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    transacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    label: Mapped[str] = mapped_column(String(500))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    partner_name: Mapped[str | None] = mapped_column(String(200))
    counterparty_iban: Mapped[str | None] = mapped_column(String(34))
    reference: Mapped[str | None] = mapped_column(String(500))
    provider_transaction_id: Mapped[str | None] = mapped_column(String(200))
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[str | None] = mapped_column(Text)


class TransactionAlias(CompanyOwned, Base):
    """An id a statement source used for a line; (source, id) is unique."""

    __tablename__ = "transaction_alias"
    __table_args__ = (UniqueConstraint("source_id", "transaction_id"),)

    source_id: Mapped[int] = mapped_column(ForeignKey("statement_source.id"))
    statement_line_id: Mapped[int] = mapped_column(ForeignKey("statement_line.id"), index=True)
    transaction_id: Mapped[str] = mapped_column(String(200))


class PendingTransaction(CompanyOwned, Base):
    """A pending transaction from the latest fetch: shown, never booked."""

    __tablename__ = "pending_transaction"

    provider_account_id: Mapped[int] = mapped_column(ForeignKey("provider_account.id"), index=True)
    transaction_id: Mapped[str | None] = mapped_column(String(200))
    date: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency_code: Mapped[str] = mapped_column(ForeignKey("currency.code"))
    label: Mapped[str] = mapped_column(String(500))
    partner_name: Mapped[str | None] = mapped_column(String(200))
    raw: Mapped[str | None] = mapped_column(Text)


class SyncRun(CompanyOwned, Base):
    """One synchronization run of one connection: window, counts, outcome."""

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_connection_started", "connection_id", "started_at"),)

    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id"))
    trigger: Mapped[str] = mapped_column(String(16), default=RunTrigger.MANUAL)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    window_start: Mapped[dt.date | None] = mapped_column(Date)
    window_end: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24), default=RunState.RUNNING)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    reconciled: Mapped[int] = mapped_column(Integer, default=0)
    balance_difference: Mapped[int | None] = mapped_column(BigInteger)
    reversed: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SyncRunAccount(CompanyOwned, Base):
    """One provider account's part of a run: what it brought, or why it failed while
    the connection's other accounts went on (docs/banking.md, "A synchronization run")."""

    __tablename__ = "sync_run_account"

    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id"), index=True)
    provider_account_id: Mapped[int] = mapped_column(ForeignKey("provider_account.id"))
    state: Mapped[str] = mapped_column(String(24))
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    reversed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class CsvProfileRow(CompanyOwned, Base):
    """A saved way to read one bank's CSV export: the settings of
    :class:`booksync.bankfiles.csv_profile.CsvProfile` as JSON text."""

    __tablename__ = "csv_profile"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    name: Mapped[str] = mapped_column(String(80))
    settings: Mapped[str] = mapped_column(Text)
