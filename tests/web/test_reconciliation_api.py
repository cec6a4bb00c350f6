"""``/api/v1/reconciliation`` and ``/api/v1/rules``: suggestions, apply in each way, undo,
rules listed, added and disabled; every role; the use cases of one line behind them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from booksync.app.context import open_books
from booksync.app.invoices import DocumentInput, DocumentLineInput, add_invoice
from booksync.app.line_reconcile import apply_suggestion, line_to_reconcile, open_items
from booksync.app.masterdata import add_partner
from booksync.app.payments import add_payment, batch_payments
from booksync.app.reconcile import to_reconcile
from booksync.app.rules import CounterpartInput, RuleInput, add_rule
from booksync.app.statements import add_line
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.statements.manual import ManualLine
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.test_reconcile_pages import (
    DAY,
    Books,
    D,
    build,
    line,
    payment_state,
    reconciled,
)

SUGGESTION = {"rule", "kind", "documents", "counterparts", "score", "reason"}
RULE = {"id", "name", "kind", "sequence", "auto", "active", "journals", "nature",
        "amount_min", "amount_max", "label_contains", "label_regex", "partner", "currency",
        "tolerance", "counterparts", "map_partner"}


@pytest.fixture
def books(web: Web) -> Books:
    return build(web)


def _headers(client: Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.csrf}


def test_suggestions_in_the_shape_of_reconcile_list(web: Web, books: Books,
                                                    sign_in: Callable[[str], Client]) -> None:
    answer = sign_in(VIEWER).get(f"/api/v1/reconciliation/{books.exact}/suggestions")
    assert answer.status_code == 200
    line = answer.json()
    assert set(line) == {"id", "date", "amount", "currency", "label", "partner", "reference",
                         "counterparty_iban", "suggestions"}
    assert (line["id"], line["amount"], line["currency"]) == (books.exact, "100.00", "EUR")
    best = line["suggestions"][0]
    assert set(best) == SUGGESTION
    assert best["documents"] == [books.first] and best["score"] == 100
    assert best["counterparts"] == [{"account": "1100", "amount": "100.00",
                                     "label": books.first}]


def test_apply_by_rule_then_undo_then_best_then_by_hand(
        web: Web, books: Books, sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    url = f"/api/v1/reconciliation/{books.exact}"
    done = client.post(f"{url}/apply", headers=_headers(client),
                       json={"rule": "Invoices: exact match", "documents": [books.first]})
    assert done.status_code == 200, done.text
    body = done.json()
    assert set(body) == {"line", "entry", "documents", "state"}
    assert (body["line"], body["documents"], body["state"]) == (
        books.exact, [books.first], "active")
    assert payment_state(web, books.first) == "paid"
    again = client.post(f"{url}/apply", headers=_headers(client), json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert client.get(f"{url}/suggestions").status_code == 409

    undone = client.post(f"{url}/undo", headers=_headers(client))
    assert undone.status_code == 200 and undone.json()["state"] == "undone"
    assert payment_state(web, books.first) == "not_paid"
    assert client.post(f"{url}/undo", headers=_headers(client)).status_code == 409

    best = client.post(f"{url}/apply", headers=_headers(client))  # no body: the best
    assert best.status_code == 200 and best.json()["documents"] == [books.first]

    by_hand = client.post(f"/api/v1/reconciliation/{books.part}/apply", headers=_headers(client),
                          json={"documents": [books.second]})
    assert by_hand.status_code == 200 and payment_state(web, books.second) == "partial"
    fee = client.post(f"/api/v1/reconciliation/{books.fee}/apply", headers=_headers(client),
                      json={"counterparts": ["6500:2.00"]})
    assert fee.status_code == 422
    assert "0.50 EUR of the bank line are left" in fee.json()["error"]["message"]
    assert not reconciled(web, books.fee)
    fee = client.post(f"/api/v1/reconciliation/{books.fee}/apply", headers=_headers(client),
                      json={"counterparts": ["6500:2.50:Bank fees"]})
    assert fee.status_code == 200 and reconciled(web, books.fee)


def test_bad_bodies_are_refused_and_write_nothing(web: Web, books: Books,
                                                  sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    url = f"/api/v1/reconciliation/{books.exact}/apply"
    for body in ({"rule": "Invoices: exact match", "counterparts": ["6500:1"]},
                 {"rule": "No such rule"},
                 {"documents": ["INV/2026/09999"]},
                 {"payments": [0]},
                 {"counterparts": [100]},
                 {"surprise": True}):
        answer = client.post(url, headers=_headers(client), json=body)
        assert 400 <= answer.status_code < 500, (body, answer.text)
        assert "error" in answer.json()
    assert not reconciled(web, books.exact)
    forged = client.post(url, json={}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403 and not reconciled(web, books.exact)


def test_a_viewer_reads_but_may_not_apply_or_undo(web: Web, books: Books,
                                                   sign_in: Callable[[str], Client]) -> None:
    viewer = sign_in(VIEWER)
    assert viewer.get(f"/api/v1/reconciliation/{books.exact}/suggestions").status_code == 200
    for action in ("apply", "undo"):
        answer = viewer.post(f"/api/v1/reconciliation/{books.exact}/{action}",
                             headers=_headers(viewer), json={})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert not reconciled(web, books.exact)


def test_an_outsider_never_reaches_acmes_line(web: Web, books: Books,
                                             sign_in: Callable[[str], Client]) -> None:
    outsider = sign_in(OUTSIDER)
    for params in ({}, {"company": "Acme Ltd"}):
        url = f"/api/v1/reconciliation/{books.exact}"
        assert outsider.get(f"{url}/suggestions", params=params).status_code == 404
        for action in ("apply", "undo"):
            answer = outsider.post(f"{url}/{action}", params=params,
                                   headers=_headers(outsider), json={})
            assert answer.status_code == 404, (action, params)
    assert not reconciled(web, books.exact)
    own = outsider.get(f"/api/v1/reconciliation/{books.other}/suggestions")
    assert own.status_code == 200 and own.json()["label"] == "Globex customer"


def test_rules_listed_by_anyone_changed_by_admins_only(
        web: Web, books: Books, sign_in: Callable[[str], Client]) -> None:
    viewer, accountant, admin = sign_in(VIEWER), sign_in(ACCOUNTANT), sign_in(ADMIN)
    listed = viewer.get("/api/v1/rules").json()["items"]
    assert [r["name"] for r in listed] == ["Invoices: exact match", "Invoices: suggestions"]
    assert all(set(r) == RULE for r in listed)
    rule = {"name": "Bank fees", "kind": "button", "nature": "out",
            "counterparts": [{"account": "6500", "percent": "100"}]}
    for client in (viewer, accountant):
        answer = client.post("/api/v1/rules", headers=_headers(client), json=rule)
        assert answer.status_code == 403
        assert client.post(f"/api/v1/rules/{listed[0]['id']}/disable",
                           headers=_headers(client)).status_code == 403
    assert len(viewer.get("/api/v1/rules").json()["items"]) == 2

    made = admin.post("/api/v1/rules", headers=_headers(admin), json=rule)
    assert made.status_code == 201, made.text
    shape = made.json()
    assert set(shape) == RULE
    assert (shape["kind"], shape["sequence"], shape["nature"]) == ("button", 30, "out")
    assert shape["counterparts"] == [{"account": "6500", "percent": "100.0000", "label": None}]
    # The new button is offered for a line and applies with its name.
    suggested = accountant.get(f"/api/v1/reconciliation/{books.fee}/suggestions").json()
    assert "Bank fees" in [s["rule"] for s in suggested["suggestions"]]
    pressed = accountant.post(f"/api/v1/reconciliation/{books.fee}/apply",
                              headers=_headers(accountant), json={"rule": "Bank fees"})
    assert pressed.status_code == 200 and reconciled(web, books.fee)

    tolerant = admin.post("/api/v1/rules", headers=_headers(admin), json={
        "name": "Close enough", "kind": "invoice-matching",
        "tolerance": {"kind": "percent", "value": "2"}})
    assert tolerant.status_code == 201
    assert tolerant.json()["tolerance"] == {"kind": "percent", "value": "2.0000",
                                            "account": "6500"}
    disabled = admin.post(f"/api/v1/rules/{shape['id']}/disable", headers=_headers(admin))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert admin.post("/api/v1/rules/999999/disable",
                      headers=_headers(admin)).status_code == 404

    before = len(admin.get("/api/v1/rules").json()["items"])
    for bad in ({**rule, "counterparts": [{"account": "0000", "percent": "100"}]},
                {**rule, "label_regex": "("},
                {**rule, "amount_min": 5},
                {**rule, "kind": "magic"},
                {"name": "Fees", "kind": "button", "auto": True,
                 "counterparts": [{"account": "6500", "percent": "100"}]}):
        answer = admin.post("/api/v1/rules", headers=_headers(admin), json=bad)
        assert answer.status_code in (404, 422), (bad, answer.text)
    assert len(admin.get("/api/v1/rules").json()["items"]) == before

    outsider = sign_in(OUTSIDER)
    assert outsider.get("/api/v1/rules", params={"company": "Acme Ltd"}).status_code == 404
    assert "Bank fees" not in [r["name"] for r in outsider.get("/api/v1/rules").json()["items"]]


def test_the_use_cases_of_one_line(web: Web, books: Books) -> None:
    with open_books(web.engine, "Acme Ltd") as opened:
        line = line_to_reconcile(opened, books.exact)
        assert line.suggestions[0].documents == [books.first]
        assert open_items(opened, books.part) == []  # no partner, nothing owes 10.00
        items = open_items(opened, books.part, "osaka")
        assert [i.document for i in items] == [books.first, books.second]
        assert [(i.owed, i.currency, i.partner, i.kind) for i in items] == [
            (100, "EUR", "Osaka", "invoice"), (30, "EUR", "Osaka", "invoice")]
        assert [i.document for i in open_items(opened, books.exact)] == [books.first]
        assert open_items(opened, books.fee, "osaka") == []  # money out pays no invoice
        assert [i.document for i in open_items(opened, books.part, "2026/0000")] == [
            books.first, books.second]
        assert [i.document for i in open_items(opened, books.part, "osaka")] == [
            books.first, books.second]
        assert [i.document for i in open_items(opened, books.part, "1,00.0")] == []
        assert [i.document for i in open_items(opened, books.part, "100")] == [books.first]
        with pytest.raises(BooksyncError, match="no suggestion"):
            apply_suggestion(opened, books.exact, "Invoices: exact match", [books.second])
        done = apply_suggestion(opened, books.exact, "Invoices: exact match", [books.first])
        assert done.documents == [books.first]
        with pytest.raises(BooksyncError, match="already reconciled") as info:
            line_to_reconcile(opened, books.exact)
        assert info.value.code == "conflict"
        assert [i.document for i in open_items(opened, books.part, "osaka")] == [books.second]


def test_one_lines_suggestions_are_those_of_the_whole_open_book(web: Web, books: Books) -> None:
    """The widget loads only the open items the engine can look up for its line; what it
    proposes is what ``reconcile list`` (the whole open book) proposes, line by line."""
    with open_books(web.engine, "Acme Ltd") as opened:
        for name, iban in (("Vega Design BV", "GB33BUKB20201555555555"),
                           ("Nordlicht GmbH", None), ("Kappa Supplies", None), ("Orion AG", None)):
            add_partner(opened, name, iban=iban)
        made = [add_invoice(opened, DocumentInput(kind, partner, DAY, (
                    DocumentLineInput("Goods", D(1), D(price)),), ref=ref), post=True).number
                for partner, price, kind, ref in (
                    ("Vega Design BV", "40.00", InvoiceType.INVOICE, None),
                    ("Vega Design BV", "60.00", InvoiceType.INVOICE, None),
                    ("Vega Design BV", "250.00", InvoiceType.INVOICE, None),
                    ("Nordlicht GmbH", "75.00", InvoiceType.INVOICE, None),
                    ("Nordlicht GmbH", "75.00", InvoiceType.INVOICE, None),
                    ("Kappa Supplies", "80.00", InvoiceType.BILL, "F-2026-118"),
                    ("Orion AG", "20.00", InvoiceType.INVOICE, None),
                    ("Orion AG", "35.00", InvoiceType.INVOICE, None))]
        paid = [add_payment(opened, journal="BNK1", partner="Orion AG", amount=D(value),
                            date=DAY, invoices=[str(number)]).id
                for value, number in (("20.00", made[-2]), ("35.00", made[-1]))]
        batch_payments(opened, journal="BNK1", payment_ids=paid)
        add_rule(opened, RuleInput("Interest", "button",
                                   counterparts=(CounterpartInput("6500", D(100)),)))
    for amount, label, partner in (("100.00", "Vega, two invoices", "Vega Design BV"),
                                   ("75.00", "Nordlicht", "Nordlicht GmbH"),
                                   ("250.00", "payment", None),
                                   ("-50.00", "F-2026 118 Kappa, in part", None),
                                   ("55.00", "one transfer", None),
                                   ("30.00", f"{books.second} and {books.first}", None)):
        line(web, "Acme Ltd", amount, label, partner=partner)
    with open_books(web.engine, "Acme Ltd") as opened:
        add_line(opened, ManualLine("BNK1", DAY, D("250.00"), "Transfer",
                                    iban="GB33BUKB20201555555555"))
    with open_books(web.engine, "Acme Ltd") as opened:
        whole = to_reconcile(opened)
        assert len(whole) == 10
        reasons = " | ".join(s.reason for w in whole for s in w.suggestions)
        for found in ("named in the label", "add up to the amount", "one of 2 open items",
                      "same amount", "payment batch", "BILL/2026/00001 named", "counterparty IBAN",
                      "button 'Interest'"):
            assert found in reasons, (found, reasons.split(" | "))
        for listed in whole:
            assert line_to_reconcile(opened, listed.id) == listed, listed.label
