"""Hostile input to the pages and the API: every bad value is a 4xx with one sentence.

Each test here sends what a careless or hostile caller might (a number past
what the database holds, digits of another script, a date at the edge of
the calendar) and checks the answer is a refusal, never a 500 (docs/web.md,
"Errors").
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import create_engine

from booksync.app.connections import ConnectionView
from booksync.banking.models import BankAccount, Connection, SyncRun
from booksync.db.engine import session_factory
from booksync.documents.models import Invoice, InvoiceType, Payment
from booksync.ledger.models import Journal
from booksync.web.app import WebConfig, create_app
from tests.web.conftest import ACCOUNTANT, ADMIN, Web
from tests.web.test_institutions_pages import count as rows
from tests.web.test_institutions_pages import input_then_error
from tests.web.test_invoices_pages import count, make, seed

pytest_plugins = ("tests.web.bank_fixtures",)

HUGE = "99999999999999999999"  # past 64 bits: a driver refuses to bind it


def bank_rows(web: Web) -> tuple[int, int]:
    return rows(web, BankAccount), rows(web, Journal)


@pytest.mark.parametrize("number", [HUGE, "2147483648", "²", "١٢"])
def test_opening_an_entry_by_a_number_no_entry_has_is_not_found(web: Web, number: str) -> None:
    client = web.sign_in(ACCOUNTANT)
    answer = client.get("/entries", params={"number": number})
    assert answer.status_code == 404, answer.text[:300]
    assert "no entry" in answer.text


def test_older_entries_after_an_id_past_the_largest_is_refused(web: Web) -> None:
    client = web.sign_in(ACCOUNTANT)
    answer = client.get("/entries", params={"after": HUGE})
    assert answer.status_code == 422, answer.text[:300]


NOT_A_DAY = ["0", "-0", 0, "2026-03-02T00:00:00"]  # a number of seconds, a time


@pytest.mark.parametrize("day", NOT_A_DAY)
def test_documents_and_payments_take_a_date_written_yyyy_mm_dd_only(web: Web, day: object
                                                                     ) -> None:
    """Pydantic reads "0" as 1970-01-01 and a midnight time as its day; the entries API
    refuses both (docs/web.md, "Ledger API"), and so must every other date of the API."""
    seed(web)
    invoice = make(web, "100")
    bill = make(web, "30", kind=InvoiceType.BILL)
    client = web.sign_in(ACCOUNTANT)
    headers = {"X-CSRF-Token": client.csrf}
    document = {"partner": "Osaka", "date": "2026-03-02", "lines": [
        {"description": "Work", "unit_price": "10"}]}
    calls: list[tuple[str, dict[str, object]]] = [
        ("/api/v1/invoices", {**document, "date": day}),
        ("/api/v1/invoices", {**document, "due_date": day}),
        ("/api/v1/bills", {**document, "partner": "Kyoto", "date": day}),
        ("/api/v1/payments", {"journal": "BNK1", "partner": "Osaka", "amount": "5",
                              "date": day}),
        (f"/api/v1/invoices/{invoice.id}/credit-note", {"date": day}),
        (f"/api/v1/bills/{bill.id}/refund", {"date": day}),
    ]
    for path, given in calls:
        answer = client.post(path, json=given, headers=headers)
        assert answer.status_code == 422, (path, given, answer.text)
        assert "YYYY-MM-DD" in answer.json()["error"]["message"]
    assert count(web, Invoice) == 2 and count(web, Payment) == 0


@pytest.mark.parametrize("number", ["0005\x0055", "0005\n55", "0005\t55"])
def test_a_bank_account_number_with_a_control_character_is_refused(web: Web, number: str
                                                                   ) -> None:
    """Neither the API nor **Create it** keeps an account number holding NUL, a newline
    or a tab (PostgreSQL refuses NUL outright, SQLite kept it): one sentence, nothing
    written."""
    admin = web.sign_in(ADMIN)
    before = bank_rows(web)
    answer = admin.post("/api/v1/bank-accounts", json={"account_number": number, "bank": "X"},
                        headers={"X-CSRF-Token": admin.csrf})
    assert answer.status_code == 422, answer.text
    assert "control character" in answer.json()["error"]["message"]
    form = admin.post("/institutions/create", data={
        "csrf": admin.csrf, "account_number": number, "bank": "X"})
    assert form.status_code == 422, form.text[:300]
    assert "control character" in input_then_error(form.text, "account_number")
    assert bank_rows(web) == before


@pytest.mark.parametrize("slug", ["aged-receivables", "aged-payables"])
def test_an_aged_balance_at_the_dawn_of_the_calendar_is_refused(web: Web, slug: str) -> None:
    """The buckets reach 90 days back from the date: from a date in year 1's first
    months that is before the calendar's first day (docs/web.md, "Reports")."""
    client = web.sign_in(ACCOUNTANT)
    api = client.get(f"/api/v1/reports/{slug}", params={"date": "0001-01-01"})
    assert api.status_code == 422, api.text
    assert "too early" in api.json()["error"]["message"]
    page = client.get(f"/reports/{slug}", params={"date": "0001-02-01"})
    assert page.status_code == 422 and "too early" in page.text
    assert client.get(f"/api/v1/reports/{slug}", params={"date": "0001-04-02"}).status_code == 200


