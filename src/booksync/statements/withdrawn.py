"""Transactions a cursor-based provider withdrew: booked ones reversed, pending ones dropped.

A cursor-based provider (Plaid) sends changes, not snapshots: besides what
is new it names the transactions it *removed*.  A removed pending
transaction was never booked, so it simply leaves the staged pending list,
as does the pending one a booked transaction names as its origin.  A removed
transaction that was booked already has a posted entry, and posted books are
never deleted: it gets a **counter-line**, a statement line of the opposite
amount with its own posted entry, written through the same path as every new
line (:class:`~booksync.statements.writing.StatementWriter`), so the
journal still adds up to what the bank reports (docs/banking.md, "A
synchronization run").

The counter-line's label says the bank withdrew the transaction and which
line it reverses; its one id, ``~withdrawn:`` and the reversed line's id, is
an alias of the source like any other, so a second removal of the same
transaction (or of another id of the same line) finds it and does nothing.
Provider ids never start with ``~`` (the stand-ins of blank ids do, followed
by a date), so the marker cannot meet a bank's id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from booksync.banking.bank_values import stored_id
from booksync.banking.models import PendingTransaction, StatementLine
from booksync.ledger.limits import fit_text
from booksync.providers.base import Batch
from booksync.statements.booking import NewLine
from booksync.statements.known import KnownLines, chunks
from booksync.statements.writing import StatementWriter

__all__ = ["MARK", "Reversals", "drop_settled_pending", "reverse_withdrawn"]

MARK = "~withdrawn:"
_SHOWN = 3  # ids named in a run's message; the rest are counted


@dataclass(slots=True)
class Reversals:
    """What :func:`reverse_withdrawn` booked: a count, and a sentence for the run."""

    count: int = 0
    notes: list[str] = field(default_factory=list)


def _marker(line_tx_id: str) -> str:
    return stored_id(MARK + line_tx_id)


def reverse_withdrawn(
    session: Session,
    known: KnownLines,
    lines: StatementWriter,
    removed: Sequence[str],
    *,
    run_id: int | None,
    day: dt.date,
    account_name: str,
) -> Reversals:
    """A counter-line for each booked line whose transaction the bank withdrew.

    ``removed`` are the provider's ids; a line is found through any of its
    aliases.  ``day`` is the earliest date a counter-line takes (the bank's
    as-of date): it is dated the later of that day and its line's, so the
    journal's balance at the bank's as-of date leaves the withdrawn amount out;
    and never on or before the company's lock date, whose period is closed: a
    correction of it belongs to the first open day, as an accountant books it.
    """
    lock = lines.booking.company.lock_date
    if lock is not None:
        day = max(day, lock + dt.timedelta(days=1))
    done = Reversals()
    found = known.known([stored_id(r) for r in dict.fromkeys(removed) if r.strip()])
    if not found:
        return done
    rows: list[Any] = []
    for chunk in chunks(sorted(set(found.values()))):
        rows += session.execute(
            select(
                StatementLine.id,
                StatementLine.date,
                StatementLine.amount,
                StatementLine.label,
                StatementLine.partner_name,
                StatementLine.provider_transaction_id,
            ).where(StatementLine.id.in_(chunk), StatementLine.is_opening.is_(False))
        ).all()
    rows = [r for r in rows if r.provider_transaction_id]
    reversed_already = known.known([_marker(r.provider_transaction_id) for r in rows])
    new: list[NewLine] = []
    for row in rows:
        marker = _marker(row.provider_transaction_id)
        if marker in reversed_already or row.amount == 0:
            continue
        label = fit_text(
            f"Withdrawn by the bank, reverses line {row.id}: {row.label}", 500
        )
        raw = f'{{"withdrawn":"{row.provider_transaction_id}","reverses_line":{row.id}}}'
        new.append(
            NewLine(max(row.date, day), -row.amount, label, partner_name=row.partner_name,
                    ids=(marker,), raw=raw)
        )
    if not new:
        return done
    lines.write(new, run_id)
    done.count = len(new)
    ids = [line.ids[0].removeprefix(MARK) for line in new]
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    named = ", ".join(ids[:_SHOWN]) + more
    done.notes.append(
        f"{account_name}: the bank withdrew {len(new)} booked transaction"
        f"{'s' if len(new) != 1 else ''} ({named}); each is reversed by a counter-line"
    )
    return done


def drop_settled_pending(session: Session, account_id: int, batch: Batch) -> None:
    """Drop the staged pending transactions a batch of changes settles.

    Those the provider removed, those a booked transaction names as its
    pending origin, and those it sends again (a changed pending transaction,
    which the caller stages anew).
    """
    ids = {stored_id(r) for r in batch.removed if r.strip()}
    ids |= {stored_id(t.pending_link_id) for t in batch.booked if t.pending_link_id}
    ids |= {stored_id(t.provider_transaction_id) for t in batch.pending
            if t.provider_transaction_id}
    for chunk in chunks(sorted(ids)):
        session.execute(
            delete(PendingTransaction).where(
                PendingTransaction.provider_account_id == account_id,
                PendingTransaction.transaction_id.in_(chunk),
            )
        )
