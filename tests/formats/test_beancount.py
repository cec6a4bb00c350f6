"""Beancount export and import, checked against Beancount itself.

The exported file must pass the real ``bean-check``; an import must leave a
trial balance equal to the one Beancount computes from the same file; a file
Beancount or the ledger rules refuse must leave the database as it was.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data, realization
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.cli.main import run
from booksync.formats.beancount_export import account_component, export_beancount
from booksync.formats.beancount_import import import_beancount
from booksync.ledger.accounts import add_account
from booksync.ledger.companies import create_company
from booksync.ledger.entries import EntryInput, LineInput, add_entries, get_entry, reverse_entry
from booksync.ledger.errors import LedgerError
from booksync.ledger.models import Account, Company, Entry, Line, Partner
from booksync.ledger.partners import add_partner
from booksync.ledger.reports import trial_balance
from booksync.money import to_minor

D = Decimal
BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def line(account: str, debit: str = "0", credit: str = "0", partner: str | None = None,
         label: str | None = None) -> LineInput:
    return LineInput(account, D(debit), D(credit), partner, label)


def books(session: Session, company: Company) -> None:
    """Varied posted books: partners, several journals, two years, a reversal, a draft."""
    add_partner(session, company, "Northwind Traders")
    add_partner(session, company, 'Contoso "Quoted" \\ Co')
    add_partner(session, company, "Unused Partner")
    add_account(session, company, "4150", "Consulting \u2013 Spécial/Ünïcode", "income")
    add_account(session, company, "71", "00 Fees", "expense")  # component 71-00-Fees
    add_account(session, company, "71-00", "Fees", "expense")  # the same component
    add_account(session, company, "petty", "cash box", "asset")
    day = dt.date.fromisoformat
    entries = [
        EntryInput("MISC", day("2025-12-01"), (
            line("1200", "25000.00"), line("3000", credit="25000.00"),
        ), "Founding capital"),
        EntryInput("SAL", day("2025-12-15"), (
            line("1100", "1190.00", partner="Northwind Traders"),
            line("4000", credit="1000.00", partner="Northwind Traders"),
            line("2100", credit="190.00", partner="Northwind Traders"),
        ), "INV/2025/0001"),
        EntryInput("PUR", day("2026-01-05"), (
            line("6300", "84.03", partner='Contoso "Quoted" \\ Co',
                 label='toner "black" and paper'),
            line("1600", "15.97", partner='Contoso "Quoted" \\ Co'),
            line("2000", credit="100.00", partner='Contoso "Quoted" \\ Co'),
        )),
        EntryInput("SAL", day("2026-01-10"), (
            line("1100", "595.00", partner="Northwind Traders"),
            line("4150", credit="500.00"),
            line("2100", credit="95.00"),
        ), "INV/2026/0001"),
        EntryInput("MISC", day("2026-01-20"), (
            line("71", "3.10"), line("71-00", "1.90"), line("petty", "20.00"),
            line("1200", credit="25.00", label="fees and petty cash"),
        )),
        EntryInput("MISC", day("2026-01-31"), (
            line("1200", "1190.00"), line("1100", credit="1190.00", partner="Northwind Traders"),
        ), "Payment INV/2025/0001"),
    ]
    add_entries(session, company, entries, post=True)
    add_entries(session, company, [EntryInput("MISC", day("2026-02-01"), (
        line("6100", "999.00"), line("1200", credit="999.00"),
    ), "Draft rent")], post=False)
    reverse_entry(session, company, get_entry(session, company, "SAL/2026/00001"),
                  day("2026-02-02"))
    session.commit()


def tb(session: Session, company: Company) -> dict[str, tuple[int, int]]:
    return {r.code: (r.debit, r.credit) for r in trial_balance(session, company).rows}


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Account, Partner, Entry, Line)
    )


def bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    assert BEAN_CHECK.exists(), f"bean-check not found next to {sys.executable}"
    return subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True,
                          timeout=120, check=False)


def beancount_totals(path: Path) -> dict[str, Decimal]:
    """Per-account EUR balances as Beancount's own realization computes them."""
    entries, errors, _ = loader.load_file(str(path))
    assert not errors
    root = realization.realize(entries)
    totals = {}
    for real in realization.iter_children(root):
        number = real.balance.get_currency_units("EUR").number
        if number:
            totals[real.account] = number
    return totals


