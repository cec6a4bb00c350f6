"""The Reports pages: each report's figures on the page and in its CSV, dates, roles."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest

from booksync.app.banking import add_bank_account
from booksync.app.context import open_books
from booksync.app.entries import add_entry
from booksync.app.masterdata import add_partner
from booksync.app.statements import add_line
from booksync.ledger.entries import LineInput
from booksync.statements.manual import ManualLine
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

D = Decimal
QUARTER = [
    ("MISC", "2026-01-01", [("1200", "10000", "0", None, None),
                            ("3000", "0", "10000", None, None)]),
    ("SAL", "2026-01-10", [("1100", "1190", "0", "Bob", None), ("4000", "0", "1000", None, None),
                           ("2100", "0", "190", None, None)]),
    ("PUR", "2026-01-20", [("6100", "800", "0", None, None), ("1600", "152", "0", None, None),
                           ("2000", "0", "952", "Vendo", None)]),
    ("MISC", "2026-02-05", [("1200", "500", "0", None, None), ("1100", "0", "500", "Bob", None)]),
    ("MISC", "2026-02-28", [("6000", "2500.50", "0", None, None),
                            ("1200", "0", "2500.50", None, "=SUM(A1)")]),
]


def book_quarter(web: Web) -> None:
    """A quarter of Acme's books (posted), one draft that reports leave out, a bank
    journal with one unreconciled statement line of 250.00; Globex gets one entry."""
    with open_books(web.engine, "Acme Ltd") as books:
        add_partner(books, "Bob")
        add_partner(books, "Vendo")
        for journal, day, lines in QUARTER:
            add_entry(books, journal=journal, date=dt.date.fromisoformat(day), post=True,
                      lines=[LineInput(a, debit=D(d), credit=D(c), partner=p, label=label)
                             for a, d, c, p, label in lines])
        add_entry(books, journal="MISC", date=dt.date(2026, 2, 15),
                  lines=[LineInput("6600", debit=D(999)), LineInput("1200", credit=D(999))])
        add_bank_account(books, "DE89370400440532013000", "Sparkasse")
        add_line(books, ManualLine("BNK1", dt.date(2026, 3, 1), D("250.00"), "SEPA Bob"))
    with open_books(web.engine, "Globex GmbH") as books:
        add_entry(books, journal="MISC", date=dt.date(2026, 1, 5), post=True,
                  lines=[LineInput("1200", debit=D("77777.77")),
                         LineInput("3000", credit=D("77777.77"))])


@pytest.fixture
def booked(web: Web) -> Web:
    book_quarter(web)
    return web


def rows_of(text: str) -> list[list[str]]:
    """The cells of every table row of a page, as text."""
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", text, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        found.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return found


def facts_of(text: str) -> dict[str, str]:
    pairs = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", text, re.S)
    return {html.unescape(k).strip(): html.unescape(re.sub(r"<[^>]+>", "", v)).strip()
            for k, v in pairs}


def csv_rows(client: Client, path: str) -> list[list[str]]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.csv"')
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_reports_page_lists_every_report(booked: Web) -> None:
    page = booked.sign_in(VIEWER).get("/reports")
    assert page.status_code == 200
    for title in ("Trial balance", "Balance sheet", "Profit and loss", "General ledger",
                  "Aged receivables", "Aged payables", "Bank reconciliation"):
        assert title in page.text
    assert 'class="active" aria-current="page">Reports<' in page.text


def test_trial_balance_page_and_csv_show_the_same_figures(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    page = client.get("/reports/trial-balance")
    assert page.status_code == 200
    rows = rows_of(page.text)
    assert rows[0] == ["Account", "Name", "Debit", "Credit", "Balance"]
    assert ["1200", "Bank", "10,500.00", "2,500.50", "7,999.50"] in rows
    assert ["1100", "Accounts Receivable", "1,190.00", "500.00", "690.00"] in rows
    assert rows[-1] == ["", "Total", "15,392.50", "15,392.50", ""]
    assert "6600" not in page.text  # the draft is not in the books yet
    assert '<td class="num">7,999.50</td>' in page.text
    assert '<input id="date_from" type="date"' in page.text
    assert 'href="/reports/trial-balance?format=csv"' in page.text

    table = csv_rows(client, "/reports/trial-balance?format=csv")
    assert table[0] == ["Account", "Name", "Debit", "Credit", "Balance"]
    assert ["1200", "Bank", "10500.00", "2500.50", "7999.50"] in table
    assert table[-1] == ["", "Total", "15392.50", "15392.50", ""]
    shown = {r[0]: r[2:] for r in rows[1:-1]}
    written = {r[0]: r[2:] for r in table[1:-1]}
    assert {k: [v.replace(",", "") for v in vs] for k, vs in shown.items()} == written


def test_a_period_narrows_the_trial_balance(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    page = client.get("/reports/trial-balance?date_from=2026-02-01&date_to=2026-02-28")
    rows = rows_of(page.text)
    assert ["1200", "Bank", "500.00", "2,500.50", "-2,000.50"] in rows
    assert rows[-1] == ["", "Total", "3,000.50", "3,000.50", ""]
    assert 'value="2026-02-01"' in page.text
    table = csv_rows(client, "/reports/trial-balance?date_from=2026-02-01&date_to=2026-02-28"
                             "&format=csv")
    assert table[-1] == ["", "Total", "3000.50", "3000.50", ""]


def test_balance_sheet_and_profit_and_loss(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    page = client.get("/reports/balance-sheet?date=2026-12-31")
    assert page.status_code == 200
    rows, facts = rows_of(page.text), facts_of(page.text)
    assert ["", "Total assets", "8,841.50"] in rows
    assert ["", "Total liabilities", "1,142.00"] in rows
    assert ["", "Total equity", "10,000.00"] in rows
    assert facts["Current result"] == "-2,300.50"
    assert facts["Total liabilities and equity"] == "8,841.50"
    assert facts["Balanced"] == "yes"
    table = csv_rows(client, "/reports/balance-sheet?date=2026-12-31&format=csv")
    assert ["Assets"] in table and ["", "Total assets", "8841.50"] in table
    assert ["Current result", "-2300.50"] in table  # a negative number is no formula

    early = facts_of(client.get("/reports/balance-sheet?date=2026-01-05").text)
    assert early["Total liabilities and equity"] == "10,000.00"

    pl = client.get("/reports/profit-and-loss?date_from=2026-01-01&date_to=2026-03-31")
    assert ["4000", "Sales", "1,000.00"] in rows_of(pl.text)
    assert ["", "Total expenses", "3,300.50"] in rows_of(pl.text)
    assert facts_of(pl.text)["Net result"] == "-2,300.50"
    table = csv_rows(client, "/reports/profit-and-loss?date_from=2026-01-01&format=csv")
    assert ["6000", "Salaries", "2500.50"] in table and ["Net result", "-2300.50"] in table


def test_general_ledger_of_one_account(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    first = client.get("/reports/general-ledger")
    assert first.status_code == 200 and "Choose an account to see its ledger." in first.text
    assert '<option value="1200">1200 Bank</option>' in first.text
    page = client.get("/reports/general-ledger?account=1200&date_from=2026-02-01")
    facts, rows = facts_of(page.text), rows_of(page.text)
    assert facts["Opening balance"] == "10,000.00"
    assert facts["Closing balance"] == "7,999.50"
    assert ["2026-02-05", "MISC/2026/00002", "MISC", "", "", "500.00", "0.00", "10,500.00"] \
        in rows
    assert "/entries?number=MISC%2F2026%2F00002" in page.text
    table = csv_rows(client, "/reports/general-ledger?account=1200&date_from=2026-02-01"
                             "&format=csv")
    assert ["Opening balance", "10000.00"] in table
    # A label a spreadsheet would run as a formula stays text.
    assert ["2026-02-28", "MISC/2026/00003", "MISC", "'=SUM(A1)", "", "0.00", "2500.50",
            "7999.50"] in table
    missing = client.get("/reports/general-ledger?account=9999")
    assert missing.status_code == 422 and "unknown account" in missing.text


def test_aged_receivables_and_payables(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    page = client.get("/reports/aged-receivables?date=2026-03-31")
    rows = rows_of(page.text)
    assert rows[0] == ["Partner", "Current", "1-30", "31-60", "61-90", "Over 90", "Total"]
    assert ["Bob", "0.00", "0.00", "-500.00", "1,190.00", "0.00", "690.00"] in rows
    assert '<input id="date" type="date" name="date" value="2026-03-31">' in page.text
    table = csv_rows(client, "/reports/aged-receivables?date=2026-03-31&format=csv")
    assert ["Bob", "0.00", "0.00", "-500.00", "1190.00", "0.00", "690.00"] in table
    assert table[-1] == ["Total", "0.00", "0.00", "-500.00", "1190.00", "0.00", "690.00"]
    payable = rows_of(client.get("/reports/aged-payables?date=2026-03-31").text)
    assert ["Vendo", "0.00", "0.00", "0.00", "952.00", "0.00", "952.00"] in payable


def test_bank_reconciliation(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    page = client.get("/reports/bank-reconciliation")  # the first bank journal
    assert page.status_code == 200
    facts = facts_of(page.text)
    assert facts["Balance in the books"] == "250.00"
    assert facts["Unreconciled lines"] == "1"
    assert facts["Unreconciled total"] == "250.00"
    assert facts["Outstanding payments"] == "0.00"
    assert facts["Bank's last balance"] == "unknown"
    table = csv_rows(client, "/reports/bank-reconciliation?journal=BNK1&format=csv")
    assert ["Balance in the books", "250.00"] in table and ["Unreconciled lines", "1"] in table
    wrong = client.get("/reports/bank-reconciliation?journal=SAL")
    assert wrong.status_code == 422 and "not a bank journal" in wrong.text


def test_bad_dates_are_shown_next_to_the_form(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    page = client.get("/reports/trial-balance?date_from=2026-02-30")
    assert page.status_code == 422
    assert "date_from: &#39;2026-02-30&#39; is not a date (YYYY-MM-DD)" in page.text
    assert '<form method="get" action="/reports/trial-balance"' in page.text
    backwards = client.get("/reports/profit-and-loss?date_from=2026-03-01&date_to=2026-01-01")
    assert backwards.status_code == 422 and "is after date_to" in backwards.text
    assert client.get("/reports/balance-sheet?date=soon&format=csv").status_code == 422
    assert client.get("/reports/no-such-report").status_code == 404


def test_empty_dates_from_the_form_count_as_not_given(booked: Web) -> None:
    page = booked.sign_in(VIEWER).get("/reports/trial-balance?date_from=&date_to=")
    assert page.status_code == 200 and ["", "Total", "15,392.50", "15,392.50", ""] \
        in rows_of(page.text)


@pytest.mark.parametrize("email", [VIEWER, ACCOUNTANT, ADMIN])
def test_every_role_of_acme_reads_the_reports(booked: Web, email: str) -> None:
    client = booked.sign_in(email)
    for slug in ("trial-balance", "balance-sheet", "profit-and-loss", "aged-receivables",
                 "aged-payables", "bank-reconciliation"):
        answer = client.get(f"/reports/{slug}?company=Acme Ltd")
        assert answer.status_code == 200, (slug, answer.text)
    assert "10,500.00" in client.get("/reports/trial-balance?company=Acme Ltd").text


def test_the_outsider_never_sees_acme(booked: Web) -> None:
    client = booked.sign_in(OUTSIDER)
    own = client.get("/reports/trial-balance")
    assert own.status_code == 200 and "77,777.77" in own.text and "10,500.00" not in own.text
    for path in ("/reports/trial-balance?company=Acme Ltd",
                 "/reports/trial-balance?company=Acme Ltd&format=csv",
                 "/reports/general-ledger?account=1200&company=Acme Ltd"):
        answer = client.get(path)
        assert answer.status_code == 404 and "10500" not in answer.text
    assert "10500" not in client.get("/reports/trial-balance?format=csv").text


def test_reports_need_a_signed_in_user(booked: Web) -> None:
    answer = booked.client().get("/reports/trial-balance?format=csv")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