NUL_QUERIES = [
    ("/api/v1/entries", {"journal": "MI\x00SC"}),
    ("/api/v1/statement-lines", {"journal": "BNK\x001"}),
    ("/api/v1/institutions", {"q": "a\x00"}),
    ("/api/v1/invoices", {"q": "a\x00"}),
    ("/api/v1/reports/general-ledger", {"account": "1\x00"}),
    ("/api/v1/reports/bank-reconciliation", {"journal": "BNK\x001"}),
    ("/entries", {"journal": "MI\x00SC"}),
    ("/statements", {"journal": "BNK\x001"}),
    ("/statements", {"q": "a\x00"}),
    ("/institutions", {"q": "a\x00"}),
]


@pytest.mark.parametrize(("path", "query"), NUL_QUERIES)
def test_a_nul_in_the_address_is_refused_alike_on_both_databases(
        web: Web, path: str, query: dict[str, str]) -> None:
    """PostgreSQL refuses a NUL in any text it is asked about, and said so as "the
    database refused the operation" (409) where SQLite found nothing: a NUL is bad
    input, refused before anything is read (docs/web.md, "Errors")."""
    client = web.sign_in(ACCOUNTANT)
    answer = client.get(path, params=query)
    assert answer.status_code == 422, answer.text[:300]
    assert "NUL" in answer.text and "database" not in answer.text


def test_times_are_shown_in_utc_whatever_the_database_s_time_zone(
        web: Web, linked: ConnectionView) -> None:
    """PostgreSQL hands a ``timestamptz`` back in its session's time zone: a server set to
    Tokyo must not show 21:00 labelled UTC for noon UTC."""
    noon = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with session_factory(web.engine).begin() as session:
        row = session.get(Connection, linked.id)
        assert row is not None
        row.last_refresh, row.next_sync_at = noon, noon.replace(year=2099)
        session.add(SyncRun(company_id=row.company_id, connection_id=row.id, started_at=noon,
                            finished_at=noon, state="success"))
    engine = web.engine
    if engine.dialect.name == "postgresql":
        engine = create_engine(engine.url.render_as_string(hide_password=False),
                               connect_args={"options": "-c TimeZone=Asia/Tokyo"})
    tokyo = Web(create_app(engine, WebConfig()), engine, web.company, web.other)
    try:
        page = tokyo.sign_in(ADMIN).get(f"/connections/{linked.id}").text
    finally:
        if engine is not web.engine:
            engine.dispose()
    assert "2026-03-01 12:00 UTC" in page
    assert "2099-03-01 12:00 UTC" in page
    started = re.search(r'<tr data-run="\d+">\s*<td>([^<]+)</td>', page)
    assert started is not None and started.group(1).strip() == "2026-03-01 12:00"
