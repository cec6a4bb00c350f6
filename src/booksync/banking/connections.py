"""Connections: made from a provider's accounts, listed, set, disconnected.

A connection stores its credentials sealed (:mod:`booksync.banking.secrets`)
and never shows them. Each provider account is linked to a bank journal in
its own currency: a new journal by default, or one the user names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.banking.institutions import institution_key, upsert_institutions
from booksync.banking.models import Connection, Institution, ProviderAccount
from booksync.banking.secrets import seal
from booksync.banking.states import DUE_STATES, ConnectionState
from booksync.db.base import utcnow
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.journals import create_bank_journal, get_journal
from booksync.ledger.limits import MAX_NAME, fit_text, shown, text_ok
from booksync.ledger.models import Company, JournalType
from booksync.money import CURRENCIES, format_minor
from booksync.providers.base import Credentials
from booksync.providers.base import Institution as ProviderInstitution
from booksync.providers.base import ProviderAccount as RemoteAccount

_INTERVAL = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNIT = {"m": 60, "h": 3600, "d": 86400}


MAX_INTERVAL_DAYS = 31
"""A connection synchronized less often than monthly is no feed: its banks keep a
few months of history at most, and a longer wait would only lose transactions."""


def parse_interval(text: str) -> int:
    """``"30m"``, ``"4h"``, ``"12h"``, ``"1d"`` -> seconds (15 minutes to 31 days)."""
    match = _INTERVAL.match(text.lower())
    if not match or len(match.group(1)) > 9:
        raise LedgerError(f"interval {text[:40]!r} must look like 30m, 4h, 12h or 1d")
    seconds = int(match.group(1)) * _UNIT[match.group(2)]
    if seconds < 15 * 60:
        raise LedgerError("the interval must be at least 15 minutes")
    if seconds > MAX_INTERVAL_DAYS * 86400:
        raise LedgerError(f"the interval must be at most {MAX_INTERVAL_DAYS} days")
    return seconds


def format_interval(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _institution(session: Session, provider: str, accounts: Sequence[RemoteAccount]) -> int | None:
    """The catalogue row of the accounts' institution, added when it is new."""
    first = next((a for a in accounts if a.institution), None)
    if first is None or first.institution is None:
        return None
    ident = institution_key(first.institution_id or first.institution)
    known = session.scalar(
        select(Institution.id).where(
            Institution.provider == provider, Institution.provider_institution_id == ident
        )
    )
    if known is not None:
        return known  # keep the catalogue's BIC and country: an account knows neither
    upsert_institutions(
        session,
        [ProviderInstitution(ident, first.institution, None, None, provider, True)],
    )
    return session.scalar(
        select(Institution.id).where(
            Institution.provider == provider, Institution.provider_institution_id == ident
        )
    )


def create_connection(
    session: Session,
    company: Company,
    credentials: Credentials,
    accounts: Sequence[RemoteAccount],
    *,
    interval_seconds: int = 12 * 3600,
    history_days: int = 90,
    include_pending: bool = True,
    links: Mapping[str, str] | None = None,
) -> Connection:
    """A connected connection, due now, with every provider account linked."""
    links = dict(links or {})
    unknown = set(links) - {a.id for a in accounts}
    if unknown:
        raise LedgerError(f"the provider has no account {sorted(unknown)[0]!r} to link")
    if not 1 <= history_days <= 3650:
        raise LedgerError("history days must be between 1 and 3650")
    institution_id = _institution(session, credentials.provider, accounts)
    label = accounts[0].institution if accounts and accounts[0].institution else credentials.label
    connection = Connection(
        company_id=company.id,
        provider=credentials.provider,
        institution_id=institution_id,
        label=fit_text(label or credentials.provider, MAX_NAME),
        credentials=seal(credentials.secret),
        state=ConnectionState.CONNECTED,
        next_sync_at=utcnow(),
        interval_seconds=interval_seconds,
        include_pending=include_pending,
        history_days=history_days,
    )
    session.add(connection)
    session.flush()
    for remote in accounts:
        add_provider_account(session, company, connection, remote, links)
    session.flush()
    session.refresh(connection)
    return connection


