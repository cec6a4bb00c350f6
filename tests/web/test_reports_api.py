"""``/api/v1/reports/...``: the shapes of ``booksync report ... --json``, bad input, roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from booksync.app import reports
from booksync.app.context import open_books
from booksync.app.shapes import as_json
from booksync.app.users import create_token
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Web
from tests.web.test_reports_pages import book_quarter

D1, D2 = dt.date(2026, 2, 1), dt.date(2026, 3, 31)


@pytest.fixture
def booked(web: Web) -> Web:
    book_quarter(web)
    return web


def expected(web: Web) -> dict[str, Any]:
    """What ``booksync report ... --json`` prints: the use cases' dicts and as_json."""
    with open_books(web.engine, "Acme Ltd") as books:
        return {
            "trial-balance?date_from=2026-02-01&date_to=2026-03-31":
                reports.trial_balance(books, D1, D2).as_dict(),
            "trial-balance": reports.trial_balance(books).as_dict(),
            "balance-sheet?date=2026-03-31": reports.balance_sheet(books, D2).as_dict(),
            "profit-and-loss?date_from=2026-02-01":
                reports.profit_loss(books, D1, None).as_dict(),
            "general-ledger?account=1200&date_to=2026-03-31":
                reports.account_ledger(books, "1200", None, D2).as_dict(),
            "aged-receivables?date=2026-03-31": as_json(reports.aged_receivable(books, D2)),
            "aged-payables?date=2026-03-31": as_json(reports.aged_payable(books, D2)),
            "bank-reconciliation?journal=BNK1": as_json(reports.bank_reconciliation(books,
                                                                                  "BNK1")),
        }


def test_every_report_answers_the_shape_of_the_command_line(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    for path, data in expected(booked).items():
        answer = client.get(f"/api/v1/reports/{path}")
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json() == data, path
    # A few figures by hand, so that the comparison above compares something.
    tb = client.get("/api/v1/reports/trial-balance?date_from=2026-02-01").json()
    assert tb["total_debit"] == tb["total_credit"] == "3250.50"
    sheet = client.get("/api/v1/reports/balance-sheet?date=2026-03-31").json()
    assert sheet["total_assets"] == "8841.50" and sheet["balanced"] is True
    aged = client.get("/api/v1/reports/aged-receivables?date=2026-03-31").json()
    assert aged["partners"] == [{"partner": "Bob", "current": "0.00", "1-30": "0.00",
                                 "31-60": "-500.00", "61-90": "1190.00", "over_90": "0.00",
                                 "total": "690.00"}]
    bank = client.get("/api/v1/reports/bank-reconciliation?journal=BNK1").json()
    assert bank == {"journal": "BNK1", "book_balance": "250.00", "bank_balance": None,
                    "bank_balance_date": None, "unreconciled_lines": 1,
                    "unreconciled_total": "250.00", "outstanding_payments": "0.00"}


@pytest.mark.parametrize("path", [
    "trial-balance?date_from=2026-13-01",
    "trial-balance?date_to=yesterday",
    "balance-sheet?date=2026-02-30",
    "profit-and-loss?date_from=2026-03-01&date_to=2026-01-01",
    "general-ledger?account=1200&date_from=01/02/2026",
    "aged-payables?date=" + "9" * 40,
    "general-ledger",
    "bank-reconciliation",
])
def test_bad_input_is_a_422_in_json(booked: Web, path: str) -> None:
    answer = booked.sign_in(VIEWER).get(f"/api/v1/reports/{path}")
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid" and error["message"]


def test_unknown_names_are_404_or_refused(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    unknown = client.get("/api/v1/reports/general-ledger?account=9999")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    sales = client.get("/api/v1/reports/bank-reconciliation?journal=SAL")
    assert sales.status_code == 422 and "not a bank journal" in sales.json()["error"]["message"]
    assert client.get("/api/v1/reports/cash-flow").status_code == 404


def test_a_date_written_as_the_date_picker_sends_it(booked: Web) -> None:
    client = booked.sign_in(VIEWER)
    same = client.get("/api/v1/reports/trial-balance?date_from=&date_to=").json()
    assert same == client.get("/api/v1/reports/trial-balance").json()


@pytest.mark.parametrize("email", [VIEWER, ACCOUNTANT, ADMIN])
def test_every_role_of_acme_reads_reports(booked: Web, email: str) -> None:
    answer = booked.sign_in(email).get("/api/v1/reports/trial-balance?company=Acme Ltd")
    assert answer.status_code == 200 and answer.json()["company"] == "Acme Ltd"


def test_the_outsider_never_sees_acme(booked: Web) -> None:
    client = booked.sign_in(OUTSIDER)
    own = client.get("/api/v1/reports/trial-balance").json()
    with open_books(booked.engine, "Globex GmbH") as books:
        assert own == reports.trial_balance(books).as_dict()
    assert own["company"] == "Globex GmbH" and own["total_debit"] == "77777.77"
    for path in ("trial-balance", "balance-sheet", "bank-reconciliation?journal=BNK1",
                 "general-ledger?account=1200"):
        sep = "&" if "?" in path else "?"
        answer = client.get(f"/api/v1/reports/{path}{sep}company=Acme Ltd")
        assert answer.status_code == 404, path
        assert "10500" not in answer.text


def test_a_program_reads_reports_with_a_token_and_nobody_without(booked: Web) -> None:
    token = create_token(booked.engine, VIEWER, "reports").token
    client = booked.client()
    answer = client.get("/api/v1/reports/profit-and-loss",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["net_result"] == "-2300.50"
    anonymous = client.get("/api/v1/reports/profit-and-loss")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
