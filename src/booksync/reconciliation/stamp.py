"""Whether a sync's pass over a bank journal may match only the lines booked since the last.

Matching a line reads the line, the company's open items with their
invoice or payment, its accounts, partners and rules, and whether the line
is reconciled (docs/reconciliation.md, "Automatic reconciliation").  A pass
over every unreconciled line of a journal that applied nothing shows that
against those inputs no old line has a match to apply; while none of them
has changed, matching the old lines again would apply nothing either.

:func:`inputs` sums the inputs up in one aggregate query per table, and
every change to them moves at least one figure:

- a row added moves its table's count and highest id; a row removed, the count
  (settlements are removed only by undoing a bank reconciliation, which also
  marks the record undone and posts a reversal whose settlements are added);
- a row changed through the ORM (a partner's name or IBAN, a rule disabled, a
  record undone, an invoice or payment changing state) raises its ``version``
  (docs/ledger.md; ``booksync.db.base``), so the sum of the versions only grows;
- an open item's residual moves only with a settlement added or removed, and
  its closing with a full reconciliation; the sums of the residuals' absolute
  values and the count of open ones are read as well.

A journal's own lines: their count and versions up to the highest id the
last pass saw, so a line committed late with a lower id, or one given a
partner by hand, makes the pass a full one again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine
from booksync.documents.models import Invoice, Payment
from booksync.ledger.models import Account, Company, Journal, Partner
from booksync.ledger.open_item_models import FullReconcile, OpenItem, PartialReconcile
from booksync.reconciliation.models import BankReconciliation, ReconcileStamp
from booksync.reconciliation.rule_models import ReconcileRule

__all__ = ["forget", "inputs", "lines", "new_after", "remember"]

_VERSIONED: tuple[Any, ...] = (
    Invoice, Payment, Account, Journal, Partner, ReconcileRule, BankReconciliation,
)


def _figures(session: Session, company_id: int, model: Any, *more: Any) -> list[object]:
    row = session.execute(
        select(func.count(model.id), func.coalesce(func.max(model.id), 0), *more)
        .where(model.company_id == company_id)
    ).one()
    return list(row)


def inputs(session: Session, company: Company) -> str:
    """What matching reads, summed up: equal strings, equal inputs (see the module)."""
    # The lock date too: a line on or before it is left to a person, until it moves.
    figures: list[object] = [company.currency_code, company.lock_date]
    for model in _VERSIONED:
        figures += _figures(session, company.id, model, func.coalesce(func.sum(model.version), 0))
    figures += _figures(
        session, company.id, OpenItem,
        func.coalesce(func.sum(func.abs(OpenItem.residual)), 0),
        func.coalesce(func.sum(func.abs(OpenItem.residual_currency)), 0),
        func.count(OpenItem.full_reconcile_id),
    )
    figures += _figures(session, company.id, PartialReconcile,
                        func.coalesce(func.sum(PartialReconcile.id), 0))
    figures += _figures(session, company.id, FullReconcile)
    return " ".join(str(figure) for figure in figures)


def lines(session: Session, journal_id: int, up_to: int | None = None) -> tuple[int, int, int]:
    """(highest id, count, sum of versions) of the journal's lines, up to ``up_to``."""
    query = select(
        func.coalesce(func.max(StatementLine.id), 0), func.count(StatementLine.id),
        func.coalesce(func.sum(StatementLine.version), 0),
    ).where(StatementLine.journal_id == journal_id)
    if up_to is not None:
        query = query.where(StatementLine.id <= up_to)
    top, count, versions = session.execute(query).one()
    return int(top), int(count), int(versions)


def _stamp(session: Session, journal_id: int) -> ReconcileStamp | None:
    return session.scalar(select(ReconcileStamp).where(ReconcileStamp.journal_id == journal_id))


def new_after(session: Session, journal_id: int, now: str) -> int | None:
    """The highest line id the journal's last fruitless pass saw, when nothing it read
    has changed since (``now``: :func:`inputs` now): only lines above it need matching.
    None: every line does."""
    stamp = _stamp(session, journal_id)
    if stamp is None or stamp.inputs != now:
        return None
    _, count, versions = lines(session, journal_id, stamp.line_max_id)
    if (count, versions) != (stamp.line_count, stamp.line_versions):
        return None
    return stamp.line_max_id


def remember(
    session: Session, company: Company, journal_id: int, now: str, seen: tuple[int, int, int]
) -> None:
    """Record that a pass over every unreconciled line of the journal applied nothing,
    the inputs reading ``now`` and its lines ``seen`` (:func:`lines`) before it began."""
    top, count, versions = seen
    stamp = _stamp(session, journal_id)
    if stamp is not None:
        stamp.inputs, stamp.line_max_id, stamp.line_count, stamp.line_versions = (
            now, top, count, versions
        )
        return
    try:
        with session.begin_nested():
            session.add(ReconcileStamp(
                company_id=company.id, journal_id=journal_id, inputs=now, line_max_id=top,
                line_count=count, line_versions=versions,
            ))
    except IntegrityError:
        # Two connections' runs into one journal stamped it at once: each stamp says
        # what its own pass saw, so the other one's will do.
        pass


def forget(session: Session, journal_ids: list[int]) -> None:
    """A pass applied something: the next one matches every line again."""
    session.execute(delete(ReconcileStamp).where(ReconcileStamp.journal_id.in_(journal_ids)))
