"""Online bank connections: connect, list, change, disconnect; typed results.

Connecting claims a one-time token at the provider, so everything that can
be checked beforehand (links, journals) is checked first in one
transaction, the network talk happens outside any transaction, and the
connection is written in a second one: :func:`connect` takes the engine
and the company's name, not an open :class:`~booksync.app.context.Books`.
Credentials are sealed by the banking layer and never part of a result:
a :class:`ConnectionView` holds only the connection's public state (the
JSON shape of ``booksync connection list``, docs/banking.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booksync.app.context import Books, open_books
from booksync.banking.connections import (
    create_connection,
    disconnect,
    format_interval,
    get_connection,
    set_connection,
)
from booksync.banking.models import Connection, Institution, ProviderAccount
from booksync.banking.secrets import unseal
from booksync.banking.states import ConnectionState
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import get_journal
from booksync.ledger.models import Journal, JournalType
from booksync.money import CURRENCIES, to_decimal
from booksync.providers import registry
from booksync.providers.base import Credentials, Provider
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.providers.errors import ProviderError

__all__ = [
    "ConnectionView",
    "Disconnected",
    "LinkedAccountView",
    "change_connection",
    "connect",
    "connections",
    "disconnect_connection",
]

_STATES = {state.value: state for state in ConnectionState}

Catalogue = Callable[[Session, str, Sequence[RemoteAccount]], None]
"""What :func:`connect` calls before writing: (session, provider, accounts claimed)."""


@dataclass(frozen=True, slots=True)
class LinkedAccountView:
    """An account at the bank and the journal it is booked in; ``balance`` (the
    bank's) in ``currency`` as of ``balance_date``."""

    provider_account_id: str
    name: str
    journal: str | None
    currency: str
    balance: Decimal | None
    balance_date: dt.date | None
    last_sync: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """A connection's public state; ``interval`` as typed (``12h``)."""

    id: int
    provider: str
    institution: str | None
    state: ConnectionState
    last_refresh: dt.datetime | None
    next_refresh: dt.datetime | None
    interval: str
    auto_sync: bool
    auto_reconcile: bool
    consent_expires_at: dt.datetime | None
    last_error: str | None
    accounts: tuple[LinkedAccountView, ...]


@dataclass(frozen=True, slots=True)
class Disconnected:
    """A disconnected connection; ``warning`` when the provider could not be told."""

    connection: ConnectionView
    warning: str | None


def view(connection: Connection) -> ConnectionView:
    """The public state of ``connection``."""
    return ConnectionView(
        id=connection.id,
        provider=connection.provider,
        institution=connection.institution.name if connection.institution else connection.label,
        state=ConnectionState(connection.state),
        last_refresh=connection.last_refresh,
        next_refresh=connection.next_sync_at,
        interval=format_interval(connection.interval_seconds),
        auto_sync=connection.auto_sync,
        auto_reconcile=connection.auto_reconcile,
        consent_expires_at=connection.consent_expires_at,
        last_error=connection.last_error,
        accounts=tuple(
            _linked(a.provider_account_id, a.name, a.journal.code if a.journal else None,
                    a.currency_code, a.balance, a.balance_date, a.last_sync)
            for a in connection.accounts
        ),
    )


def _linked(
    provider_account_id: str,
    name: str,
    journal: str | None,
    currency: str,
    balance: int | None,
    balance_date: dt.date | None,
    last_sync: dt.datetime | None,
) -> LinkedAccountView:
    """An account's public state; ``balance`` in minor units as stored."""
    return LinkedAccountView(
        provider_account_id=provider_account_id,
        name=name,
        journal=journal,
        currency=currency,
        balance=None if balance is None else to_decimal(balance, CURRENCIES[currency][0]),
        balance_date=balance_date,
        last_sync=last_sync,
    )


def connections(books: Books, *, after: int | None = None,
                limit: int | None = None) -> tuple[ConnectionView, ...]:
    """The company's connections by id with their accounts: what :func:`view` gives
    for each, read with two column selects for all of them at once (the connections
    with their institution, then every account with its journal) instead of loading
    each connection, its institution, accounts and journals as ORM objects, which
    was most of the Online Synchronization page's time (docs/web.md, "Online
    Synchronization").  Rows, not objects, so through the session's connection,
    after writing what the session holds.  ``after`` and ``limit``: the API's keyset
    page, the connections with an id above ``after``, ``limit`` of them."""
    books.session.flush()
    db, company = books.session.connection(), books.company.id
    chosen = [Connection.company_id == company]
    if after is not None:
        chosen.append(Connection.id > after)
    query = (
        select(
            Connection.id, Connection.provider, Institution.name, Connection.label,
            Connection.state, Connection.last_refresh, Connection.next_sync_at,
            Connection.interval_seconds, Connection.auto_sync, Connection.auto_reconcile,
            Connection.consent_expires_at, Connection.last_error,
        )
        .outerjoin(Institution, Institution.id == Connection.institution_id)
        .where(*chosen)
        .order_by(Connection.id)
    )
    found = db.execute(query if limit is None else query.limit(limit)).all()
    if found and limit is not None:
        chosen.append(Connection.id <= found[-1][0])
    accounts: dict[int, list[LinkedAccountView]] = {}
    for row in db.execute(
        select(
            ProviderAccount.connection_id, ProviderAccount.provider_account_id,
            ProviderAccount.name, Journal.code, ProviderAccount.currency_code,
            ProviderAccount.balance, ProviderAccount.balance_date, ProviderAccount.last_sync,
        )
        .join(Connection, Connection.id == ProviderAccount.connection_id)
        .outerjoin(Journal, Journal.id == ProviderAccount.journal_id)
        .where(*chosen)
        .order_by(ProviderAccount.connection_id, ProviderAccount.id)
    ):
        accounts.setdefault(row[0], []).append(_linked(*row[1:]))
    return tuple(
        ConnectionView(
            id=ident,
            provider=provider,
            institution=label if institution is None else institution,
            state=_STATES[state],
            last_refresh=last_refresh,
            next_refresh=next_sync_at,
            interval=format_interval(interval),
            auto_sync=auto_sync,
            auto_reconcile=auto_reconcile,
            consent_expires_at=consent,
            last_error=error,
            accounts=tuple(accounts.get(ident, ())),
        )
        for (ident, provider, institution, label, state, last_refresh, next_sync_at,
             interval, auto_sync, auto_reconcile, consent, error) in found
    )


def connect(
    engine: Engine,
    company: str | None,
    *,
    provider: str,
    token: str,
    interval_seconds: int,
    history_days: int,
    include_pending: bool,
    links: Mapping[str, str],
    catalogue: Catalogue | None = None,
) -> ConnectionView:
    """Claim a one-time setup ``token`` at ``provider`` and connect every account it
    gives access to; ``links`` books a provider account in an existing bank journal
    (by code), the others get new journals.

    ``catalogue`` is called before the connection is written, with the provider
    and the accounts claimed: the CLI adds the sandbox's banks there (what joins
    the sandbox and the banking tables lives in ``cli``, docs/architecture.md).
    """
    token = token.strip()
    if not token:
        raise LedgerError("the setup token is empty")
    with open_books(engine, company) as books:
        for code in links.values():
            journal = get_journal(books.session, books.company, code)
            if journal.type != JournalType.BANK:
                raise LedgerError(f"journal {journal.code} is not a bank journal")
    credentials, accounts = _claim(provider, token, history_days)
    if not accounts:
        raise LedgerError("the SimpleFIN server shows no accounts for this token: nothing to link")
    try:
        with open_books(engine, company) as books:
            if catalogue is not None:
                catalogue(books.session, credentials.provider, accounts)
            connection = create_connection(
                books.session,
                books.company,
                credentials,
                accounts,
                interval_seconds=interval_seconds,
                history_days=history_days,
                include_pending=include_pending,
                links=dict(links),
            )
            return view(connection)
    except LedgerError as exc:
        raise LedgerError(
            f"{exc} (the setup token is used up now: create a new one to try again)"
        ) from None


def change_connection(
    books: Books,
    connection: int,
    *,
    interval_seconds: int | None = None,
    auto_sync: bool | None = None,
    include_pending: bool | None = None,
    auto_reconcile: bool | None = None,
) -> ConnectionView:
    """Change a connection's schedule or what it fetches; None keeps a setting."""
    found = get_connection(books.session, books.company, connection)
    if found.state == ConnectionState.DISCONNECTED:
        raise LedgerError(f"connection {found.id} is disconnected: connect the bank again")
    set_connection(
        found,
        interval_seconds=interval_seconds,
        auto_sync=auto_sync,
        include_pending=include_pending,
        auto_reconcile=auto_reconcile,
    )
    books.session.flush()
    return view(found)


def disconnect_connection(books: Books, connection: int) -> Disconnected:
    """Forget a connection's credentials (telling the provider when it can be told)
    and stop syncing it; its books and run log stay."""
    found = get_connection(books.session, books.company, connection)
    warning = None
    if found.credentials is not None:
        warning = _revoke(found.provider, found.credentials)
    disconnect(found)
    books.session.flush()
    return Disconnected(view(found), warning)


def _claim(
    provider_name: str, token: str, history_days: int
) -> tuple[Credentials, list[RemoteAccount]]:
    """Claim the one-time token and list what it gives access to (network only)."""
    provider: Provider = registry.provider_for(provider_name)
    try:
        link = provider.start_link(None, None, history_days, 90)
        credentials = provider.complete_link(link, token)
        return credentials, provider.list_accounts(credentials)
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()


def _revoke(provider_name: str, sealed: bytes) -> str | None:
    """Tell the provider when it has a revoke call; a failure is only a warning."""
    try:
        provider = registry.provider_for(provider_name)
        try:
            provider.revoke(Credentials(provider_name, unseal(sealed)))
        finally:
            close = getattr(provider, "close", None)
            if callable(close):
                close()
    except (ProviderError, LedgerError) as exc:
        return f"the provider was not told: {exc}"
    return None
