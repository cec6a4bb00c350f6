"""``/api/v1/companies``, ``accounts``, ``journals``, ``entries``: CLI shapes, paging, roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from booksync.app.context import open_books
from booksync.app.entries import add_entry, list_entries, show_entry
from booksync.app.masterdata import accounts, journals
from booksync.app.shapes import as_json
from booksync.app.users import create_token
from booksync.db.engine import session_factory
from booksync.ledger.entries import LineInput
from booksync.ledger.models import Entry
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

D = Decimal


def body(amount: str = "25.00", *, post: bool = False, **extra: Any) -> dict[str, Any]:
    return {"journal": "MISC", "date": "2026-03-02", "ref": "Paper",
            "lines": [{"account": "6300", "debit": amount, "label": "A4"},
                      {"account": "1000", "credit": amount}], "post": post, **extra}


def count_entries(web: Web) -> int:
    with session_factory(web.engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Entry)) or 0)


def shown(web: Web, entry_id: int) -> dict[str, Any]:
    with open_books(web.engine, "Acme Ltd") as books:
        return show_entry(books, entry_id)


def post(client: Client, path: str, json: Any = None) -> Any:
    return client.post(path, json=json, headers={"X-CSRF-Token": client.csrf})


def test_companies_are_those_the_caller_sees(web: Web) -> None:
    everyone = web.sign_in(ADMIN).get("/api/v1/companies").json()
    assert everyone == {"items": [
        {"id": web.company.id, "name": "Acme Ltd", "currency": "EUR"},
        {"id": web.other.id, "name": "Globex GmbH", "currency": "EUR"}], "next": None}
    assert [c["name"] for c in web.sign_in(VIEWER).get("/api/v1/companies").json()["items"]] \
        == ["Acme Ltd"]
    assert [c["name"] for c in web.sign_in(OUTSIDER).get("/api/v1/companies").json()["items"]] \
        == ["Globex GmbH"]


def test_accounts_and_journals_in_the_shapes_of_the_command_line(web: Web) -> None:
    client = web.sign_in(VIEWER)
    with open_books(web.engine, "Acme Ltd") as books:
        chart, books_journals = as_json(accounts(books)), as_json(journals(books))
    listed = client.get("/api/v1/accounts").json()
    assert listed == {"items": chart, "next": None}
    assert {"code": "1200", "name": "Bank", "type": "asset", "reconcile": False,
            "active": True} in listed["items"]
    assert client.get("/api/v1/journals").json() == {"items": books_journals, "next": None}
    assert [j["code"] for j in books_journals] == ["MISC", "PUR", "SAL"]


def test_entries_are_added_as_entry_add_prints_them(web: Web) -> None:
    client = web.sign_in(ACCOUNTANT)
    draft = post(client, "/api/v1/entries", body())
    assert draft.status_code == 201, draft.text
    data = draft.json()
    assert data == shown(web, data["id"])
    assert data["state"] == "draft" and data["number"] is None
    assert [(ln["account"], ln["debit"], ln["credit"], ln["label"]) for ln in data["lines"]] \
        == [("6300", "25.00", "0.00", "A4"), ("1000", "0.00", "25.00", None)]
    assert set(data) == {"id", "uid", "number", "journal", "date", "ref", "state",
                         "reversal_of", "reversed_by", "lines", "total_debit", "total_credit"}

    posted = post(client, "/api/v1/entries", body("7.10", post=True)).json()
    assert posted["state"] == "posted" and posted["number"] == "MISC/2026/00001"
    assert client.get(f"/api/v1/entries/{posted['id']}").json() == shown(web, posted["id"])

    done = post(client, f"/api/v1/entries/{data['id']}/post")
    assert done.status_code == 200 and done.json()["number"] == "MISC/2026/00002"
    assert shown(web, data["id"])["state"] == "posted"

    mirror = post(client, f"/api/v1/entries/{posted['id']}/reverse", {"date": "2026-03-31"})
    assert mirror.status_code == 201
    assert mirror.json() == shown(web, mirror.json()["id"])
    assert mirror.json()["reversal_of"] == "MISC/2026/00001"
    assert mirror.json()["date"] == "2026-03-31"
    assert shown(web, posted["id"])["state"] == "reversed"
    plain = post(client, f"/api/v1/entries/{data['id']}/reverse")
    assert plain.status_code == 201 and plain.json()["date"] == "2026-03-02"


def test_refusals_are_4xx_json_and_save_nothing(web: Web) -> None:
    client = web.sign_in(ACCOUNTANT)
    before = count_entries(web)
    cases = [
        (body("25.00", post=True, lines=[{"account": "6300", "debit": "25.00"},
                                         {"account": "1000", "credit": "24.00"}]),
         422, "unbalanced"),
        (body(date="2026-02-30"), 422, "invalid"),
        (body(date="03/02/2026"), 422, "invalid"),
        (body(date=20260302), 422, "invalid"),
        (body(lines=[{"account": "6300", "debit": 25.0}]), 422, "invalid"),  # a float
        (body("12.345"), 422, "invalid"),  # more decimals than EUR has
        (body("lots"), 422, "invalid_amount"),
        (body(lines=[]), 422, "invalid"),
        (body(lines=[{"account": "9999", "debit": "1"}]), 422, "invalid"),
        (body(journal="NOPE"), 422, "invalid"),
        (body(colour="red"), 422, "invalid"),
        ("not an object", 422, "invalid"),
    ]
    for given, status, code in cases:
        answer = post(client, "/api/v1/entries", given)
        assert answer.status_code == status, (given, answer.text)
        assert answer.json()["error"]["code"] == code, (given, answer.text)
    assert count_entries(web) == before
    missing = client.get("/api/v1/entries/999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/entries/abc").status_code == 422
    assert client.get("/api/v1/entries?journal=NOPE").status_code == 404
    assert client.get("/api/v1/entries?cursor=garbage").status_code == 422
    assert client.get("/api/v1/entries?limit=0").status_code == 422
    draft = post(client, "/api/v1/entries", body()).json()
    assert post(client, f"/api/v1/entries/{draft['id']}/reverse").status_code == 422
    assert post(client, f"/api/v1/entries/{draft['id']}/reverse",
                {"date": "2026-99-01"}).status_code == 422


def test_entries_come_a_page_at_a_time_without_repeats_or_gaps(web: Web) -> None:
    with open_books(web.engine, "Acme Ltd") as books:
        for n in range(23):
            add_entry(books, journal=("MISC", "SAL")[n % 2], date=dt.date(2026, 1, 1 + n % 4),
                      post=n % 3 != 0, lines=[LineInput("6300", debit=D(n + 1)),
                                              LineInput("1000", credit=D(n + 1))])
        everything = list(list_entries(books))
    client = web.sign_in(VIEWER)
    for journal in (None, "SAL"):
        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 5}
            if journal:
                params["journal"] = journal
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/entries", params=params).json()
            assert len(page["items"]) <= 5
            seen += page["items"]
            cursor = page["next"]
            if cursor is None:
                break
        assert seen == [e for e in everything if journal is None or e["journal"] == journal]
    assert len(everything) == 23


@pytest.mark.parametrize("email", [ACCOUNTANT, ADMIN])
def test_accountants_and_admins_book_through_the_api(web: Web, email: str) -> None:
    client = web.sign_in(email)
    answer = post(client, "/api/v1/entries?company=Acme Ltd", body(post=True))
    assert answer.status_code == 201


def test_a_viewer_reads_and_may_not_book(web: Web) -> None:
    with open_books(web.engine, "Acme Ltd") as books:
        made = add_entry(books, journal="MISC", date=dt.date(2026, 3, 1), post=True,
                         lines=[LineInput("6300", debit=D(5)), LineInput("1000", credit=D(5))])
    client = web.sign_in(VIEWER)
    assert client.get(f"/api/v1/entries/{made['id']}").status_code == 200
    before = count_entries(web)
    for path, given in (("/api/v1/entries", body(post=True)),
                        (f"/api/v1/entries/{made['id']}/post", None),
                        (f"/api/v1/entries/{made['id']}/reverse", None)):
        answer = post(client, path, given)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert count_entries(web) == before and shown(web, made["id"])["state"] == "posted"


def test_a_change_with_the_session_cookie_needs_its_csrf_token(web: Web) -> None:
    client = web.sign_in(ACCOUNTANT)
    answer = client.post("/api/v1/entries", json=body())
    assert answer.status_code == 403 and count_entries(web) == 0


def test_the_outsider_never_sees_acme(web: Web) -> None:
    with open_books(web.engine, "Acme Ltd") as books:
        made = add_entry(books, journal="MISC", date=dt.date(2026, 3, 1), post=True,
                         lines=[LineInput("6300", debit=D("31337")),
                                LineInput("1000", credit=D("31337"))])
    client = web.sign_in(OUTSIDER)
    assert client.get("/api/v1/entries").json() == {"items": [], "next": None}
    assert client.get(f"/api/v1/entries/{made['id']}").status_code == 404
    for path in ("/api/v1/entries", "/api/v1/accounts", "/api/v1/journals"):
        answer = client.get(path, params={"company": "Acme Ltd"})
        assert answer.status_code == 404 and "31337" not in answer.text
    for path in (f"/api/v1/entries/{made['id']}/reverse", f"/api/v1/entries/{made['id']}/post"):
        assert post(client, path).status_code == 404
    assert post(client, "/api/v1/entries?company=Acme Ltd", body()).status_code == 404
    assert shown(web, made["id"])["state"] == "posted"
    own = post(client, "/api/v1/entries", body(post=True))
    assert own.status_code == 201
    assert client.get("/api/v1/entries").json()["items"][0]["id"] == own.json()["id"]


def test_a_program_books_with_a_token_and_no_csrf(web: Web) -> None:
    token = create_token(web.engine, ACCOUNTANT, "books").token
    client = web.client()
    answer = client.post("/api/v1/entries", json=body(post=True),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201 and answer.json()["state"] == "posted"