def test_round_trip_through_bean_check(session, company, tmp_path):
    books(session, company)
    posted = session.scalar(
        select(func.count()).where(Entry.company_id == company.id, Entry.state == "posted")
    )
    path = tmp_path / "acme.beancount"
    with path.open("w", encoding="utf-8") as out:
        written = export_beancount(session, company, out)
    assert written == posted == 7

    checked = bean_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    entries, errors, options = loader.load_file(str(path))
    assert not errors and options["operating_currency"] == ["EUR"]
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    numbers = set(session.scalars(select(Entry.number).where(
        Entry.company_id == company.id, Entry.state == "posted")))
    uids = {str(u) for u in session.scalars(select(Entry.uid).where(
        Entry.company_id == company.id, Entry.state == "posted"))}
    assert {t.meta["number"] for t in txns} == numbers
    assert {t.meta["booksync_uid"] for t in txns} == uids
    by_number = {t.meta["number"]: t for t in txns}
    invoice = by_number["SAL/2025/00001"]
    assert (invoice.flag, invoice.payee, invoice.narration) == ("*", "Northwind Traders",
                                                                 "INV/2025/0001")
    bill = by_number["PUR/2026/00001"]
    assert bill.payee == 'Contoso "Quoted" \\ Co' and bill.narration == "PUR/2026/00001"
    assert bill.postings[0].meta["label"] == 'toner "black" and paper'
    assert by_number["SAL/2026/00002"].narration == "Reversal of SAL/2026/00001"
    opens = {e.account: e for e in entries if isinstance(e, data.Open)}
    assert "Assets:1200-Bank" in opens and "Income:4150-Consulting-Special-Unicode" in opens
    assert {"Expenses:71-00-Fees", "Expenses:71-00-Fees-2"} <= set(opens)
    assert "Assets:Petty-cash-box" in opens
    assert "Expenses:6100-Rent" not in opens  # only the draft used it
    first_use = {p.account: t.date for t in reversed(txns) for p in t.postings}
    assert all(opens[a].date <= d for a, d in first_use.items())

    copy = create_company(session, "Acme Copy", "EUR", "DE")
    summary = import_beancount(session, copy, path)
    session.commit()
    assert summary.entries_imported == 7
    assert summary.accounts_created == 4  # 4150, 71, 71-00, petty: the rest is the chart
    assert summary.partners_created == 2
    assert tb(session, copy) == tb(session, company)
    names = {code: name for code, name in session.execute(
        select(Account.code, Account.name).where(Account.company_id == copy.id))}
    assert names["4150"] == "Consulting \u2013 Spécial/Ünïcode" and names["71-00"] == "Fees"
    imported = session.scalars(select(Entry).where(Entry.company_id == copy.id)).all()
    assert {e.state for e in imported} == {"posted"}
    assert {e.journal.code for e in imported} == {"MISC"}
    assert "INV/2025/0001" in {e.ref for e in imported}


def test_closed_accounts_round_trip(session, company, tmp_path):
    """An inactive account is closed in the export, and a closed one comes back inactive."""
    books(session, company)
    petty = session.scalars(select(Account).where(
        Account.company_id == company.id, Account.code == "petty")).one()
    petty.active = False
    session.commit()
    path = tmp_path / "closed.beancount"
    with path.open("w", encoding="utf-8") as out:
        export_beancount(session, company, out)
    checked = bean_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    entries, _, _ = loader.load_file(str(path))
    closes = [(e.date, e.account) for e in entries if isinstance(e, data.Close)]
    assert closes == [(dt.date(2026, 1, 20), "Assets:Petty-cash-box")]  # its last posting

    copy = create_company(session, "Acme Copy", "EUR", "DE")
    summary = import_beancount(session, copy, path)
    session.commit()
    assert summary.accounts_closed == 1
    active = {code: on for code, on in session.execute(
        select(Account.code, Account.active).where(Account.company_id == copy.id))}
    assert active["petty"] is False
    assert [code for code, on in active.items() if not on] == ["petty"]
    assert tb(session, copy) == tb(session, company)  # booked before it was closed
    with pytest.raises(LedgerError, match="inactive"):
        add_entries(session, copy, [EntryInput("MISC", dt.date(2026, 3, 1), (
            line("petty", "1.00"), line("1200", credit="1.00")))], post=True)


def test_export_of_empty_books_is_valid(session, company, tmp_path):
    path = tmp_path / "empty.beancount"
    with path.open("w", encoding="utf-8") as out:
        assert export_beancount(session, company, out) == 0
    assert bean_check(path).returncode == 0


def test_account_components_are_valid_beancount(session, company):
    assert account_component("1200", "Bank") == "1200-Bank"
    assert account_component("x", "") == "X"
    assert account_component("", "") == "Account"
    assert account_component("_9", "!!") == "9"
    assert account_component("ÿ", "Ärger") == "Y-Arger"


