"""Reconciling a bank line: the clearing entry, the settled open items, and undo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.banking.models import StatementLine
from booksync.errors import BooksyncError
from booksync.ledger.entries import EntryInput, LineInput, add_entries, get_entry
from booksync.ledger.errors import LedgerError
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, Company, Journal, Line
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner
from booksync.reconciliation.bank import WriteOff, reconcile_line, statement_line, undo_line
from booksync.statements.manual import ManualLine, add_manual_line
from tests.ledger.test_open_items import assert_residuals_follow_the_links

D = Decimal
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def bank(session: Session, company: Company) -> Journal:
    add_partner(session, company, "Osaka")
    return create_bank_journal(session, company, "Main bank")


def _receivable(session: Session, company: Company, amount: str, day: dt.date = DAY) -> int:
    (entry_id,) = add_entries(session, company, [EntryInput("SAL", day, (
        LineInput("1100", debit=D(amount), partner="Osaka"), LineInput("4000", credit=D(amount)),
    ))], post=True)
    return session.scalars(select(OpenItem.line_id).where(OpenItem.entry_id == entry_id)).one()


def _bank_line(session: Session, company: Company, bank: Journal, amount: str) -> StatementLine:
    line_id = add_manual_line(session, company, ManualLine(bank.code, DAY, D(amount), "SEPA in"))
    return statement_line(session, company, line_id)


def _balance(session: Session, account_id: int) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(Line.debit - Line.credit), 0)).where(
            Line.account_id == account_id, Line.posted.is_(True)
        )
    ) or 0)


def _residual(session: Session, line_id: int) -> int:
    item = session.scalars(select(OpenItem).where(OpenItem.line_id == line_id)).one()
    session.refresh(item)
    return item.residual


def test_a_bank_line_pays_two_invoices_and_undo_reopens_both(session, company, bank):
    first, second = _receivable(session, company, "100.00"), _receivable(session, company, "50.00")
    line = _bank_line(session, company, bank, "150.00")
    assert bank.suspense_account_id is not None
    assert _balance(session, bank.suspense_account_id) == -15000
    record = reconcile_line(session, company, line, [first, second])
    clearing = get_entry(session, company, record.clearing_entry_id)
    assert [(ln.account_id == bank.suspense_account_id, ln.debit, ln.credit)
            for ln in clearing.lines] == [(True, 15000, 0), (False, 0, 10000), (False, 0, 5000)]
    assert (_residual(session, first), _residual(session, second)) == (0, 0)
    assert _balance(session, bank.suspense_account_id) == 0
    with pytest.raises(BooksyncError, match="already reconciled") as info:
        reconcile_line(session, company, line, [first])
    assert info.value.code == "conflict"

    undo_line(session, company, line)
    assert (_residual(session, first), _residual(session, second)) == (10000, 5000)
    assert _balance(session, bank.suspense_account_id) == -15000
    assert_residuals_follow_the_links(session, company)
    with pytest.raises(BooksyncError, match="not reconciled"):
        undo_line(session, company, line)
    again = reconcile_line(session, company, line, [second, first])  # a line may be redone
    assert again.state == "active"
    assert _residual(session, second) == 0


def test_a_partial_payment_leaves_the_invoice_open_for_the_rest(session, company, bank):
    invoice = _receivable(session, company, "100.00")
    reconcile_line(session, company, _bank_line(session, company, bank, "30.00"), [invoice])
    assert _residual(session, invoice) == 7000


def test_amounts_that_do_not_add_up_are_refused_naming_the_difference(session, company, bank):
    invoice = _receivable(session, company, "100.00")
    line = _bank_line(session, company, bank, "103.50")
    before = session.scalar(select(func.count()).select_from(Line))
    with pytest.raises(LedgerError, match=r"3\.50 EUR of the bank line are left"):
        reconcile_line(session, company, line, [invoice])
    assert session.scalar(select(func.count()).select_from(Line)) == before
    fees = session.scalars(
        select(Account.id).where(Account.company_id == company.id, Account.code == "6500")
    ).one()
    reconcile_line(session, company, line, [invoice], [WriteOff(fees, 350, "Bank fees")])
    assert _balance(session, fees) == -350 and _residual(session, invoice) == 0


def test_money_on_account_stays_open_for_the_partner(session, company, bank):
    partner_id = session.scalar(select(OpenItem.partner_id).limit(1))  # none yet
    assert partner_id is None
    from booksync.ledger.models import Partner

    osaka = session.scalars(select(Partner.id).where(Partner.name == "Osaka")).one()
    record = reconcile_line(
        session, company, _bank_line(session, company, bank, "40.00"), on_account_partner=osaka
    )
    item = session.scalars(
        select(OpenItem).where(OpenItem.entry_id == record.clearing_entry_id)
    ).one()
    assert (item.partner_id, item.residual) == (osaka, -4000)
