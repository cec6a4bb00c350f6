"""The partner ledger: a partner's receivable and payable lines, running balance, residuals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from booksync.ledger.entries import EntryInput, LineInput, add_entries
from booksync.ledger.errors import NotFound
from booksync.ledger.partner_ledger import partner_ledger
from booksync.ledger.partners import add_partner
from booksync.ledger.reconcile import reconcile
from tests.ledger.test_aged import book

D = Decimal


def test_lines_in_date_order_with_running_balance_and_residuals(session, company):
    add_partner(session, company, "Anna")
    add_partner(session, company, "Bert")
    # Booked out of date order: the ledger reads them by date.
    paid = book(session, company, dt.date(2026, 2, 1),
                LineInput("1100", credit=D("40.00"), partner="Anna", label="Transfer"),
                LineInput("1250", debit=D("40.00")))
    book(session, company, dt.date(2026, 1, 10),
                LineInput("1100", debit=D("100.00"), partner="Anna", label="Invoice 1"),
                LineInput("4000", credit=D("100.00"), partner="Anna"))  # not a partner account
    small = book(session, company, dt.date(2026, 1, 20),
                 LineInput("1100", debit=D("40.00"), partner="Anna"),
                 LineInput("4000", credit=D("40.00")))
    add_entries(session, company, [EntryInput("MISC", dt.date(2026, 1, 25), (
        LineInput("2000", credit=D("15.00"), partner="Anna"), LineInput("6100", debit=D("15.00")),
    ), ref="Rent January")], post=True)
    add_entries(session, company, [EntryInput("MISC", dt.date(2026, 1, 26), (
        LineInput("1100", debit=D("7.00"), partner="Bert"), LineInput("4000", credit=D("7.00")),
    ))], post=True)
    add_entries(session, company, [EntryInput("MISC", dt.date(2026, 1, 27), (
        LineInput("1100", debit=D("9.00"), partner="Anna"), LineInput("4000", credit=D("9.00")),
    ))], post=False)  # a draft: not in the books
    reconcile(session, company, [small, paid], origin="manual")  # closes both

    report = partner_ledger(session, company, "Anna")
    assert report.partner == "Anna" and report.currency == "EUR"
    assert [
        (ln.date.isoformat(), ln.account, ln.label, ln.debit, ln.credit, ln.balance,
         ln.residual, ln.reconciled)
        for ln in report.lines
    ] == [
        ("2026-01-10", "1100", "Invoice 1", 10000, 0, 10000, 10000, False),
        ("2026-01-20", "1100", None, 4000, 0, 14000, 0, True),
        ("2026-01-25", "2000", "Rent January", 0, 1500, 12500, -1500, False),
        ("2026-02-01", "1100", "Transfer", 0, 4000, 8500, 0, True),
    ]
    assert [ln.entry for ln in report.lines] == [
        "MISC/2026/00002", "MISC/2026/00003", "MISC/2026/00004", "MISC/2026/00001",
    ]
    assert report.balance == 8500


def test_a_partner_without_lines_and_an_unknown_one(session, company):
    add_partner(session, company, "Quiet")
    report = partner_ledger(session, company, "Quiet")
    assert (report.lines, report.balance) == ((), 0)
    with pytest.raises(NotFound, match="unknown partner 'Nobody'"):
        partner_ledger(session, company, "Nobody")
