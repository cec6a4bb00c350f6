"""The bank reconciliation report: book and bank balances, unreconciled lines,
payments not yet seen on the bank."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.banking.models import Connection, ProviderAccount
from booksync.documents.models import Payment
from booksync.documents.payments import Direction, PaymentRequest, register_payment
from booksync.ledger.entries import EntryInput, LineInput, add_entries
from booksync.ledger.errors import LedgerError, NotFound
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Account, Company, Journal, Partner
from booksync.ledger.open_item_models import OpenItem
from booksync.ledger.partners import add_partner
from booksync.ledger.rates import set_rate
from booksync.ledger.writer import EntryWriter
from booksync.reconciliation.bank import WriteOff, reconcile_line, statement_line, undo_line
from booksync.reconciliation.report import bank_reconciliation_report
from booksync.statements.booking import NewLine
from booksync.statements.manual import ManualLine, add_manual_line
from booksync.statements.sources import manual_source
from booksync.statements.writing import StatementWriter

D = Decimal
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def osaka(session: Session, company: Company) -> Partner:
    return add_partner(session, company, "Osaka")


def bank_line(session: Session, company: Company, journal: Journal, amount: str,
              day: dt.date = DAY) -> int:
    return add_manual_line(session, company, ManualLine(journal.code, day, D(amount), "SEPA"))


def opening_line(session: Session, company: Company, journal: Journal, amount: int) -> int:
    """A first sync's opening line, booked like the importer books it."""
    writer = EntryWriter(session, company)
    booking = StatementWriter(session, company, manual_source(session, journal), journal, writer)
    (line_id,) = booking.write([NewLine(dt.date(2026, 3, 1), amount, "Opening balance",
                                        is_opening=True)])
    writer.finish()
    return line_id


def pay(session: Session, company: Company, journal: Journal, partner: Partner, amount: str,
        outbound: bool = False) -> tuple[Payment, int]:
    """A payment on account, and its outstanding line."""
    payment = register_payment(session, company, PaymentRequest(
        journal=journal, partner=partner, amount=D(amount), date=DAY,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
    ))
    return payment, payment.outstanding_line_id


def receivable(session: Session, company: Company, amount: str) -> int:
    (entry_id,) = add_entries(session, company, [EntryInput("SAL", DAY, (
        LineInput("1100", debit=D(amount), partner="Osaka"), LineInput("4000", credit=D(amount)),
    ))], post=True)
    return session.scalars(select(OpenItem.line_id).where(OpenItem.entry_id == entry_id)).one()


def account_id(session: Session, company: Company, code: str) -> int:
    return session.scalars(
        select(Account.id).where(Account.company_id == company.id, Account.code == code)
    ).one()


def figures(session: Session, company: Company, code: str) -> tuple[object, ...]:
    r = bank_reconciliation_report(session, company, code)
    return (r.book_balance, r.bank_balance, r.bank_balance_date, r.unreconciled_lines,
            r.unreconciled_total, r.outstanding_total)


