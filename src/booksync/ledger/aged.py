"""Aged receivable and payable balances, read from the open items (docs/ledger.md,
"Aged balances").

What a partner owes (or is owed) is the residual of the open items of the
receivable (or payable) accounts, not a sum of lines: a payment settled
against an invoice leaves neither open, so the report shows only what is
still to be paid, and a payment on account shows as a credit in the bucket
of its own due date.

As of a past date the residuals are put back as they were that day: an item
dated after the date is left out, and every settlement made *after* the date
is added back to the items it took from.  A settlement is dated on the later
of its two lines' dates, not on the day someone matched them: an invoice of
1 March paid on 10 March is settled on 10 March, even when the match was
made in April.  So the report of a past date stays the same however late the
matching is done, as long as no entry is posted in the past.

One query: the open items (and the closed ones a later settlement closed)
joined with the settlements to add back, bucketed by a ``CASE`` on the due
date and summed per partner in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE, ColumnElement, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from booksync.ledger.errors import LedgerError
from booksync.ledger.models import Account, AccountRole, Company, Line, Partner
from booksync.ledger.open_item_models import OpenItem, PartialReconcile

__all__ = ["BUCKETS", "AgedBalances", "AgedRow", "aged_balances", "settled_after"]

# The buckets by days past due at the report's date: (name, first day, last day).
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),  # not yet due, or due on the day itself
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("over_90", 91, None),
)
EARLIEST = dt.date.min + dt.timedelta(days=max(last or 0 for _, _, last in BUCKETS))
"""The first day items can be aged at: the buckets reach back from it, and before this
day they would start before the calendar does, which no date can say."""


@dataclass(frozen=True, slots=True)
class AgedRow:
    """One partner's balance (``None``: items without a partner), in minor units of
    company currency, per bucket in the order of :data:`BUCKETS`; positive when
    the partner owes us (receivable) or we owe the partner (payable)."""

    partner: str | None
    buckets: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.buckets)


@dataclass(frozen=True, slots=True)
class AgedBalances:
    role: AccountRole
    date: dt.date
    currency: str
    exponent: int
    partners: tuple[AgedRow, ...]

    @property
    def total(self) -> AgedRow:
        columns = zip(*(row.buckets for row in self.partners), strict=True)
        sums = tuple(sum(c) for c in columns) or (0,) * len(BUCKETS)
        return AgedRow(None, sums)


def settled_after(company: Company, date: dt.date) -> CTE:
    """Per line, what settlements dated after ``date`` took from its residual.

    A common table expression of ``(line_id, amount)``: the company-currency
    amount to add to the line's residual to get its residual at the end of
    ``date`` (positive for a debit line, whose residual the settlement
    lowered).  A settlement's date is the later of its two lines' dates, so it
    is after ``date`` when either line is.
    """
    pr = PartialReconcile
    debit_line, credit_line = aliased(Line), aliased(Line)
    late = (
        select(pr.debit_line_id, pr.credit_line_id, pr.amount)
        .join(debit_line, debit_line.id == pr.debit_line_id)
        .join(credit_line, credit_line.id == pr.credit_line_id)
        .where(pr.company_id == company.id, or_(debit_line.date > date, credit_line.date > date))
        .cte("late")
    )
    legs = union_all(
        select(late.c.debit_line_id.label("line_id"), late.c.amount.label("amount")),
        select(late.c.credit_line_id.label("line_id"), (-late.c.amount).label("amount")),
    ).subquery()
    return (
        select(legs.c.line_id, func.sum(legs.c.amount).label("amount"))
        .group_by(legs.c.line_id)
        .cte("settled_after")
    )


def _bucket(due: ColumnElement[Any], date: dt.date) -> ColumnElement[int]:
    """The index in :data:`BUCKETS` of an item due on ``due``, at ``date``."""
    whens: list[tuple[ColumnElement[bool], int]] = []
    for index, (_, _, last) in enumerate(BUCKETS[:-1]):
        assert last is not None
        whens.append((due >= date - dt.timedelta(days=last), index))
    return case(*whens, else_=literal(len(BUCKETS) - 1))


def aged_balances(
    session: Session, company: Company, role: AccountRole, date: dt.date
) -> AgedBalances:
    """What each partner owed at the end of ``date`` on the ``role`` accounts
    (receivable or payable), by how many days past due it was then."""
    if date < EARLIEST:
        raise LedgerError(f"{date.isoformat()} is too early to age items at: the first day "
                          f"is {EARLIEST.isoformat()}")
    back = settled_after(company, date)
    mine = (
        OpenItem.company_id == company.id,
        Account.role == role.value,
        OpenItem.date <= date,
    )
    # Two halves, so that the open ones are read through the partial index on open
    # items, and closed ones only when a settlement after the date closed them.
    still_open = (
        select(
            OpenItem.partner_id.label("partner_id"),
            OpenItem.due_date.label("due_date"),
            (OpenItem.residual + func.coalesce(back.c.amount, 0)).label("residual"),
        )
        .join(Account, Account.id == OpenItem.account_id)
        .outerjoin(back, back.c.line_id == OpenItem.line_id)
        .where(*mine, OpenItem.full_reconcile_id.is_(None))
    )
    closed_later = (
        select(OpenItem.partner_id, OpenItem.due_date, OpenItem.residual + back.c.amount)
        .join(Account, Account.id == OpenItem.account_id)
        .join(back, back.c.line_id == OpenItem.line_id)
        .where(*mine, OpenItem.full_reconcile_id.is_not(None))
    )
    both = union_all(still_open, closed_later).subquery()
    items = select(
        both.c.partner_id, _bucket(both.c.due_date, date).label("bucket"), both.c.residual
    ).subquery()
    sums = (
        select(
            items.c.partner_id, items.c.bucket, func.sum(items.c.residual).label("amount")
        )
        .group_by(items.c.partner_id, items.c.bucket)
        .subquery()
    )
    query = select(Partner.name, sums.c.bucket, sums.c.amount).select_from(sums).outerjoin(
        Partner, Partner.id == sums.c.partner_id
    )
    sign = -1 if role is AccountRole.PAYABLE else 1
    found: dict[str | None, list[int]] = {}
    for name, bucket, amount in session.execute(query):
        found.setdefault(name, [0] * len(BUCKETS))[int(bucket)] += sign * int(amount or 0)
    rows = tuple(
        AgedRow(name, tuple(buckets))
        for name, buckets in sorted(
            found.items(), key=lambda kv: (kv[0] is None, (kv[0] or "").casefold(), kv[0] or "")
        )
        if any(buckets)
    )
    return AgedBalances(role, date, company.currency_code, company.currency.exponent, rows)
