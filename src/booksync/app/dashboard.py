"""The figures of the web's Dashboard and Online Synchronization pages: the use cases.

The dashboard shows one card per bank journal: the balance in the books, the
bank's last balance, the lines left to reconcile, the connection's state and
the book balance day by day.  :func:`bank_cards` reads all of it for every
journal at once in a few aggregate queries (none per line or per journal),
and keeps the sums, bringing them forward by what was posted since
(:mod:`booksync.app.card_figures`; docs/web.md, "Dashboard").

A connection's page needs what :class:`~booksync.app.connections.ConnectionView`
leaves out (pending transactions on or off, which journals each account may
be booked in) and a way to book an account in another journal before it
has lines (:func:`link_account`); the API lists connections a page at a
time (:func:`connections_after`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.app.card_figures import CardCache, card_figures
from booksync.app.connections import ConnectionView, view
from booksync.app.context import Books
from booksync.banking.connections import get_connection
from booksync.banking.models import (
    Connection,
    ProviderAccount,
    StatementSource,
    SyncRun,
)
from booksync.banking.states import ConnectionState, RunState
from booksync.db.base import utcnow
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.models import Journal, JournalType
from booksync.money import exponent, to_decimal
from booksync.statements.sources import bank_journal

CHART_DAYS = 90

__all__ = [
    "CHART_DAYS",
    "AccountLink",
    "BankCard",
    "CardCache",
    "ConnectionDetail",
    "DayBalance",
    "bank_cards",
    "connection_detail",
    "connections_after",
    "link_account",
]


@dataclass(frozen=True, slots=True)
class DayBalance:
    """The book balance at the end of ``date``."""

    date: dt.date
    balance: Decimal


@dataclass(frozen=True, slots=True)
class BankCard:
    """One bank journal on the dashboard, amounts in its ``currency``.

    ``bank_balance``/``bank_balance_date``: the latest a linked provider
    account reported (None without one); ``connection``, ``state`` and
    ``last_refresh``: the journal's connection, a live one before a
    disconnected one; ``to_reconcile``: statement lines without an active
    reconciliation, opening lines left out (as automatic reconciliation
    leaves them); ``history``: the book balance at the end of each of the last
    :data:`CHART_DAYS` days, oldest first, today last.
    """

    journal: str
    name: str
    currency: str
    book_balance: Decimal
    bank_balance: Decimal | None
    bank_balance_date: dt.date | None
    to_reconcile: int
    connection: int | None
    state: ConnectionState | None
    last_refresh: dt.datetime | None
    history: tuple[DayBalance, ...]


@dataclass(slots=True)
class _Link:
    balance: int | None = None
    balance_date: dt.date | None = None
    connection: int | None = None
    state: ConnectionState | None = None
    last_refresh: dt.datetime | None = None


def _links(session: Session, company_id: int) -> dict[int, _Link]:
    """Per journal: the latest bank balance of its provider accounts and its
    connection (a live one before a disconnected one, then the newest)."""
    rows = session.execute(
        select(ProviderAccount.journal_id, ProviderAccount.balance, ProviderAccount.balance_date,
               Connection.id, Connection.state, Connection.last_refresh)
        .join(Connection, Connection.id == ProviderAccount.connection_id)
        .where(ProviderAccount.company_id == company_id, ProviderAccount.journal_id.is_not(None))
        .order_by(ProviderAccount.id)
    )
    found: dict[int, _Link] = {}
    for journal, balance, day, connection, state, refreshed in rows:
        assert journal is not None
        link = found.setdefault(journal, _Link())
        if balance is not None and day is not None and (
            link.balance_date is None or day >= link.balance_date
        ):
            link.balance, link.balance_date = int(balance), day
        live = state != ConnectionState.DISCONNECTED
        if link.connection is None or live or link.state == ConnectionState.DISCONNECTED:
            link.connection, link.state, link.last_refresh = (
                connection, ConnectionState(state), refreshed)
    return found


def bank_cards(books: Books, today: dt.date | None = None, days: int = CHART_DAYS,
               cache: CardCache | None = None) -> tuple[BankCard, ...]:
    """A card per bank journal of the company, by code (docs/web.md, "Dashboard");
    with ``cache``, the kept sums and what was posted since."""
    session, company = books.session, books.company
    today = today or utcnow().date()
    first = today - dt.timedelta(days=days - 1)
    journals = session.execute(
        select(Journal.id, Journal.code, Journal.name, Journal.currency_code)
        .where(Journal.company_id == company.id, Journal.type == JournalType.BANK)
        .order_by(Journal.code)
    ).all()
    if not journals:
        return ()
    figures = card_figures(session, company.id, first, cache)
    totals, moves, counts = figures.totals, figures.moves, figures.counts
    links = _links(session, company.id)
    cards = []
    for ident, code, name, own_currency in journals:
        currency = own_currency or company.currency_code
        exp = exponent(currency)
        total = totals.get(ident, 0)
        days_moves = moves.get(ident, {})
        running = total - sum(days_moves.values())  # the balance before the first day
        history = []
        for n in range(days):
            day = first + dt.timedelta(days=n)
            running += days_moves.get(day, 0)
            history.append(DayBalance(day, to_decimal(running, exp)))
        link = links.get(ident, _Link())
        cards.append(BankCard(
            journal=code,
            name=name,
            currency=currency,
            book_balance=to_decimal(total, exp),
            bank_balance=None if link.balance is None else to_decimal(link.balance, exp),
            bank_balance_date=link.balance_date,
            to_reconcile=counts.get(ident, 0),
            connection=link.connection,
            state=link.state,
            last_refresh=link.last_refresh,
            history=tuple(history),
        ))
    return tuple(cards)


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


def connections_after(books: Books, after: int | None, limit: int) -> tuple[ConnectionView, ...]:
    """The company's connections by id after ``after``: ``limit`` + 1 of them, so that
    the caller knows whether a page follows (a keyset, at any depth)."""
    query = select(Connection).where(Connection.company_id == books.company.id)
    if after is not None:
        query = query.where(Connection.id > after)
    rows = books.session.scalars(query.order_by(Connection.id).limit(limit + 1))
    return tuple(view(c) for c in rows)
