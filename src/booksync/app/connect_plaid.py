"""Connecting a bank through Plaid, and renewing a Plaid connection (docs/banking.md, "Plaid").

Connecting trades a public token (from Plaid Link, or asked of a sandbox for
one of its institutions) for an Item's access token, lists the Item's
accounts and makes the connection, like :func:`booksync.app.connections.connect`:
links and journals are checked first in one transaction, the network talk
happens outside any transaction, and the connection is written in a second
one.  If that last step fails, the new Item is removed at Plaid again, so no
access is left behind that no connection holds.

Renewing follows Plaid's *update mode*: the user signs in again through
Plaid Link with a link token made for the Item, and the access token stays
the same, so the connection keeps its journals, lines and cursor.
:func:`renew_plaid` checks whether Plaid serves the Item again: if so the
connection is ``connected`` and due at once, otherwise it answers the link
token for update mode.  The web app's one-click Connect calls the same use
cases.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from booksync.app.connections import ConnectionView, view
from booksync.app.context import open_books
from booksync.banking.connections import create_connection, get_connection
from booksync.banking.institutions import upsert_institutions
from booksync.banking.secrets import unseal
from booksync.banking.states import ConnectionState
from booksync.db.base import utcnow
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import get_journal
from booksync.ledger.models import JournalType
from booksync.providers.base import Credentials, Institution, ProviderAccount
from booksync.providers.errors import ProviderError, ReauthRequired
from booksync.providers.plaid import PlaidProvider
from booksync.providers.plaid_http import PlaidKeys

__all__ = ["Renewal", "connect_plaid", "renew_plaid", "seed_plaid_sandbox"]

PROVIDER = "plaid"


@dataclass(frozen=True, slots=True)
class Renewal:
    """A renewal's outcome: the connection, and a link token while the user must act."""

    connection: ConnectionView
    link_token: str | None


def seed_plaid_sandbox(session: Session, accounts: Sequence[ProviderAccount]) -> None:
    """The sandbox bank's institutions in the catalogue under Plaid's ids (``ins_...``),
    with their BIC and country, when ``accounts`` come from one of them."""
    from booksync.sandbox.catalogue import INSTITUTIONS
    from booksync.sandbox.plaid_feed import institution_id

    known = {(institution_id(i), i.name): i for i in INSTITUTIONS}
    if any((a.institution_id, a.institution) in known for a in accounts):
        upsert_institutions(session, [
            Institution(ident, i.name, i.bic, i.country, PROVIDER, True)
            for (ident, _), i in known.items()
        ])


def _check_links(engine: Engine, company: str | None, links: Mapping[str, str]) -> None:
    """Every journal named by ``links`` is a bank journal of the company."""
    with open_books(engine, company) as books:
        for code in links.values():
            if get_journal(books.session, books.company, code).type != JournalType.BANK:
                raise LedgerError(f"journal {code} is not a bank journal")


def connect_plaid(
    engine: Engine,
    company: str | None,
    *,
    keys: PlaidKeys,
    public_token: str | None = None,
    sandbox_institution: str | None = None,
    interval_seconds: int,
    history_days: int,
    include_pending: bool,
    links: Mapping[str, str],
    timeout: float = 30.0,
) -> ConnectionView:
    """Connect every account of the Item a public token stands for.

    ``sandbox_institution`` instead asks a sandbox (Plaid's, or the sandbox
    bank's) for a public token of that institution first.  ``links`` books a
    provider account in an existing bank journal (by code), the others get
    new journals.
    """
    if (public_token is None) == (sandbox_institution is None):
        raise LedgerError("give either a public token or a sandbox institution")
    _check_links(engine, company, links)
    with PlaidProvider(keys, timeout=timeout) as provider:
        token = public_token
        if sandbox_institution is not None:
            token = provider.sandbox_public_token(sandbox_institution.strip())
        assert token is not None
        credentials = provider.exchange(token)
        try:
            accounts = provider.list_accounts(credentials)
            if not accounts:
                raise LedgerError("Plaid shows no accounts for this Item: nothing to link")
            with open_books(engine, company) as books:
                seed_plaid_sandbox(books.session, accounts)
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
        except BaseException:
            _forget(provider, credentials)
            raise


def _forget(provider: PlaidProvider, credentials: Credentials) -> None:
    """Remove an Item no connection will hold; a failure there changes nothing."""
    with contextlib.suppress(ProviderError):
        provider.revoke(credentials)


def renew_plaid(
    engine: Engine, company: str | None, connection_id: int, *, timeout: float = 30.0
) -> Renewal:
    """Put a Plaid connection back on its schedule once Plaid serves its Item again."""
    with open_books(engine, company) as books:
        found = get_connection(books.session, books.company, connection_id)
        if found.provider != PROVIDER:
            raise LedgerError(f"connection {found.id} is not a Plaid connection")
        if found.credentials is None or found.state == ConnectionState.DISCONNECTED:
            raise LedgerError(f"connection {found.id} is disconnected: connect the bank again")
        credentials = Credentials(PROVIDER, unseal(found.credentials))
    with PlaidProvider(timeout=timeout) as provider:
        try:
            provider.list_accounts(credentials)
        except ReauthRequired:
            token = provider.update_link_token(credentials)
            with open_books(engine, company) as books:
                still = view(get_connection(books.session, books.company, connection_id))
            return Renewal(still, token)
    with open_books(engine, company) as books:
        found = get_connection(books.session, books.company, connection_id)
        found.state = ConnectionState.CONNECTED
        found.last_error = None
        found.next_sync_at = utcnow()
        books.session.flush()
        return Renewal(view(found), None)
