"""``/api/v1/invoices``, ``/api/v1/bills`` and ``/api/v1/payments``: shapes, paging, refusals
and roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from booksync.app.context import open_books
from booksync.app.invoices import browse_invoices, document_detail, show_invoice
from booksync.app.shapes import as_json
from booksync.db.engine import session_factory
from booksync.documents.invoices import SALE_KINDS
from booksync.documents.models import Invoice, InvoiceType, Payment
from booksync.users.tokens import create_token
from booksync.web.api.common import cursor_of
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.test_invoices_pages import count, make, pay, seed

D = Decimal
CONSULTING = {"description": "Consulting", "quantity": "2", "unit_price": "500",
              "tax": "VAT 20%"}
BOOK = {"description": "Book", "quantity": "1.5", "unit_price": "9.99"}


def body(**more: Any) -> dict[str, Any]:
    return {"partner": "Osaka", "date": "2026-03-02", "terms": 30, "ref": "PO-7",
            "lines": [CONSULTING, BOOK], **more}


def csrf(client: Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.csrf}


def error_of(answer: Any, status: int) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    found: dict[str, str] = answer.json()["error"]
    assert "Traceback" not in answer.text
    return found


def test_an_invoice_is_created_posted_shown_and_listed_in_the_cli_s_shape(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    client = sign_in(ACCOUNTANT)
    made = client.post("/api/v1/invoices", json=body(), headers=csrf(client))
    assert made.status_code == 201, made.text
    draft = made.json()
    assert (draft["number"], draft["state"], draft["type"], draft["due_date"]) == (
        None, "draft", "invoice", "2026-04-01")
    assert (draft["untaxed"], draft["tax"], draft["total"]) == ("1014.99", "200.00", "1214.99")
    assert draft["lines"][1] == {"description": "Book", "quantity": "1.500",
                                 "unit_price": "9.99", "tax": None, "account": "4000",
                                 "subtotal": "14.99"}
    posted = client.post(f"/api/v1/invoices/{draft['id']}/post", headers=csrf(client))
    assert posted.status_code == 200
    assert (posted.json()["number"], posted.json()["entry"]) == (
        "INV/2026/00001", "SAL/2026/00001")
    with open_books(web.engine, "Acme Ltd") as books:
        assert posted.json() == as_json(show_invoice(books, draft["id"]))
    shown = client.get(f"/api/v1/invoices/{draft['id']}")
    assert shown.json() == posted.json()
    at_once = client.post("/api/v1/invoices", json=body(post=True, ref=None),
                          headers=csrf(client))
    assert at_once.json()["number"] == "INV/2026/00002"
    assert error_of(client.post(f"/api/v1/invoices/{draft['id']}/post", headers=csrf(client)),
                    409)["code"] == "conflict"
    assert client.get(f"/api/v1/bills/{draft['id']}").status_code == 404


def test_lists_are_keyset_pages_filtered_by_state_and_search(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    today = dt.date.today()
    late = make(web, "10", day=today - dt.timedelta(days=30), due=today - dt.timedelta(days=1))
    ids = [make(web, str(n), day=today).id for n in range(11, 16)]
    draft = make(web, "77.70", post=False)
    bill = make(web, "5", kind=InvoiceType.BILL)
    client = sign_in(VIEWER)
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        answer = client.get("/api/v1/invoices", params={"limit": 3, **(
            {"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200
        page = answer.json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 3 and seen == sorted([late.id, *ids, draft.id], reverse=True)

    def listed(**params: str) -> list[int]:
        answer = client.get("/api/v1/invoices", params=params)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert listed(state="overdue") == [late.id]
    assert listed(state="draft") == [draft.id]
    assert listed(state="open") == sorted([late.id, *ids], reverse=True)
    assert listed(q="77.7") == [draft.id]
    assert listed(q=late.number or "") == [late.id]
    bills = client.get("/api/v1/bills").json()
    assert [item["id"] for item in bills["items"]] == [bill.id] and bills["next"] is None
    assert error_of(client.get("/api/v1/invoices", params={"state": "late"}), 422)
    assert error_of(client.get("/api/v1/invoices", params={"cursor": "nope"}), 422)
    assert error_of(client.get("/api/v1/invoices", params={"limit": 0}), 422)
    with open_books(web.engine, "Acme Ltd") as books:
        assert [v.id for v in browse_invoices(books, SALE_KINDS, before=ids[2], limit=2)] == [
            ids[1], ids[0]]


def test_bad_input_is_a_4xx_json_error_and_writes_nothing(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    client = sign_in(ACCOUNTANT)
    cases: list[tuple[dict[str, Any], int, str]] = [
        (body(partner="Nobody"), 404, "unknown partner 'Nobody'"),
        (body(lines=[{**BOOK, "unit_price": "abc"}]), 422, "is not an amount"),
        (body(lines=[{**BOOK, "unit_price": 9.99}]), 422, "unit_price"),
        (body(lines=[{**BOOK, "unit_price": "9.999"}]), 422, "more than 2 decimal places"),
        (body(lines=[{**BOOK, "tax": "VAT 99%"}]), 404, "VAT 99%"),
        (body(lines=[]), 422, "lines"),
        (body(date="2026-02-30"), 422, "date"),
        (body(due_date="2026-03-01", terms=None), 422, "before the document's date"),
        (body(type="bill"), 422, "type must be one of invoice, credit_note"),
        (body(currency="XXX"), 422, "unknown currency"),
        (body(surprise=1), 422, "surprise"),
        (body(partner="Osa\x00ka"), 422, "control character"),
        (body(lines=[{**BOOK, "tax": "VAT\x0020%"}]), 422, "control character"),
        (body(date="9999-12-30"), 422, "run past 9999-12-31"),
    ]
    for given, status, words in cases:
        error = error_of(client.post("/api/v1/invoices", json=given, headers=csrf(client)),
                         status)
        assert words in error["message"], (given, error)
    assert error_of(client.post("/api/v1/invoices", content=b"{not json",
                                headers={**csrf(client), "content-type": "application/json"}),
                    422)
    assert error_of(client.get("/api/v1/invoices/abc"), 422)
    assert error_of(client.get("/api/v1/invoices/999999"), 404)["code"] == "not_found"
    assert error_of(client.get(f"/api/v1/invoices/{2**63}"), 422)  # no database holds it
    assert error_of(client.get("/api/v1/invoices", params={"q": "a\x00"}), 422)
    huge = cursor_of(10**17)  # no id is that large: a cursor the API never gave
    assert error_of(client.get("/api/v1/invoices", params={"cursor": huge}), 422)
    assert error_of(client.get("/api/v1/payments", params={"cursor": huge}), 422)
    assert count(web, Invoice) == 0


def test_a_credit_note_and_a_refund_through_the_api(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    invoice = make(web, "120")
    bill = make(web, "80", kind=InvoiceType.BILL)
    client = sign_in(ACCOUNTANT)
    note = client.post(f"/api/v1/invoices/{invoice.id}/credit-note", headers=csrf(client))
    assert note.status_code == 201
    assert (note.json()["number"], note.json()["type"], note.json()["ref"]) == (
        "RINV/2026/00001", "credit_note", "INV/2026/00001")
    refund = client.post(f"/api/v1/bills/{bill.id}/refund", json={"date": "2026-03-05"},
                         headers=csrf(client))
    assert refund.status_code == 201
    assert (refund.json()["number"], refund.json()["date"]) == ("RBILL/2026/00001",
                                                                "2026-03-05")
    assert error_of(client.post(f"/api/v1/bills/{invoice.id}/refund", headers=csrf(client)),
                    404)
    with open_books(web.engine, "Acme Ltd") as books:
        detail = document_detail(books, invoice.id)
        assert detail.corrected_by[0].number == "RINV/2026/00001"
        assert [(s.kind, s.document, s.amount) for s in detail.settlements] == [
            ("credit_note", "RINV/2026/00001", D("120.00"))]
        assert show_invoice(books, bill.id).payment_state == "reversed"


def test_payments_settle_documents_or_stay_on_account_and_list_by_cursor(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    first = make(web, "100")
    second = make(web, "50")
    bill = make(web, "30", kind=InvoiceType.BILL)
    client = sign_in(ACCOUNTANT)
    paid = client.post("/api/v1/payments", headers=csrf(client), json={
        "journal": "BNK1", "partner": "Osaka", "amount": "120", "date": "2026-03-10",
        "invoices": [first.number, second.number], "ref": "remittance 7"})
    assert paid.status_code == 201, paid.text
    assert {k: paid.json()[k] for k in ("journal", "partner", "direction", "amount",
                                        "currency", "invoices", "ref")} == {
        "journal": "BNK1", "partner": "Osaka", "direction": "inbound", "amount": "120.00",
        "currency": "EUR", "invoices": ["INV/2026/00001", "INV/2026/00002"],
        "ref": "remittance 7"}
    with open_books(web.engine, "Acme Ltd") as books:
        assert show_invoice(books, first.id).payment_state == "paid"
        assert show_invoice(books, second.id).residual == D("30.00")
    out = client.post("/api/v1/payments", headers=csrf(client), json={
        "journal": "BNK1", "partner": "Kyoto", "amount": "30", "date": "2026-03-11",
        "outbound": True, "invoices": [bill.number]})
    assert out.json()["direction"] == "outbound" and out.json()["invoices"] == [bill.number]
    on_account = client.post("/api/v1/payments", headers=csrf(client), json={
        "journal": "BNK1", "partner": "Osaka", "amount": "5", "date": "2026-03-12"})
    assert on_account.json()["invoices"] == []
    for given, status, words in (
        ({"amount": 5.5}, 422, "amount"), ({"amount": "-1"}, 422, "more than zero"),
        ({"amount": "1.001"}, 422, "decimal places"), ({"journal": "NOPE"}, 404, "NOPE"),
        ({"journal": "SAL"}, 422, "not a bank journal"), ({"partner": "Nobody"}, 404, "Nobody"),
        ({"invoices": [first.number]}, 409, "paid"),
        ({"invoices": ["INV/2026/09999"]}, 404, "INV/2026/09999"),
        ({"journal": "BNK\x001"}, 422, "control character"),
    ):
        error = error_of(client.post("/api/v1/payments", headers=csrf(client), json={
            "journal": "BNK1", "partner": "Osaka", "amount": "5", "date": "2026-03-12",
            **given}), status)
        assert words in error["message"], (given, error)
    assert count(web, Payment) == 3
    one = client.get("/api/v1/payments", params={"limit": 2}).json()
    assert [p["id"] for p in one["items"]] == [on_account.json()["id"], out.json()["id"]]
    rest = client.get("/api/v1/payments", params={"limit": 2, "cursor": one["next"]}).json()
    assert rest["items"] == [paid.json()] and rest["next"] is None


def test_roles_viewers_read_and_outsiders_never_reach_acme_documents(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    draft = make(web, "100", post=False, ref="ACME-ONLY")
    posted = make(web, "40")
    pay(web, posted, "10")
    theirs = make(web, "9", partner="Initech", company="Globex GmbH")
    viewer = sign_in(VIEWER)
    assert viewer.get(f"/api/v1/invoices/{draft.id}").json()["ref"] == "ACME-ONLY"
    assert len(viewer.get("/api/v1/payments").json()["items"]) == 1
    for path, json in (("/api/v1/invoices", body()), (f"/api/v1/invoices/{draft.id}/post", None),
                       (f"/api/v1/invoices/{posted.id}/credit-note", None),
                       ("/api/v1/payments", {"journal": "BNK1", "partner": "Osaka",
                                             "amount": "1", "date": "2026-03-10"})):
        assert error_of(viewer.post(path, json=json, headers=csrf(viewer)), 403)
    assert error_of(sign_in(ACCOUNTANT).post(f"/api/v1/invoices/{draft.id}/post"), 403)
    outsider = sign_in(OUTSIDER)
    listed = outsider.get("/api/v1/invoices").json()["items"]
    assert [item["id"] for item in listed] == [theirs.id]
    assert outsider.get("/api/v1/payments").json()["items"] == []
    assert error_of(outsider.get(f"/api/v1/invoices/{draft.id}"), 404)
    assert error_of(outsider.get("/api/v1/invoices", params={"company": "Acme Ltd"}), 404)
    assert error_of(outsider.post(f"/api/v1/invoices/{draft.id}/post",
                                  headers=csrf(outsider)), 404)
    assert error_of(outsider.post("/api/v1/payments", headers=csrf(outsider), json={
        "journal": "BNK1", "partner": "Osaka", "amount": "1", "date": "2026-03-10",
        "invoices": [posted.number]}), 404)
    with session_factory(web.engine).begin() as session:
        _row, token = create_token(session, ADMIN, "script")
    program = web.client()
    posting = program.post(f"/api/v1/invoices/{draft.id}/post",
                           headers={"Authorization": f"Bearer {token}"})
    assert posting.status_code == 200 and posting.json()["state"] == "posted"
