"""The dashboard cards' sums, kept per process and brought forward by what was posted since.

A card shows each bank journal's book balance, its movement on each of the
last days and its statement lines left to reconcile.  Summed from scratch
these read every bank line, most of a second for a million lines; so
:class:`CardCache` keeps them and, when the books changed, adds only the
entries posted since (docs/web.md, "Dashboard"):

- every posted entry takes the next number of its journal's gap-free
  sequence, so the sum of the company's sequence counters is how many
  entries it ever posted (docs/ledger.md, "How immutability is enforced");
- a posted entry never changes, and a statement line, a reconciliation and
  its undoing each come with an entry of their own; so the entries posted
  with an id above the highest the kept sums saw carry every change to them:
  their bank lines move the balances, their statement lines add to the
  count to reconcile, the reconciliations they clear take from it and the
  undoings they reverse give back;
- an entry below that id posted since (a draft posted late, or on
  PostgreSQL a transaction that took its id earlier and committed later)
  is the one thing the id range misses, and then the count of posted
  entries does not add up: the sums are read from scratch instead.  The
  counter is read before and after the other reads, so a posting that lands
  in between is noticed too.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select, true
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine
from booksync.ledger.models import Entry, EntryState, Journal, JournalType, Line
from booksync.ledger.models import Sequence as Numbering
from booksync.reconciliation.models import BankReconciliation

__all__ = ["CardCache", "Figures", "card_figures"]


@dataclass(frozen=True, slots=True)
class Figures:
    """What the cards add up from the posted books, by journal id: the book balance,
    each day's movement from the chart's first day on, the lines to reconcile."""

    totals: dict[int, int]
    moves: dict[int, dict[dt.date, int]]
    counts: dict[int, int]


@dataclass(frozen=True, slots=True)
class _Kept:
    """Figures holding exactly ``posted`` posted entries, none of them above entry id ``top``."""

    figures: Figures
    posted: int
    top: int


class CardCache:
    """The cards' figures per (company, chart's first day); thread-safe, one per process."""

    def __init__(self, size: int = 256) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._kept: dict[tuple[int, dt.date], _Kept] = {}

    def get(self, key: tuple[int, dt.date]) -> _Kept | None:
        with self._lock:
            return self._kept.get(key)

    def put(self, key: tuple[int, dt.date], kept: _Kept) -> None:
        with self._lock:
            if key not in self._kept and len(self._kept) >= self._size:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = kept


def _amount() -> ColumnElement[int]:
    """A posted line's effect on its bank journal's balance, in the journal's
    currency: debit less credit, or for a journal in a foreign currency the
    line's amount in that currency (as the bank reconciliation report counts)."""
    return case(
        (Journal.currency_code.is_(None), Line.debit - Line.credit),
        (Line.currency_code == Journal.currency_code, Line.amount_currency),
        else_=0,
    )


Query = Select[*tuple[Any, ...]]
Window = tuple[int, int] | None
"""The entries a sum takes: those with an id in ``(low, high]``, or all (None)."""