LEDGER = """\
option "operating_currency" "EUR"

2025-12-01 commodity EUR
2025-12-01 open Assets:1200-Bank
2025-12-01 open Assets:Bank:Checking EUR
2025-12-01 open Equity:3900-Opening-Balance-Equity
2025-12-01 open Expenses:6150-Office-Snacks
2025-12-01 open Expenses:Food:Groceries
2025-12-01 open Income:4000-Sales
2025-12-01 open Liabilities:CreditCard:Visa
2025-12-01 open Assets:Unused

2025-12-02 pad Assets:Bank:Checking Equity:3900-Opening-Balance-Equity
2025-12-03 balance Assets:Bank:Checking  1500.00 EUR

2025-12-05 * "Corner Shop" "Groceries"
  Expenses:Food:Groceries   23.45 EUR
  Liabilities:CreditCard:Visa

2025-12-06 ! "Corner Shop" "Snacks for the office"
  Expenses:6150-Office-Snacks  7.10 EUR
  Expenses:Food:Groceries      2.00 EUR
  Liabilities:CreditCard:Visa

2025-12-10 * "Client AG" "Invoice 17"
  Assets:1200-Bank   1190.00 EUR
  Income:4000-Sales

2025-12-15 price USD 0.92 EUR
2025-12-16 note Assets:Bank:Checking "Called the bank"
2025-12-17 event "location" "Berlin"

2025-12-20 * "Pay the card"
  Liabilities:CreditCard:Visa  32.55 EUR
  Assets:Bank:Checking

2025-12-31 balance Liabilities:CreditCard:Visa  0.00 EUR

2026-01-02 pad Assets:1200-Bank Equity:3900-Opening-Balance-Equity
2026-01-03 balance Assets:1200-Bank  1000.00 EUR

2026-01-04 * "Nothing happened"
  Assets:1200-Bank    0.00 EUR
  Income:4000-Sales   0.00 EUR
"""

CODES = {
    "Assets:1200-Bank": "1200",
    "Assets:Bank:Checking": "Bank.Checking",
    "Equity:3900-Opening-Balance-Equity": "3900",
    "Expenses:6150-Office-Snacks": "6150",
    "Expenses:Food:Groceries": "Food.Groceries",
    "Income:4000-Sales": "4000",
    "Liabilities:CreditCard:Visa": "CreditCard.Visa",
}


def test_import_hand_written_ledger_matches_beancount(session, company, tmp_path):
    path = tmp_path / "hand.beancount"
    path.write_text(LEDGER, encoding="utf-8")
    summary = import_beancount(session, company, path)
    session.commit()
    # pad, groceries, snacks, invoice, card payment, pad; the all-zero one is skipped
    assert summary.entries_imported == 6
    assert summary.accounts_created == 5  # 1200, 3900 and 4000 are the chart's
    assert summary.partners_created == 2

    expected = {CODES[a]: to_minor(n, 2) for a, n in beancount_totals(path).items()}
    assert expected["Bank.Checking"] == 150000 - 3255 and expected["1200"] == 100000
    got = {code: debit - credit for code, (debit, credit) in tb(session, company).items()
           if debit != credit}
    assert tb(session, company)["CreditCard.Visa"] == (3255, 3255)
    assert got == expected

    accounts = {a.code: a for a in session.scalars(
        select(Account).where(Account.company_id == company.id))}
    assert (accounts["Bank.Checking"].name, accounts["Bank.Checking"].type) == (
        "Bank:Checking", "asset")
    assert accounts["6150"].name == "Office Snacks"
    assert accounts["CreditCard.Visa"].type == "liability"
    assert accounts["1200"].name == "Bank"  # reused, not renamed
    assert "Unused" in accounts
    refs = [e.ref for e in session.scalars(
        select(Entry).where(Entry.company_id == company.id).order_by(Entry.date, Entry.id))]
    assert refs[0].startswith("(Padding inserted")
    partner_of_lines = set(session.scalars(
        select(Partner.name).join(Line, Line.partner_id == Partner.id)
        .where(Line.company_id == company.id)))
    assert partner_of_lines == {"Corner Shop", "Client AG"}

    # importing again reuses every account and partner
    again = import_beancount(session, company, path)
    assert (again.accounts_created, again.partners_created, again.entries_imported) == (0, 0, 6)


