"""Settling open items against each other, and undoing it exactly.

:func:`reconcile` pairs the debit and credit items it is given, oldest due
first, each pair settling as much as both still owe, and records each
settlement as a :class:`PartialReconcile` tagged with its ``origin``.  What
is left stays open (a partial payment).  When a group of items linked by
settlements owes nothing any more, a :class:`FullReconcile` closes it.

Currencies (docs/ledger.md, "Open items and reconciliation"): two items in
the same currency settle in that currency, and the company-currency amount
follows each item's own rate; an item then owing nothing in its currency but
something in company currency carries an exchange difference, booked to the
exchange gain or loss account in a general journal and settled at once.
Items in different currencies settle in company currency.

:func:`unreconcile` removes the settlements of one origin, puts every
residual back as it was and reopens the groups they closed; an exchange
difference booked for such a group is reversed (posted entries are never
deleted) and the difference and its reversal are settled against each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from booksync.ledger.accounts import role_account
from booksync.ledger.entries import PreparedEntry, PreparedLine, check_postable, get_entry
from booksync.ledger.errors import LedgerError
from booksync.ledger.models import AccountRole, Company, Journal, JournalType, Line
from booksync.ledger.open_item_models import FullReconcile, OpenItem, PartialReconcile
from booksync.ledger.open_items import open_items_of
from booksync.ledger.writer import EntryWriter

__all__ = ["Settlement", "reconcile", "scaled", "unreconcile"]


@dataclass(slots=True)
class Settlement:
    """What one :func:`reconcile` call did."""

    partials: list[PartialReconcile] = field(default_factory=list)
    closed: list[FullReconcile] = field(default_factory=list)
    exchange_entries: list[int] = field(default_factory=list)


def scaled(value: int, numerator: int, denominator: int) -> int:
    """``value * numerator / denominator`` rounded half away from zero, in integers."""
    quotient, rest = divmod(abs(value) * abs(numerator), abs(denominator))
    if 2 * rest >= abs(denominator):
        quotient += 1
    negative = (value < 0) ^ (numerator < 0) ^ (denominator < 0)
    return -quotient if negative else quotient


def _owed(item: OpenItem) -> int:
    """Positive while a debit item owes, negative while a credit item does.

    In its own currency; an adjustment line with no currency amount (an
    exchange difference) owes in company currency only.  A line settled in
    its currency owes nothing more, whatever is left in company currency:
    that is the exchange difference booked afterwards, not more to settle.
    """
    return item.residual if item.amount_currency == 0 else item.residual_currency


def _part(whole: int, part: int, of: int) -> int:
    """``whole`` times ``part / of``: all of it when the part is all (no rounding then)."""
    return whole if part == of else scaled(whole, part, of)


def _pair(debit: OpenItem, credit: OpenItem) -> tuple[int, int, int] | None:
    """(company amount, debit currency amount, credit currency amount) the pair settles."""
    if _owed(debit) <= 0 or _owed(credit) >= 0:
        return None
    if (
        debit.currency_code == credit.currency_code
        and debit.residual_currency
        and credit.residual_currency
    ):
        both = min(debit.residual_currency, -credit.residual_currency)
        owed_d = _part(debit.residual, both, debit.residual_currency)
        owed_c = _part(-credit.residual, both, -credit.residual_currency)
        return max(0, min(owed_d, owed_c)), both, both
    amount = min(debit.residual, -credit.residual)
    if amount <= 0:
        return None
    cur_d = _part(debit.residual_currency, amount, debit.residual)
    cur_c = _part(-credit.residual_currency, amount, -credit.residual)
    return amount, cur_d, cur_c


def _order(item: OpenItem) -> tuple[dt.date, int]:
    return (item.due_date, item.line_id)


def reconcile(
    session: Session, company: Company, line_ids: Sequence[int], *, origin: str
) -> Settlement:
    """Settle the open items of ``line_ids`` against each other (one account).

    Refused, with nothing written, when a line is not an open item, the
    lines are on several accounts, or an item is already closed.
    """
    items = open_items_of(session, company, list(dict.fromkeys(line_ids)))
    if len({item.account_id for item in items}) > 1:
        raise LedgerError("lines on different accounts cannot be reconciled together")
    closed = [item for item in items if item.full_reconcile_id is not None]
    if closed:
        raise LedgerError(f"line {closed[0].line_id} is already fully reconciled")
    debits = sorted((i for i in items if _owed(i) > 0), key=_order)
    credits = sorted((i for i in items if _owed(i) < 0), key=_order)
    done = Settlement()
    d = c = 0
    while d < len(debits) and c < len(credits):
        debit, credit = debits[d], credits[c]
        settled = _pair(debit, credit)
        if settled is not None:
            amount, cur_d, cur_c = settled
            partial = PartialReconcile(
                company_id=company.id,
                debit_line_id=debit.line_id,
                credit_line_id=credit.line_id,
                amount=amount,
                debit_amount_currency=cur_d,
                credit_amount_currency=cur_c,
                origin=origin,
            )
            session.add(partial)
            done.partials.append(partial)
            debit.residual -= amount
            debit.residual_currency -= cur_d
            credit.residual += amount
            credit.residual_currency += cur_c
        if settled is None or _owed(debit) <= 0:
            d += 1
        if settled is None or _owed(credit) >= 0:
            c += 1
    session.flush()
    _book_exchange_differences(session, company, items, origin, done)
    _close_groups(session, company, items, done)
    return done


def _book_exchange_differences(
    session: Session, company: Company, items: Iterable[OpenItem], origin: str, done: Settlement
) -> None:
    """Items settled in their currency but not in company currency: one entry books
    what each still owes in company currency to exchange gain or loss, and
    settles it."""
    uneven = [i for i in items if i.residual_currency == 0 and i.residual != 0]
    if not uneven or not done.partials:
        return
    journal = _general_journal(session, company)
    lines = []
    for item in uneven:
        left = item.residual  # > 0: a debit still owed in company currency: a loss
        lines.append(PreparedLine(
            item.account_id, max(-left, 0), max(left, 0), item.partner_id,
            "Exchange difference", item.currency_code, 0,
        ))
    net = sum(item.residual for item in uneven)
    if net:
        role = AccountRole.EXCHANGE_LOSS if net > 0 else AccountRole.EXCHANGE_GAIN
        account = role_account(session, company, role).id
        lines.append(PreparedLine(account, max(net, 0), max(-net, 0), None, "Exchange difference"))
    date = max(i.date for i in items)
    entry = PreparedEntry(journal.id, date, f"Exchange difference ({origin})", lines)
    check_postable(company, entry)
    writer = EntryWriter(session, company)
    (entry_id,) = writer.write([entry], post=True)
    writer.finish()  # the writer made the entry's lines open items
    done.exchange_entries.append(entry_id)
    waiting: dict[tuple[int, int | None, int], list[OpenItem]] = {}
    for item in uneven:
        waiting.setdefault((item.account_id, item.partner_id, -item.residual), []).append(item)
    for line in session.scalars(
        select(Line).where(Line.entry_id == entry_id).order_by(Line.id)
    ).all():
        same = waiting.get((line.account_id, line.partner_id, line.debit - line.credit))
        if not same:
            continue
        item = same.pop(0)
        (difference,) = open_items_of(session, company, [line.id])
        debit, credit = (item, difference) if item.residual > 0 else (difference, item)
        partial = PartialReconcile(
            company_id=company.id, debit_line_id=debit.line_id, credit_line_id=credit.line_id,
            amount=abs(item.residual), debit_amount_currency=0, credit_amount_currency=0,
            origin=origin,
        )
        session.add(partial)
        done.partials.append(partial)
        item.residual = 0
        difference.residual = difference.residual_currency = 0
    session.flush()


def _general_journal(session: Session, company: Company) -> Journal:
    journal = session.scalar(
        select(Journal)
        .where(Journal.company_id == company.id, Journal.type == JournalType.GENERAL.value)
        .order_by(Journal.id)
        .limit(1)
    )
    if journal is None:
        raise LedgerError("an exchange difference needs a general journal, and there is none")
    return journal


def _group(session: Session, company: Company, start: Iterable[int]) -> set[int]:
    """Every line linked to ``start`` through settlements, transitively."""
    seen, frontier = set(start), set(start)
    while frontier:
        rows = session.execute(
            select(PartialReconcile.debit_line_id, PartialReconcile.credit_line_id).where(
                PartialReconcile.company_id == company.id,
                or_(
                    PartialReconcile.debit_line_id.in_(frontier),
                    PartialReconcile.credit_line_id.in_(frontier),
                ),
            )
        ).all()
        linked = {line for row in rows for line in row}
        frontier = linked - seen
        seen |= linked
    return seen


def _close_groups(
    session: Session, company: Company, items: Sequence[OpenItem], done: Settlement
) -> None:
    """Close every group of the settled items that owes nothing in any currency."""
    touched = {p.debit_line_id for p in done.partials} | {p.credit_line_id for p in done.partials}
    handled: set[int] = set()
    for line_id in sorted(touched):
        if line_id in handled:
            continue
        group = _group(session, company, [line_id])
        handled |= group
        members = open_items_of(session, company, sorted(group))
        if any(m.residual or m.residual_currency for m in members):
            continue
        full = FullReconcile(
            company_id=company.id,
            exchange_entry_id=done.exchange_entries[0] if done.exchange_entries else None,
        )
        session.add(full)
        session.flush()
        for member in members:
            member.full_reconcile_id = full.id
        session.execute(
            update(PartialReconcile)
            .where(
                PartialReconcile.company_id == company.id,
                PartialReconcile.debit_line_id.in_(group),
            )
            .values(full_reconcile_id=full.id)
        )
        done.closed.append(full)
    session.flush()


def unreconcile(session: Session, company: Company, origin: str) -> int:
    """Remove the settlements made by ``origin``; returns how many there were.

    Every residual they took is given back, and every group they were part
    of is reopened (its other settlements stay).
    """
    partials = list(
        session.scalars(
            select(PartialReconcile).where(
                PartialReconcile.company_id == company.id, PartialReconcile.origin == origin
            )
        )
    )
    if not partials:
        return 0
    fulls = {p.full_reconcile_id for p in partials if p.full_reconcile_id is not None}
    lines = {p.debit_line_id for p in partials} | {p.credit_line_id for p in partials}
    items = {i.line_id: i for i in open_items_of(session, company, sorted(lines))}
    for partial in partials:
        debit, credit = items[partial.debit_line_id], items[partial.credit_line_id]
        debit.residual += partial.amount
        debit.residual_currency += partial.debit_amount_currency
        credit.residual -= partial.amount
        credit.residual_currency -= partial.credit_amount_currency
    session.execute(
        delete(PartialReconcile).where(PartialReconcile.id.in_([p.id for p in partials]))
    )
    exchange_entries = []
    for full_id in fulls:
        full = session.get(FullReconcile, full_id)
        assert full is not None
        session.execute(
            update(OpenItem).where(OpenItem.full_reconcile_id == full_id).values(
                full_reconcile_id=None
            )
        )
        session.execute(
            update(PartialReconcile)
            .where(PartialReconcile.full_reconcile_id == full_id)
            .values(full_reconcile_id=None)
        )
        if full.exchange_entry_id is not None:
            exchange_entries.append(full.exchange_entry_id)
        session.delete(full)
    session.flush()
    session.expire_all()
    for entry_id in exchange_entries:
        _reverse_exchange_difference(session, company, entry_id, origin)
    return len(partials)


def _reverse_exchange_difference(
    session: Session, company: Company, entry_id: int, origin: str
) -> None:
    """Reverse an exchange difference and settle it with its reversal."""
    from booksync.ledger.entries import reverse_entry

    entry = get_entry(session, company, entry_id)
    if entry.reversed_by is not None:
        return
    reversal = reverse_entry(session, company, entry)
    pair = [
        line.id
        for e in (entry, reversal)
        for line in e.lines
        if session.scalar(select(OpenItem.id).where(OpenItem.line_id == line.id)) is not None
    ]
    reconcile(session, company, pair, origin=f"undo {origin}")
