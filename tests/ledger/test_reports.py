"""Reports: trial balance, balance sheet, profit and loss, account ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from booksync.ledger.entries import EntryInput, get_entry, reverse_entry
from booksync.ledger.errors import NotFound
from booksync.ledger.models import Company
from booksync.ledger.partners import add_partner
from booksync.ledger.reports import account_ledger, balance_sheet, profit_loss, trial_balance
from booksync.money import to_minor
from tests.helpers import book, entry

TYPES = {"1": "asset", "2": "liability", "3": "equity", "4": "income",
         "5": "expense", "6": "expense", "7": "expense"}

# (journal, date, lines) — a small quarter of a company
ACTIVITY: list[EntryInput] = [
    entry("MISC", "2026-01-01", ("1200", "10000", "0"), ("3000", "0", "10000")),
    entry("SAL", "2026-01-10", ("1100", "1190", "0", "Bob"), ("4000", "0", "1000", "Bob"),
          ("2100", "0", "190")),
    entry("PUR", "2026-01-20", ("6100", "800", "0"), ("1600", "152", "0"),
          ("2000", "0", "952")),
    entry("MISC", "2026-02-05", ("1200", "1190", "0", "Bob"), ("1100", "0", "1190", "Bob")),
    entry("MISC", "2026-02-28", ("6000", "2500.50", "0"), ("1200", "0", "2500.50")),
    entry("SAL", "2026-03-15", ("1100", "595", "0"), ("4100", "0", "500"), ("2100", "0", "95")),
    entry("MISC", "2026-03-31", ("6500", "12.34", "0"), ("1200", "0", "12.34")),
]
DRAFT = entry("MISC", "2026-02-15", ("6600", "999", "0"), ("1200", "0", "999"))


@pytest.fixture
def booked(session: Session, company: Company) -> list[EntryInput]:
    add_partner(session, company, "Bob")
    session.commit()
    for data in ACTIVITY:
        book(session, company, data)
    book(session, company, DRAFT, post=False)
    return ACTIVITY


def expected_sums(
    entries: list[EntryInput], date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[str, list[int]]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        if (date_from and e.date < date_from) or (date_to and e.date > date_to):
            continue
        for ln in e.lines:
            sums[ln.account][0] += to_minor(ln.debit, 2)
            sums[ln.account][1] += to_minor(ln.credit, 2)
    return dict(sums)


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(None, None), ("2026-02-01", None), (None, "2026-01-31"), ("2026-02-05", "2026-02-28"),
     ("2026-01-10", "2026-01-10"), ("2027-01-01", None)],
)
def test_trial_balance(
    session: Session, company: Company, booked: list[EntryInput],
    date_from: str | None, date_to: str | None,
) -> None:
    d_from = dt.date.fromisoformat(date_from) if date_from else None
    d_to = dt.date.fromisoformat(date_to) if date_to else None
    tb = trial_balance(session, company, d_from, d_to)
    expected = expected_sums(booked, d_from, d_to)
    assert {r.code: [r.debit, r.credit] for r in tb.rows} == expected
    assert [r.code for r in tb.rows] == sorted(expected)
    assert tb.total_debit == tb.total_credit == sum(d for d, _ in expected.values())

    data = tb.as_dict()
    assert list(data) == ["company", "currency", "date_from", "date_to", "rows",
                          "total_debit", "total_credit"]
    assert (data["company"], data["currency"]) == ("Acme Ltd", "EUR")
    assert (data["date_from"], data["date_to"]) == (date_from, date_to)
    for row in data["rows"]:
        assert list(row) == ["account", "name", "debit", "credit", "balance"]
        d, c = expected[row["account"]]
        assert Decimal(row["debit"]) == Decimal(d) / 100
        assert Decimal(row["credit"]) == Decimal(c) / 100
        assert Decimal(row["balance"]) == Decimal(d - c) / 100
        assert all(len(row[k].split(".")[1]) == 2 for k in ("debit", "credit", "balance"))
    assert Decimal(data["total_debit"]) == Decimal(tb.total_debit) / 100
    assert data["total_debit"] == data["total_credit"]


def test_trial_balance_formats_amounts(session: Session, company: Company,
                                       booked: list[EntryInput]) -> None:
    rows = {r["account"]: r for r in trial_balance(session, company).as_dict()["rows"]}
    assert rows["6500"] == {"account": "6500", "name": "Bank Fees", "debit": "12.34",
                            "credit": "0.00", "balance": "12.34"}
    assert rows["3000"]["balance"] == "-10000.00"
    assert "6600" not in rows  # only on a draft


def test_balance_sheet_equation(session: Session, company: Company,
                                booked: list[EntryInput]) -> None:
    for day in (None, dt.date(2026, 1, 15), dt.date(2026, 2, 28), dt.date(2025, 12, 31)):
        bs = balance_sheet(session, company, day)
        sums = expected_sums(booked, None, day)
        natural: dict[str, int] = defaultdict(int)
        for code, (d, c) in sums.items():
            kind = TYPES[code[0]]
            natural[kind] += d - c if kind in ("asset", "expense") else c - d
        assert bs.assets.total == natural["asset"]
        assert bs.liabilities.total == natural["liability"]
        assert bs.equity.total == natural["equity"]
        assert bs.current_result == natural["income"] - natural["expense"]
        assert bs.assets.total == (bs.liabilities.total + bs.equity.total + bs.current_result)
        assert bs.balanced
        data = bs.as_dict()
        assert data["balanced"] is True
        assert data["total_assets"] == data["total_liabilities_and_equity"]
        assert data["date"] == (day.isoformat() if day else None)
        assert {r["account"] for r in data["assets"]["rows"]} == {
            c for c in sums if c[0] == "1"}


def test_balance_sheet_numbers(session: Session, company: Company,
                               booked: list[EntryInput]) -> None:
    data = balance_sheet(session, company).as_dict()
    # income 1500 - expenses (800 + 2500.50 + 12.34) = -1812.84
    assert data["current_result"] == "-1812.84"
    assert data["equity"]["total"] == "10000.00"
    # liabilities: VAT payable 285 + payable 952
    assert data["liabilities"]["total"] == "1237.00"
    assert data["total_assets"] == "9424.16"


def test_profit_and_loss(session: Session, company: Company, booked: list[EntryInput]) -> None:
    pl = profit_loss(session, company)
    assert {r.code: r.natural for r in pl.income.rows} == {"4000": 100000, "4100": 50000}
    assert {r.code: r.natural for r in pl.expenses.rows} == {
        "6000": 250050, "6100": 80000, "6500": 1234}
    assert pl.net_result == 150000 - 331284
    data = pl.as_dict()
    assert data["net_result"] == "-1812.84"
    assert data["income"]["total"] == "1500.00"
    assert data["expenses"]["total"] == "3312.84"
    q1_feb = profit_loss(session, company, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert q1_feb.income.rows == []
    assert q1_feb.net_result == -250050
    jan = profit_loss(session, company, None, dt.date(2026, 1, 31))
    assert jan.net_result == 100000 - 80000
    # the P&L result equals the balance sheet's current result
    result = balance_sheet(session, company).current_result
    assert profit_loss(session, company).net_result == result


def test_account_ledger(session: Session, company: Company, booked: list[EntryInput]) -> None:
    led = account_ledger(session, company, "1200")
    moves = [
        (e.date, to_minor(ln.debit, 2), to_minor(ln.credit, 2))
        for e in booked for ln in e.lines if ln.account == "1200"
    ]
    assert [(ln.date, ln.debit, ln.credit) for ln in led.lines] == moves
    running = 0
    for ln in led.lines:
        running += ln.debit - ln.credit
        assert ln.balance == running
        assert ln.number is not None and ln.number.startswith(ln.journal + "/2026/")
    assert led.opening == 0
    assert led.closing == running == 10000_00 + 1190_00 - 2500_50 - 12_34
    assert led.lines[1].partner == "Bob"

    data = led.as_dict()
    assert data["account"] == "1200" and data["name"] == "Bank"
    assert data["opening_balance"] == "0.00"
    assert data["closing_balance"] == "8677.16"
    assert [ln["balance"] for ln in data["lines"]] == [
        "10000.00", "11190.00", "8689.50", "8677.16"]


def test_account_ledger_opening_balance_with_date_from(
    session: Session, company: Company, booked: list[EntryInput]
) -> None:
    full = account_ledger(session, company, "1200")
    cut = dt.date(2026, 2, 28)
    part = account_ledger(session, company, "1200", cut)
    before = [ln for ln in full.lines if ln.date < cut]
    assert part.opening == before[-1].balance == 11190_00
    assert [ln.balance for ln in part.lines] == [
        ln.balance for ln in full.lines if ln.date >= cut]
    assert part.closing == full.closing
    window = account_ledger(session, company, "1200", dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert window.opening == 10000_00
    assert [ln.balance for ln in window.lines] == [11190_00, 8689_50]
    assert window.closing == 8689_50
    empty = account_ledger(session, company, "1200", dt.date(2027, 1, 1))
    assert empty.lines == [] and empty.opening == empty.closing == full.closing
    assert account_ledger(session, company, "1300").closing == 0
    with pytest.raises(NotFound, match="unknown account"):
        account_ledger(session, company, "9999")


def test_reversal_in_reports(session: Session, company: Company,
                             booked: list[EntryInput]) -> None:
    tb_before = trial_balance(session, company)
    # reverse the payroll: salaries vanish from the P&L, bank goes back up
    payroll = get_entry(session, company, "MISC/2026/00003")
    assert payroll.date == dt.date(2026, 2, 28)
    reverse_entry(session, company, payroll, dt.date(2026, 3, 1))
    session.commit()
    tb = trial_balance(session, company)
    assert tb.total_debit == tb.total_credit == tb_before.total_debit + 2500_50
    assert {r.code: r.balance for r in tb.rows}["6000"] == 0
    salaries = [r for r in profit_loss(session, company).expenses.rows if r.code == "6000"]
    assert [(r.debit, r.credit, r.natural) for r in salaries] == [(2500_50, 2500_50, 0)]
    assert profit_loss(session, company).net_result == 150000 - 80000 - 1234
    assert balance_sheet(session, company).balanced
    feb = trial_balance(session, company, None, dt.date(2026, 2, 28))
    assert {r.code: r.balance for r in feb.rows}["6000"] == 2500_50
