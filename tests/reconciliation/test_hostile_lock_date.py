"""A lock date and the automatic pass: a line in the closed period is left to a person,
and a sync's pass takes it again once the period is open (docs/reconciliation.md,
"Automatic reconciliation")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.ledger.entries import EntryInput, LineInput, add_entries
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner
from booksync.reconciliation.auto import reconcile_journals
from booksync.reconciliation.bank import active_reconciliation
from booksync.statements.manual import ManualLine, add_manual_line

DAY = dt.date(2026, 3, 10)


def test_a_line_left_by_the_lock_date_is_matched_by_a_sync_once_it_is_lifted(
    session: Session, company: Company
) -> None:
    add_partner(session, company, "Osaka")
    bank = create_bank_journal(session, company, "Main bank")
    (entry_id,) = add_entries(session, company, [EntryInput("SAL", DAY, (
        LineInput("1100", debit=Decimal("100.00"), partner="Osaka"),
        LineInput("4000", credit=Decimal("100.00")),
    ))], post=True)
    assert session.scalars(select(OpenItem).where(OpenItem.entry_id == entry_id)).one()
    line_id = add_manual_line(session, company, ManualLine(
        bank.code, DAY, Decimal("100.00"), "SEPA in", partner="Osaka"))
    company.lock_date = dt.date(2026, 3, 31)
    session.flush()
    assert reconcile_journals(session, company, [bank.id]) == 0
    assert active_reconciliation(session, line_id) is None
    company.lock_date = None
    session.flush()
    assert reconcile_journals(session, company, [bank.id]) == 1
    assert active_reconciliation(session, line_id) is not None
