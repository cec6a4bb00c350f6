"""Which posted lines are open items, and reading them.

Every posted line on a reconcilable account, other than the bank suspense
account, is tracked from the moment it is posted (docs/ledger.md, "Open
items and reconciliation"): the entry writer calls :func:`track_entries`
for each batch it posts, with one set-based ``INSERT ... SELECT``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import and_, case, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from booksync.ledger.errors import NotFound
from booksync.ledger.models import Account, AccountRole, Company, Line
from booksync.ledger.open_item_models import OpenItem

__all__ = ["open_items_of", "reconcilable_account_ids", "track_entries"]


def reconcilable_account_ids(session: Session, company_id: int) -> frozenset[int]:
    """The accounts whose posted lines become open items."""
    return frozenset(
        session.scalars(
            select(Account.id).where(
                Account.company_id == company_id,
                Account.reconcile.is_(True),
                or_(Account.role.is_(None), Account.role != AccountRole.SUSPENSE.value),
            )
        )
    )


def track_entries(
    session: Session,
    company: Company,
    entry_ids: Sequence[int],
    due_dates: Mapping[int, dt.date] | None = None,
) -> None:
    """Open items for the posted lines of ``entry_ids`` on reconcilable accounts.

    ``due_dates`` maps an entry id to the due date of its open items
    (an invoice's); otherwise an item is due on its line's date.  A line of
    zero in both currencies owes nothing and is not tracked.
    """
    if not entry_ids:
        return
    signed = Line.debit - Line.credit
    own = func.coalesce(Line.amount_currency, signed)
    query = (
        select(
            Line.company_id,
            Line.id,
            Line.entry_id,
            Line.account_id,
            Line.partner_id,
            Line.date,
            Line.date,
            func.coalesce(Line.currency_code, literal(company.currency_code)),
            signed,
            own,
            signed,
            own,
        )
        .join(Account, Account.id == Line.account_id)
        .where(
            Line.company_id == company.id,
            Line.entry_id.in_(entry_ids),
            Line.posted.is_(True),
            Account.reconcile.is_(True),
            or_(Account.role.is_(None), Account.role != AccountRole.SUSPENSE.value),
            or_(signed != 0, func.coalesce(Line.amount_currency, 0) != 0),
        )
    )
    columns = [
        "company_id", "line_id", "entry_id", "account_id", "partner_id", "date", "due_date",
        "currency_code", "amount", "amount_currency", "residual", "residual_currency",
    ]
    session.execute(insert(OpenItem).from_select(columns, query))
    if due_dates:
        session.execute(
            update(OpenItem)
            .where(OpenItem.company_id == company.id, OpenItem.entry_id.in_(list(due_dates)))
            .values(
                due_date=case(
                    *[(OpenItem.entry_id == e, literal(d)) for e, d in due_dates.items()],
                    else_=OpenItem.due_date,
                )
            )
        )


def open_items_of(session: Session, company: Company, line_ids: Sequence[int]) -> list[OpenItem]:
    """The open items of ``line_ids``, in that order; a line that is none is named."""
    items = {
        item.line_id: item
        for item in session.scalars(
            select(OpenItem).where(
                and_(OpenItem.company_id == company.id, OpenItem.line_id.in_(line_ids))
            )
        )
    }
    missing = [i for i in line_ids if i not in items]
    if missing:
        raise NotFound(f"line {missing[0]} is not an open item of a reconcilable account")
    return [items[i] for i in line_ids]