def _sums(session: Session, company_id: int, first: dt.date, window: Window) -> Figures:
    """The figures of the window's posted entries: balances and days over the bank
    lines, lines to reconcile over the statement lines and the reconciliations.

    With a window each query walks the few rows of its entry id range.  SQLite's
    planner, which has no statistics, would rather walk the company's rows by the
    company's indexes, every one of them; so there the company is compared in a
    form no index answers (``company_id + 0``), which leaves it the entry ids'
    index.  PostgreSQL's planner weighs the range itself and takes the same path.
    """

    def owned(column: Any, company: Any) -> ColumnElement[bool]:
        same: ColumnElement[bool] = column == company if window is None else (
            column + 0 == company)
        return same

    def within(query: Query, column: Any) -> Query:
        return query if window is None else query.where(column > window[0],
                                                        column <= window[1])

    bank = and_(Journal.company_id == company_id, Journal.type == JournalType.BANK,
                owned(Line.company_id, Journal.company_id),
                Line.account_id == Journal.default_account_id, Line.posted == true())
    by_journal: Query = select(Journal.id, func.coalesce(func.sum(_amount()), 0)).join(
        Line, bank)
    totals = {journal: int(total) for journal, total in session.execute(
        within(by_journal, Line.entry_id).group_by(Journal.id))}
    by_day: Query = select(Journal.id, Line.date, func.coalesce(func.sum(_amount()), 0)
                                 ).join(Line, bank).where(Line.date >= first)
    moves: dict[int, dict[dt.date, int]] = {}
    for journal, day, total in session.execute(
            within(by_day, Line.entry_id).group_by(Journal.id, Line.date)):
        moves.setdefault(journal, {})[day] = int(total)
    lines: Query = select(StatementLine.journal_id, func.count()).where(
        owned(StatementLine.company_id, company_id), StatementLine.is_opening.is_(False))
    counts = {journal: int(count) for journal, count in session.execute(
        within(lines, StatementLine.entry_id).group_by(StatementLine.journal_id))}
    reconciled: Query = (
        select(StatementLine.journal_id, func.count())
        .select_from(BankReconciliation)
        .join(StatementLine, BankReconciliation.statement_line_id == StatementLine.id)
        .where(owned(BankReconciliation.company_id, company_id),
               StatementLine.is_opening.is_(False))
    )
    changes: list[tuple[Query, int]]
    if window is None:  # lines left: those without an active reconciliation
        changes = [(reconciled.where(BankReconciliation.state == "active"), -1)]
    else:  # a clearing entry takes a line off, the entry undoing it gives it back
        changes = [(within(reconciled, BankReconciliation.clearing_entry_id), -1),
                   (within(reconciled, BankReconciliation.reversal_entry_id), 1)]
    for query, sign in changes:
        for journal, count in session.execute(query.group_by(StatementLine.journal_id)):
            counts[journal] = counts.get(journal, 0) + sign * int(count)
    return Figures(totals, moves, counts)


def _posted_count(session: Session, company_id: int) -> int:
    """How many entries the company ever posted, as its sequences count them."""
    return int(session.scalar(
        select(func.coalesce(func.sum(Numbering.last_number), 0))
        .where(Numbering.company_id == company_id)
    ) or 0)


def _top(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Entry.id), 0))) or 0)


def _added(kept: Figures, more: Figures) -> Figures:
    totals = dict(kept.totals)
    for journal, total in more.totals.items():
        totals[journal] = totals.get(journal, 0) + total
    moves = {journal: dict(days) for journal, days in kept.moves.items()}
    for journal, days in more.moves.items():
        into = moves.setdefault(journal, {})
        for day, total in days.items():
            into[day] = into.get(day, 0) + total
    counts = dict(kept.counts)
    for journal, count in more.counts.items():
        counts[journal] = counts.get(journal, 0) + count
    return Figures(totals, moves, counts)


def _forward(session: Session, company_id: int, first: dt.date, kept: _Kept) -> _Kept | None:
    """``kept`` with the entries posted since added, or None when they do not add up."""
    before = _posted_count(session, company_id)
    if before == kept.posted:
        return kept
    top = _top(session)
    low = kept.top
    new = int(session.scalar(
        select(func.count()).select_from(Entry)
        .where(Entry.id > low, Entry.id <= top, Entry.company_id == company_id,
               Entry.state == EntryState.POSTED.value)
    ) or 0)
    more = _sums(session, company_id, first, (low, top))
    if not kept.posted + new == before == _posted_count(session, company_id):
        return None
    return _Kept(_added(kept.figures, more), before, top)


def _scratch(session: Session, company_id: int, first: dt.date) -> tuple[_Kept, bool]:
    """The figures from every posted line; whether they may be kept (nothing was
    posted while they were read)."""
    before = _posted_count(session, company_id)
    top = _top(session)
    figures = _sums(session, company_id, first, None)
    return _Kept(figures, before, top), before == _posted_count(session, company_id)


def card_figures(session: Session, company_id: int, first: dt.date,
                 cache: CardCache | None = None) -> Figures:
    """The company's bank journals' figures, the chart starting on ``first``; with
    ``cache``, from the kept figures and what was posted since they were read."""
    key = (company_id, first)
    kept = cache.get(key) if cache is not None else None
    if kept is not None:
        moved = _forward(session, company_id, first, kept)
        if moved is not None:
            if moved is not kept and cache is not None:
                cache.put(key, moved)
            return moved.figures
    fresh, steady = _scratch(session, company_id, first)
    if steady and cache is not None:
        cache.put(key, fresh)
    return fresh.figures
