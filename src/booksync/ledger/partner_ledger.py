"""The partner ledger: one partner's lines on the receivable and payable accounts
(docs/ledger.md, "Partner ledger").

Where the aged balances say what is still owed, this says how it came to be:
every posted line, with a running balance, and beside each line whether it
is settled (fully reconciled) and what it still owes (its open item's
residual).  The running balance is a window sum in the database, like the
account ledger's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from booksync.ledger.models import Account, AccountRole, Company, Entry, Line
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import partner_named

__all__ = ["PARTNER_ROLES", "PartnerLedger", "PartnerLine", "partner_ledger"]

PARTNER_ROLES = (AccountRole.RECEIVABLE.value, AccountRole.PAYABLE.value)


@dataclass(frozen=True, slots=True)
class PartnerLine:
    """One posted line, in minor units of company currency.

    ``balance``: debits less credits of the partner's lines so far (positive:
    the partner owes us).  ``residual``: what the line still owes, signed like
    the line (0 for a line that is no open item).  ``reconciled``: the line
    is fully reconciled.
    """

    date: dt.date
    entry: str | None
    account: str
    label: str | None
    debit: int
    credit: int
    balance: int
    residual: int
    reconciled: bool


@dataclass(frozen=True, slots=True)
class PartnerLedger:
    partner: str
    currency: str
    exponent: int
    lines: tuple[PartnerLine, ...]

    @property
    def balance(self) -> int:
        return self.lines[-1].balance if self.lines else 0


def partner_ledger(session: Session, company: Company, name: str) -> PartnerLedger:
    """Every posted line of partner ``name`` on receivable and payable accounts, by
    date then line, with a running balance; the line's label, else its entry's
    reference."""
    partner = partner_named(session, company, name.strip())
    running = func.sum(Line.debit - Line.credit).over(order_by=(Line.date, Line.id))
    query = (
        select(
            Line.date,
            Entry.number,
            Account.code,
            func.coalesce(Line.label, Entry.ref),
            Line.debit,
            Line.credit,
            running,
            OpenItem.residual,
            OpenItem.full_reconcile_id,
        )
        .join(Account, Account.id == Line.account_id)
        .join(Entry, Entry.id == Line.entry_id)
        .outerjoin(OpenItem, OpenItem.line_id == Line.id)
        .where(
            Line.company_id == company.id,
            Line.posted == true(),
            Line.partner_id == partner.id,
            Account.role.in_(PARTNER_ROLES),
        )
        .order_by(Line.date, Line.id)
    )
    lines = tuple(
        PartnerLine(
            day, number, code, label, int(debit), int(credit), int(run), int(residual or 0),
            full is not None,
        )
        for day, number, code, label, debit, credit, run, residual, full in session.execute(query)
    )
    return PartnerLedger(partner.name, company.currency_code, company.currency.exponent, lines)
