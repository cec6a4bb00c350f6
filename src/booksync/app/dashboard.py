"""The figures of the web's Dashboard: the use case.

The dashboard shows one card per bank journal: the balance in the books, the
bank's last balance, the lines left to reconcile, the connection's state and
the book balance day by day.  :func:`bank_cards` reads all of it for every
journal at once in a few aggregate queries (none per line or per journal),
and keeps the sums, bringing them forward by what was posted since
(:mod:`booksync.app.card_figures`; docs/web.md, "Dashboard").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.app.card_figures import CardCache, card_figures
from booksync.app.context import Books
from booksync.banking.models import (
    Connection,
    ProviderAccount,
)
from booksync.banking.states import ConnectionState
from booksync.db.base import utcnow
from booksync.ledger.models import Journal, JournalType
from booksync.money import exponent, to_decimal

CHART_DAYS = 90

__all__ = ["CHART_DAYS", "BankCard", "CardCache", "DayBalance", "bank_cards"]


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