BAD_FILES = {
    "syntax": (
        'option "operating_currency" "EUR"\n'
        "2026-01-01 open Assets:Cash\n"
        "2026-01-01 open Equity:Opening\n"
        "this line is not beancount\n"
        '2026-01-02 * "ok"\n  Assets:Cash  1.00 EUR\n  Equity:Opening\n',
        r"bad\.beancount:4: Invalid token: 'this' \(the first of {n} errors Beancount found\)",
    ),
    "foreign": (
        'option "operating_currency" "EUR"\n'
        "2026-01-01 open Assets:Cash\n"
        "2026-01-01 open Assets:Broker\n"
        "2026-01-01 open Equity:Opening\n"
        '2026-01-02 * "Shop" "fine"\n  Assets:Cash  1.00 EUR\n  Equity:Opening\n'
        '2026-01-03 * "in dollars"\n  Assets:Broker  10.00 USD\n  Equity:Opening\n',
        r"bad\.beancount:9: the posting on Assets:Broker weighs 10\.00 USD, "
        r"but the company's books are in EUR",
    ),
    "precision": (
        'option "operating_currency" "EUR"\n'
        "2026-01-01 open Assets:Cash\n"
        "2026-01-01 open Equity:Opening\n"
        '2026-01-02 * "Shop" "fine"\n  Assets:Cash  1.00 EUR\n  Equity:Opening\n'
        '2026-01-03 * "too fine"\n  Assets:Cash  1.005 EUR\n  Equity:Opening\n',
        r"bad\.beancount:7: debit: amount 1\.005 has more than 2 decimal places",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_import_errors_leave_the_database_unchanged(session, company, tmp_path, kind):
    text, message = BAD_FILES[kind]
    path = tmp_path / "bad.beancount"
    path.write_text(text, encoding="utf-8")
    before = counts(session)
    n_errors = len(loader.load_file(str(path))[1])
    with pytest.raises(LedgerError, match=message.format(n=n_errors)):
        import_beancount(session, company, path)
    session.rollback()
    assert counts(session) == before


def test_missing_file_is_a_clear_error(session, company, tmp_path):
    with pytest.raises(LedgerError, match="there is no Beancount file at"):
        import_beancount(session, company, tmp_path / "nope.beancount")


def test_account_clashes_are_refused(session, company, tmp_path):
    path = tmp_path / "clash.beancount"
    path.write_text(
        "2026-01-01 open Assets:Current:1200-Bank\n2026-01-01 open Assets:Other:1200-Main\n",
        encoding="utf-8",
    )
    with pytest.raises(LedgerError, match=r"clash\.beancount:2: Assets:Other:1200-Main and "
                                          r"Assets:Current:1200-Bank would both become"):
        import_beancount(session, company, path)
    path.write_text("2026-01-01 open Liabilities:1200-Bank\n", encoding="utf-8")
    with pytest.raises(LedgerError, match="is of type liability but booksync account 1200 is "
                                          "of type asset"):
        import_beancount(session, company, path)


def test_export_is_streamed_in_date_order(session, company):
    """Entries booked out of date order still come out sorted, each once."""
    day = dt.date(2026, 3, 1)
    entries = [
        EntryInput("MISC", day - dt.timedelta(days=n % 7), (
            line("6500", f"{n}.01"), line("1200", credit=f"{n}.01"),
        )) for n in range(1, 40)
    ]
    add_entries(session, company, entries, post=True)
    session.commit()
    out = io.StringIO()
    assert export_beancount(session, company, out) == 39
    entries_read, errors, _ = loader.load_string(out.getvalue())
    assert not errors
    dates = [t.date for t in entries_read if isinstance(t, data.Transaction)]
    header_dates = [dt.date.fromisoformat(ln.split(" ")[0]) for ln in out.getvalue().splitlines()
                    if ln[:1].isdigit() and " * " in ln]
    assert header_dates == sorted(header_dates) and len(dates) == 39
    total = sum(p.units.number for t in entries_read if isinstance(t, data.Transaction)
                for p in t.postings if p.account == "Expenses:6500-Bank-Fees")
    assert total == sum(D(f"{n}.01") for n in range(1, 40))


def test_cli_export_and_import(db_url, session, company, tmp_path, capsys):
    books(session, company)
    path = tmp_path / "cli.beancount"
    assert run(["--db", db_url, "export", "beancount", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"exported 7 transactions to {path}"
    assert not path.with_name(path.name + ".partial").exists()
    assert bean_check(path).returncode == 0

    copy = create_company(session, "Acme Copy", "EUR", "DE")
    session.commit()
    assert run(["--db", db_url, "--company", "Acme Copy", "import", "beancount", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == (
        f"imported 7 entries from {path} (4 new accounts, 2 new partners)"
    )
    session.expire_all()
    assert tb(session, copy) == tb(session, company)


def test_cli_import_error_is_one_sentence_and_all_or_nothing(db_url, session, company,
                                                             tmp_path, capsys):
    text, _ = BAD_FILES["precision"]  # fails after accounts and a first entry are written
    path = tmp_path / "bad.beancount"
    path.write_text(text, encoding="utf-8")
    before = counts(session)
    session.commit()
    assert run(["--db", db_url, "import", "beancount", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert "bad.beancount:7" in captured.err
    assert counts(session) == before
