"""``booksync report`` aged balances, partner ledger and bank reconciliation: exact shapes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, update

from booksync.banking.models import Connection, ProviderAccount, StatementLine
from booksync.db.engine import session_factory
from booksync.documents.models import Payment
from booksync.ledger.companies import find_company
from booksync.ledger.models import Journal, Line
from booksync.ledger.open_item_models import OpenItem
from booksync.reconciliation.bank import reconcile_line
from tests.cli.clitools import Cli, ok_json, one_error


@pytest.fixture
def books(acme: Cli, engine: Engine) -> Cli:
    """Acme with a customer, a vendor, invoices due at set dates, a bank journal with
    three statement lines (one reconciled) and two payments (one seen on the bank)."""
    for name in ("Osaka", "Vendor"):
        assert acme("partner", "add", name)[0] == 0

    def entry(day: str, *lines: str, ref: str | None = None) -> None:
        args = ["entry", "add", "--journal", "MISC", "--date", day, "--post"]
        args += [part for line in lines for part in ("--line", line)]
        code, _, err = acme(*args, *(["--ref", ref] if ref else []))
        assert code == 0, err

    entry("2026-05-01", "1100:100:0:Osaka:Invoice 1", "4000:0:100")
    entry("2026-05-20", "1100:50.50:0:Osaka:Invoice 2", "4000:0:50.50")
    entry("2026-06-10", "1100:0:30:Osaka:Transfer", "1250:30:0")
    entry("2026-06-01", "2000:0:80:Vendor", "6100:80:0", ref="Bill 7")
    with session_factory(engine).begin() as session:
        due = {"Invoice 1": dt.date(2026, 5, 31), "Invoice 2": dt.date(2026, 7, 1)}
        for label, day in due.items():
            line_id = session.scalars(select(Line.id).where(Line.label == label)).one()
            session.execute(
                update(OpenItem).where(OpenItem.line_id == line_id).values(due_date=day)
            )
    code, _, err = acme("bank-account", "create", "--account-number", "ACME-1", "--bank", "Main")
    assert code == 0, err
    for day, amount in (("2026-06-11", "-12.50"), ("2026-06-12", "40"), ("2026-06-13", "20")):
        code, _, err = acme("statement", "add", "--journal", "BNK1", "--date", day,
                            "--amount", amount, "--label", "SEPA")
        assert code == 0, err
    for amount, way in (("20", []), ("15", ["--outbound"])):
        code, _, err = acme("payment", "add", "--journal", "BNK1", "--partner", "Osaka",
                            "--amount", amount, "--date", "2026-06-12", *way)
        assert code == 0, err
    with session_factory(engine).begin() as session:
        company = find_company(session, None)
        inbound = session.scalars(select(Payment).where(Payment.outbound.is_(False))).one()
        seen = session.scalars(
            select(StatementLine).where(StatementLine.amount == 2000)
        ).one()
        reconcile_line(session, company, seen, [inbound.outstanding_line_id])
    return acme


def row(partner: str | None, current: str = "0.00", d30: str = "0.00", d60: str = "0.00",
        d90: str = "0.00", over: str = "0.00", total: str = "0.00") -> dict[str, str | None]:
    return {"partner": partner, "current": current, "1-30": d30, "31-60": d60, "61-90": d90,
            "over_90": over, "total": total}


def test_aged_receivable_and_payable_json(books):
    # Invoice 1 (due 31 May) 30 days past due, Invoice 2 (due 1 July) not yet due, the
    # transfer of 10 June and the payment on account of 12 June as credits.
    osaka = row("Osaka", current="50.50", d30="50.00", total="100.50")
    assert ok_json(books, "report", "aged-receivable", "--date", "2026-06-30") == {
        "date": "2026-06-30",
        "currency": "EUR",
        "partners": [osaka],
        "total": {**osaka, "partner": None},
    }
    later = ok_json(books, "report", "aged-receivable", "--date", "2026-07-31")
    assert later["partners"] == [
        row("Osaka", d30="50.50", d60="-50.00", d90="100.00", total="100.50")
    ]
    assert ok_json(books, "report", "aged-receivable", "--date", "2026-05-01")["partners"] == [
        row("Osaka", current="100.00", total="100.00")
    ]
    # The bill, and the outbound payment to Osaka on account (a debit: owed to us).
    assert ok_json(books, "report", "aged-payable", "--date", "2026-06-30") == {
        "date": "2026-06-30",
        "currency": "EUR",
        "partners": [row("Osaka", d30="-15.00", total="-15.00"),
                     row("Vendor", d30="80.00", total="80.00")],
        "total": row(None, d30="65.00", total="65.00"),
    }
    assert ok_json(books, "report", "aged-receivable")["date"] == dt.date.today().isoformat()
    code, out, err = books("report", "aged-receivable", "--date", "2026-06-30")
    assert code == 0, err
    assert "Aged receivable (EUR) at 2026-06-30" in out
    assert out.count("100.50") == 2  # Osaka's row and the total row


def test_partner_ledger_json(books):
    data = ok_json(books, "report", "partner-ledger", "Vendor")
    assert data == {
        "partner": "Vendor",
        "currency": "EUR",
        "lines": [{"date": "2026-06-01", "entry": "MISC/2026/00004", "account": "2000",
                   "label": "Bill 7", "debit": "0.00", "credit": "80.00", "balance": "-80.00",
                   "residual": "-80.00", "reconciled": False}],
        "balance": "-80.00",
    }


def test_bank_reconciliation_json_and_text(books, engine):
    data = ok_json(books, "report", "bank-reconciliation", "--journal", "BNK1")
    assert data == {
        "journal": "BNK1",
        "book_balance": "47.50",
        "bank_balance": None,
        "bank_balance_date": None,
        "unreconciled_lines": 2,
        "unreconciled_total": "27.50",
        "outstanding_payments": "-15.00",
    }
    code, out, err = books("report", "bank-reconciliation", "--journal", "BNK1")
    assert code == 0, err
    assert "Bank reconciliation of BNK1 (EUR)" in out
    assert "Unreconciled lines:      2, totalling 27.50 EUR" in out
    assert "Outstanding payments:    -15.00 EUR" in out
    assert "outbound" in out and "inbound" not in out
    assert "unknown (no connection has reported one)" in out

    with session_factory(engine).begin() as session:
        company = find_company(session, None)
        journal = session.scalars(select(Journal).where(Journal.code == "BNK1")).one()
        connection = Connection(company_id=company.id, provider="simplefin", label="Main")
        session.add(connection)
        session.flush()
        session.add(ProviderAccount(
            company_id=company.id, connection_id=connection.id, provider_account_id="a1",
            name="Main", currency_code="EUR", journal_id=journal.id, balance=6100,
            balance_date=dt.date(2026, 6, 13),
        ))
    data = ok_json(books, "report", "bank-reconciliation", "--journal", "BNK1")
    assert (data["bank_balance"], data["bank_balance_date"]) == ("61.00", "2026-06-13")
    code, out, err = books("report", "bank-reconciliation", "--journal", "BNK1")
    assert "Bank's last balance:     61.00 EUR on 2026-06-13" in out


def test_refusals_are_one_sentence(books):
    one_error(books("report", "bank-reconciliation", "--journal", "SAL"),
              "journal SAL is not a bank journal")
    one_error(books("report", "bank-reconciliation", "--journal", "NOPE"), "unknown journal")
    one_error(books("report", "partner-ledger", "Nobody"), "unknown partner 'Nobody'")
    one_error(books("report", "aged-payable", "--date", "30/06/2026"), "is not a date")


def test_ageing_at_the_dawn_of_the_calendar_is_one_sentence(acme: Cli) -> None:
    """The buckets reach 90 days back: before 0001-04-01 no date can say where they start."""
    for report in ("aged-receivable", "aged-payable"):
        one_error(acme("report", report, "--date", "0001-01-01"),
                  "0001-01-01 is too early to age items at", "0001-04-01")
        assert acme("report", report, "--date", "0001-04-01")[0] == 0
