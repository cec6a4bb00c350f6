"""``/api/v1/partners`` and the partner use cases behind it: pages by name, a partner's open
items and balance, its IBAN checked in full, roles."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from booksync.app.context import open_books
from booksync.app.masterdata import (
    add_partner_iban,
    find_partners,
    get_partner,
    new_partner,
    partner_detail,
)
from booksync.app.shapes import as_json
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.models import Partner
from booksync.web.api.common import cursor_of
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.test_invoices_api import csrf, error_of
from tests.web.test_invoices_pages import count, make, pay, seed
from tests.web.test_partners_pages import BAD_IBAN, GOOD_IBAN, partner_id

D = Decimal


def test_the_partner_use_cases_page_search_and_check(web: Web) -> None:
    seed(web)
    with open_books(web.engine, "Acme Ltd") as books:
        for name in ("Atlas", "Bolt", "Cygnus"):
            new_partner(books, name, email=f"ap@{name.lower()}.example")
        vega = new_partner(books, "Vega", iban="de89 3704 0044 0532 0130 00")
        assert vega.iban == "DE89370400440532013000"  # compact, checked in full
        names = [p.name for p in find_partners(books, limit=3)]
        assert names == ["Atlas", "Bolt", "Cygnus"]
        bolt = get_partner(books, "Bolt")
        assert [p.name for p in find_partners(books, after=bolt.id, limit=3)] == [
            "Cygnus", "Kyoto", "Osaka"]
        assert [p.name for p in find_partners(books, q="CYGNUS.EX")] == ["Cygnus"]
        assert [p.name for p in find_partners(books, q="de89 3704")] == ["Vega"]
        assert [p.name for p in find_partners(books, q="100%")] == []  # no wildcard
        with pytest.raises(BooksyncError, match="not a valid IBAN"):
            new_partner(books, "Wrong", iban=BAD_IBAN)
        with pytest.raises(BooksyncError, match="not a valid IBAN"):
            add_partner_iban(books, bolt.id, "DE00")
        assert add_partner_iban(books, bolt.id, GOOD_IBAN).iban == "DE89370400440532013000"
        with pytest.raises(BooksyncError, match="already has a bank account") as refused:
            add_partner_iban(books, bolt.id, GOOD_IBAN)
        assert refused.value.code == "conflict"
        with pytest.raises(BooksyncError, match="no partner 999999"):
            partner_detail(books, 999999)
    with open_books(web.engine, "Globex GmbH") as books:
        assert [p.name for p in find_partners(books)] == ["Initech"]
        with pytest.raises(BooksyncError, match="no partner"):
            get_partner(books, bolt.id)  # another company's id is nobody here


def test_partners_are_created_listed_by_cursor_shown_and_given_an_iban(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    invoice = make(web, "300")
    pay(web, invoice, "100")
    make(web, "45", kind=InvoiceType.BILL, partner="Osaka")
    client = sign_in(ACCOUNTANT)
    made = client.post("/api/v1/partners", headers=csrf(client),
                       json={"name": "Vega Design", "email": "ap@vega.example"})
    assert made.status_code == 201
    assert made.json() == {"id": made.json()["id"], "name": "Vega Design", "iban": None,
                           "email": "ap@vega.example"}
    first = client.get("/api/v1/partners", params={"limit": 2}).json()
    assert [p["name"] for p in first["items"]] == ["Kyoto", "Osaka"]
    rest = client.get("/api/v1/partners", params={"limit": 2, "cursor": first["next"]}).json()
    assert [p["name"] for p in rest["items"]] == ["Vega Design"] and rest["next"] is None
    assert [p["name"] for p in client.get("/api/v1/partners", params={"q": "vega"}).json()[
        "items"]] == ["Vega Design"]
    osaka = partner_id(web, "Osaka")
    shown = client.get(f"/api/v1/partners/{osaka}").json()
    assert {k: shown[k] for k in ("name", "currency", "receivable", "payable", "balance",
                                  "more")} == {
        "name": "Osaka", "currency": "EUR", "receivable": "200.00", "payable": "45.00",
        "balance": "155.00", "more": False}
    assert [(i["document"], i["document_type"], i["residual"]) for i in shown["open_items"]] == [
        ("INV/2026/00001", "invoice", "200.00"), ("BILL/2026/00001", "bill", "-45.00")]
    with open_books(web.engine, "Acme Ltd") as books:
        assert shown == as_json(partner_detail(books, osaka))
    added = client.post(f"/api/v1/partners/{osaka}/bank-accounts", headers=csrf(client),
                        json={"iban": GOOD_IBAN})
    assert added.status_code == 201 and added.json()["iban"] == "DE89370400440532013000"
    again = client.post(f"/api/v1/partners/{osaka}/bank-accounts", headers=csrf(client),
                        json={"iban": "GB82 WEST 1234 5698 7654 32"})
    assert error_of(again, 409)["code"] == "conflict"


def test_bad_partner_input_is_a_4xx_json_error_and_writes_nothing(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    client = sign_in(ACCOUNTANT)
    kyoto = partner_id(web, "Kyoto")
    for given, status, words in (
        ({"name": "Vega", "iban": BAD_IBAN}, 422, "not a valid IBAN"),
        ({"name": "Osaka"}, 422, "already exists"),
        ({"name": "   "}, 422, "needs a name"),
        ({"name": "Vega", "email": "nope"}, 422, "not an email address"),
        ({"name": "Vega", "extra": True}, 422, "extra"),
        ({"name": "x" * 201}, 422, "name"),
        ({"name": "Ve\x00ga"}, 422, "control character"),
    ):
        error = error_of(client.post("/api/v1/partners", headers=csrf(client), json=given),
                         status)
        assert words in error["message"], (given, error)
    wrong = client.post(f"/api/v1/partners/{kyoto}/bank-accounts", headers=csrf(client),
                        json={"iban": BAD_IBAN})
    assert "not a valid IBAN" in error_of(wrong, 422)["message"]
    assert error_of(client.post("/api/v1/partners/999999/bank-accounts", headers=csrf(client),
                                json={"iban": GOOD_IBAN}), 404)["code"] == "not_found"
    assert error_of(client.get("/api/v1/partners/999999"), 404)
    assert error_of(client.get("/api/v1/partners", params={"cursor": "x"}), 422)
    assert error_of(client.get(f"/api/v1/partners/{2**40}"), 422)
    assert error_of(client.get("/api/v1/partners", params={"q": "Osa\x00"}), 422)
    assert error_of(client.get("/api/v1/partners", params={"cursor": cursor_of(2**40)}), 422)
    assert count(web, Partner) == 3
    assert client.get(f"/api/v1/partners/{kyoto}").json()["iban"] is None


def test_roles_viewers_read_and_outsiders_never_reach_acme_partners(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    osaka = partner_id(web, "Osaka")
    viewer = sign_in(VIEWER)
    assert viewer.get(f"/api/v1/partners/{osaka}").json()["name"] == "Osaka"
    assert error_of(viewer.post("/api/v1/partners", headers=csrf(viewer),
                                json={"name": "Sneaky"}), 403)
    assert error_of(viewer.post(f"/api/v1/partners/{osaka}/bank-accounts",
                                headers=csrf(viewer), json={"iban": GOOD_IBAN}), 403)
    outsider = sign_in(OUTSIDER)
    assert [p["name"] for p in outsider.get("/api/v1/partners").json()["items"]] == [
        "Initech"]
    assert error_of(outsider.get(f"/api/v1/partners/{osaka}"), 404)
    assert error_of(outsider.post(f"/api/v1/partners/{osaka}/bank-accounts",
                                  headers=csrf(outsider), json={"iban": GOOD_IBAN}), 404)
    assert error_of(outsider.get("/api/v1/partners", params={"company": "Acme Ltd"}), 404)
    admin = sign_in(ADMIN)
    made = admin.post("/api/v1/partners", headers=csrf(admin), params={"company": "Globex GmbH"},
                      json={"name": "Hooli"})
    assert made.status_code == 201
    assert [p["name"] for p in outsider.get("/api/v1/partners").json()["items"]] == [
        "Hooli", "Initech"]
    assert count(web, Partner) == 4
    assert D(viewer.get(f"/api/v1/partners/{osaka}").json()["balance"]) == 0