def test_the_figures_of_a_journal_in_company_currency(session, company, osaka):
    bank = create_bank_journal(session, company, "Main bank")
    assert figures(session, company, bank.code) == (0, None, None, 0, 0, 0)

    opening_line(session, company, bank, 100000)
    invoice = receivable(session, company, "150.00")
    paid = statement_line(session, company, bank_line(session, company, bank, "150.00"))
    reconcile_line(session, company, paid, [invoice])
    fee = statement_line(session, company, bank_line(session, company, bank, "-20.00"))
    reconcile_line(session, company, fee, write_offs=[
        WriteOff(account_id(session, company, "6500"), 2000, "Fees")
    ])
    undone = statement_line(session, company, bank_line(session, company, bank, "40.00"))
    reconcile_line(session, company, undone, on_account_partner=osaka.id)
    undo_line(session, company, undone)  # undone: unreconciled again
    bank_line(session, company, bank, "-7.25")

    inbound, inbound_line = pay(session, company, bank, osaka, "70.00")
    outbound, outbound_line = pay(session, company, bank, osaka, "25.00", outbound=True)
    seen = statement_line(session, company, bank_line(session, company, bank, "70.00"))
    reconcile_line(session, company, seen, [inbound_line])  # the receipt reached the bank
    part = statement_line(session, company, bank_line(session, company, bank, "-10.00"))
    reconcile_line(session, company, part, [outbound_line])  # 10.00 of the 25.00 so far

    report = bank_reconciliation_report(session, company, bank.code)
    # Book: 1000 + 150 - 20 + 40 - 7.25 + 70 - 10 (payments are not on the bank account).
    assert report.book_balance == 122275
    # Unreconciled: the opening line, the undone 40.00 and the -7.25.
    assert (report.unreconciled_lines, report.unreconciled_total) == (3, 103275)
    assert [(p.id, p.outbound, p.amount, p.open) for p in report.outstanding] == [
        (outbound.id, True, 2500, -1500)
    ]
    assert report.outstanding_total == -1500
    assert inbound.id not in [p.id for p in report.outstanding]
    assert (report.journal, report.currency, report.exponent) == (bank.code, "EUR", 2)
    assert (report.bank_balance, report.bank_balance_date) == (None, None)


def test_the_bank_balance_is_the_latest_a_linked_provider_account_reported(
    session, company, osaka
):
    bank = create_bank_journal(session, company, "Main bank")
    other = create_bank_journal(session, company, "Other bank")
    connection = Connection(company_id=company.id, provider="simplefin", label="Bank")
    session.add(connection)
    session.flush()

    def linked(name: str, journal: Journal, balance: int | None,
               day: dt.date | None) -> None:
        session.add(ProviderAccount(
            company_id=company.id, connection_id=connection.id, provider_account_id=name,
            name=name, currency_code="EUR", journal_id=journal.id, balance=balance,
            balance_date=day,
        ))
        session.flush()

    linked("never synced", bank, None, None)
    assert figures(session, company, bank.code)[1:3] == (None, None)
    linked("old", bank, 50000, dt.date(2026, 3, 1))
    linked("new", bank, 61234, dt.date(2026, 3, 9))
    linked("other", other, 99900, dt.date(2026, 3, 20))
    assert figures(session, company, bank.code)[1:3] == (61234, dt.date(2026, 3, 9))
    assert figures(session, company, other.code)[1:3] == (99900, dt.date(2026, 3, 20))


def test_a_foreign_journal_reports_in_its_own_currency(session, company, osaka):
    set_rate(session, company, "USD", dt.date(2026, 1, 1), "0.9")
    usd = create_bank_journal(session, company, "Dollar bank", "USD")
    bank_line(session, company, usd, "100.00")
    bank_line(session, company, usd, "-30.00")
    # An adjustment booked on the bank account in company currency only.
    bank_account = session.get(Account, usd.default_account_id)
    assert bank_account is not None
    add_entries(session, company, [EntryInput("MISC", DAY, (
        LineInput(bank_account.code, debit=D("1.00")), LineInput("4900", credit=D("1.00")),
    ))], post=True)
    pay(session, company, usd, osaka, "50.00")

    report = bank_reconciliation_report(session, company, usd.code)
    assert (report.currency, report.book_balance) == ("USD", 7000)
    assert (report.unreconciled_lines, report.unreconciled_total) == (2, 7000)
    assert [(p.amount, p.open) for p in report.outstanding] == [(5000, 5000)]


def test_a_journal_that_is_not_a_bank_journal_or_unknown_is_refused(session, company):
    with pytest.raises(LedgerError, match="journal SAL is not a bank journal"):
        bank_reconciliation_report(session, company, "SAL")
    with pytest.raises(NotFound, match="unknown journal 'NOPE'"):
        bank_reconciliation_report(session, company, "NOPE")
