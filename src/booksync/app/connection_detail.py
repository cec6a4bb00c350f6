"""A connection's page: its settings beside its public state, and booking an account
in another journal before it has lines.

:class:`~booksync.app.connections.ConnectionView` is what every list shows; a
connection's own page also needs whether pending transactions are fetched, how
far back the first sync goes, which journals each account may be booked in, and
whether a run holds the connection now (docs/web.md, "Online Synchronization").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.app.connections import ConnectionView, view
from booksync.app.context import Books
from booksync.banking.connections import get_connection
from booksync.banking.models import Connection, ProviderAccount, StatementSource, SyncRun
from booksync.banking.states import ConnectionState, RunState
from booksync.db.base import utcnow
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.models import Journal, JournalType
from booksync.statements.sources import bank_journal

__all__ = ["AccountLink", "ConnectionDetail", "connection_detail", "link_account"]


@dataclass(frozen=True, slots=True)
class AccountLink:
    """A provider account and its journal; ``choices``: the bank journals in its
    currency it may be booked in instead, empty once it has a statement source
    (its lines stay in their journal, docs/banking.md, "Statement sources")."""

    provider_account_id: str
    name: str
    currency: str
    journal: str | None
    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConnectionDetail:
    """A connection's page: its public state, the settings the view leaves out, its
    accounts' journals, and ``running`` when a run holds it now (in any process)."""

    connection: ConnectionView
    include_pending: bool
    history_days: int
    links: tuple[AccountLink, ...]
    running: bool


def _taken(session: Session, company_id: int) -> dict[int, tuple[int, str]]:
    """The bank journals a provider account of a live connection is booked in:
    ``{journal id: (provider account id, its name)}``."""
    rows = session.execute(
        select(ProviderAccount.journal_id, ProviderAccount.id, ProviderAccount.name)
        .join(Connection, Connection.id == ProviderAccount.connection_id)
        .where(ProviderAccount.company_id == company_id, ProviderAccount.journal_id.is_not(None),
               Connection.state != ConnectionState.DISCONNECTED)
    )
    return {journal: (ident, name) for journal, ident, name in rows if journal is not None}


def connection_detail(books: Books, connection: int) -> ConnectionDetail:
    """One connection of the company, for its page; an account's choices leave out
    the journals another account is booked in."""
    session, company = books.session, books.company
    found = get_connection(session, company, connection)
    taken = _taken(session, company.id)
    sourced = set(session.scalars(
        select(StatementSource.provider_account_id).where(
            StatementSource.provider_account_id.in_([a.id for a in found.accounts]))
    )) if found.accounts else set()
    journals = session.execute(
        select(Journal.id, Journal.code, Journal.currency_code)
        .where(Journal.company_id == company.id, Journal.type == JournalType.BANK)
        .order_by(Journal.code)
    ).all()
    links = tuple(
        AccountLink(
            a.provider_account_id, a.name, a.currency_code,
            a.journal.code if a.journal else None,
            () if a.id in sourced else tuple(
                code for ident, code, currency in journals
                if (currency or company.currency_code) == a.currency_code
                and taken.get(ident, (a.id,))[0] == a.id
            ),
        )
        for a in found.accounts
    )
    now = utcnow()
    running = session.scalar(
        select(SyncRun.id).where(SyncRun.connection_id == found.id,
                                 SyncRun.state == RunState.RUNNING).limit(1)
    ) is not None and found.claimed_until is not None and found.claimed_until >= now
    return ConnectionDetail(view(found), found.include_pending, found.history_days, links,
                            running)


def link_account(books: Books, connection: int, account: str, journal: str) -> ConnectionView:
    """Book provider account ``account`` of ``connection`` in bank journal ``journal``
    (its currency), before the account has any statement source: once lines are
    booked they stay in their journal.  A journal takes one provider account."""
    session, company = books.session, books.company
    found = get_connection(session, company, connection)
    if found.state == ConnectionState.DISCONNECTED:
        raise LedgerError(f"connection {found.id} is disconnected: connect the bank again")
    chosen = next((a for a in found.accounts if a.provider_account_id == account), None)
    if chosen is None:
        raise NotFound(f"connection {found.id} has no account {account[:80]!r}")
    target = bank_journal(session, company, journal)
    if target.id == chosen.journal_id:
        return view(found)
    if (target.currency_code or company.currency_code) != chosen.currency_code:
        raise LedgerError(f"journal {target.code} is not in {chosen.currency_code}")
    if session.scalar(select(StatementSource.id).where(
            StatementSource.provider_account_id == chosen.id)) is not None:
        raise LedgerError(
            f"account {chosen.name!r} is booked in "
            f"{chosen.journal.code if chosen.journal else 'its journal'} already: its lines "
            "stay there", code="conflict")
    holder = _taken(session, company.id).get(target.id)
    if holder is not None and holder[0] != chosen.id:
        raise LedgerError(
            f"journal {target.code} already takes the lines of account {holder[1]!r}",
            code="conflict")
    chosen.journal_id = target.id
    chosen.journal = target
    session.flush()
    return view(found)