def add_provider_account(
    session: Session,
    company: Company,
    connection: Connection,
    remote: RemoteAccount,
    links: Mapping[str, str],
) -> ProviderAccount:
    """One of the bank's accounts on ``connection``, booked in the journal ``links`` names
    for it (a bank journal in its currency) or in a new one."""
    if not text_ok(remote.id, MAX_NAME):
        raise LedgerError(
            f"the bank's account id {shown(remote.id)} cannot be kept: at most "
            f"{MAX_NAME} printable characters"
        )
    currency = remote.currency.upper()
    if currency not in CURRENCIES:
        raise LedgerError(f"account {remote.name!r} is in an unknown currency {currency!r}")
    if remote.id in links:
        journal = get_journal(session, company, links[remote.id])
        if journal.type != JournalType.BANK:
            raise LedgerError(f"journal {journal.code} is not a bank journal")
        if (journal.currency_code or company.currency_code) != currency:
            raise LedgerError(f"journal {journal.code} is not in {currency}")
    else:
        journal = create_bank_journal(session, company, remote.name, currency)
    account = ProviderAccount(
        company_id=company.id,
        connection_id=connection.id,
        provider_account_id=remote.id,
        name=fit_text(remote.name, MAX_NAME),
        currency_code=currency,
        iban=remote.iban if remote.iban and text_ok(remote.iban, 34) else None,
        journal_id=journal.id,
    )
    session.add(account)
    return account


def list_connections(session: Session, company: Company) -> list[Connection]:
    return list(
        session.scalars(
            select(Connection).where(Connection.company_id == company.id).order_by(Connection.id)
        )
    )


def get_connection(session: Session, company: Company, ident: int | str) -> Connection:
    text = str(ident).strip()
    connection = (
        session.scalar(
            select(Connection).where(
                Connection.company_id == company.id, Connection.id == int(text)
            )
        )
        if text.isdigit()
        else None
    )
    if connection is None:
        raise NotFound(f"no connection {text!r}")
    return connection


def set_connection(
    connection: Connection,
    *,
    interval_seconds: int | None = None,
    auto_sync: bool | None = None,
    include_pending: bool | None = None,
    auto_reconcile: bool | None = None,
) -> Connection:
    """Change the schedule or data-to-sync settings; a new interval applies from now."""
    if interval_seconds is not None:
        connection.interval_seconds = interval_seconds
        if connection.auto_sync and connection.state in DUE_STATES:
            last = connection.last_refresh or utcnow()
            connection.next_sync_at = max(utcnow(), last + dt.timedelta(seconds=interval_seconds))
    if auto_sync is not None:
        connection.auto_sync = auto_sync
    if include_pending is not None:
        connection.include_pending = include_pending
    if auto_reconcile is not None:
        connection.auto_reconcile = auto_reconcile
    return connection


def disconnect(connection: Connection) -> Connection:
    """Forget the credentials and stop syncing; the books and the log stay."""
    connection.state = ConnectionState.DISCONNECTED
    connection.credentials = None
    connection.auto_sync = False
    connection.next_sync_at = None
    return connection


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601 for the JSON shapes, None when unknown; a datetime in UTC, whatever time
    zone the database's session gave it in (PostgreSQL answers in its own)."""
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        value = value.astimezone(dt.UTC)
    return None if value is None else value.isoformat()


def connection_dict(connection: Connection) -> dict[str, Any]:
    """The JSON shape of ``booksync connection list``."""
    return {
        "id": connection.id,
        "provider": connection.provider,
        "institution": connection.institution.name if connection.institution else connection.label,
        "state": connection.state,
        "last_refresh": iso(connection.last_refresh),
        "next_refresh": iso(connection.next_sync_at),
        "interval": format_interval(connection.interval_seconds),
        "auto_sync": connection.auto_sync,
        "auto_reconcile": connection.auto_reconcile,
        "consent_expires_at": iso(connection.consent_expires_at),
        "last_error": connection.last_error,
        "accounts": [
            {
                "provider_account_id": a.provider_account_id,
                "name": a.name,
                "journal": a.journal.code if a.journal else None,
                "currency": a.currency_code,
                "balance": None
                if a.balance is None
                else format_minor(a.balance, CURRENCIES[a.currency_code][0]),
                "balance_date": iso(a.balance_date),
                "last_sync": iso(a.last_sync),
            }
            for a in connection.accounts
        ],
    }


__all__ = [
    "add_provider_account",
    "connection_dict",
    "create_connection",
    "disconnect",
    "format_interval",
    "get_connection",
    "iso",
    "list_connections",
    "parse_interval",
    "set_connection",
]
