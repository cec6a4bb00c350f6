"""``/api/v1/statement-lines``: the shape of ``statement list --json``, cursor pages, filters,
search and who may read what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from booksync.app.context import open_books
from booksync.app.reconcile import apply
from booksync.app.statements import add_line
from booksync.statements.manual import ManualLine
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.test_reconcile_pages import build
from tests.web.test_route_matrix import _api_routes

KEYS = {"id", "date", "label", "amount", "partner", "counterparty_iban", "reference",
        "provider_transaction_id", "source", "entry", "reconciled", "matched"}


def test_lines_in_the_cli_shape_with_their_reconciliation(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    books = build(web)
    with open_books(web.engine, "Acme Ltd") as opened:
        apply(opened, books.exact, [books.first])
    for email in (VIEWER, ACCOUNTANT, ADMIN):
        answer = sign_in(email).get("/api/v1/statement-lines", params={"journal": "BNK1"})
        assert answer.status_code == 200, email
        body = answer.json()
        assert body["next"] is None
        items = body["items"]
        assert [i["id"] for i in items] == [books.fee, books.part, books.exact]
        assert all(set(item) == KEYS for item in items)
        exact = items[-1]
        assert (exact["amount"], exact["reconciled"], exact["matched"]) == (
            "100.00", True, [books.first])
        assert exact["label"] == f"SEPA credit Osaka {books.first}"
        assert exact["source"] == "manual" and exact["entry"].startswith("BNK1/")
        one = sign_in(email).get(f"/api/v1/statement-lines/{books.fee}")
        assert one.status_code == 200
        assert one.json() == {**items[0]}


def test_cursor_pages_never_repeat_or_skip_a_line(web: Web,
                                                  sign_in: Callable[[str], Client]) -> None:
    build(web)
    with open_books(web.engine, "Acme Ltd") as books:
        made = [(dt.date(2026, 5, 1 + n % 3), int(add_line(books, ManualLine(
            "BNK1", dt.date(2026, 5, 1 + n % 3), Decimal(n + 1), f"Page line {n}"))["id"]))
            for n in range(120)]
    client = sign_in(VIEWER)
    seen: list[int] = []
    cursor = None
    calls = 0
    while True:
        params = {"journal": "BNK1", "q": "page line", "limit": "50"}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/statement-lines", params=params).json()
        calls += 1
        seen += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert calls == 3
    assert seen == [i for _, i in sorted(made, reverse=True)]


def test_filters_search_and_refusals(web: Web, sign_in: Callable[[str], Client]) -> None:
    books = build(web)
    with open_books(web.engine, "Acme Ltd") as opened:
        apply(opened, books.exact, [books.first])
    client = sign_in(VIEWER)

    def ids(**params: str) -> list[int]:
        answer = client.get("/api/v1/statement-lines", params={"journal": "BNK1", **params})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert ids(filter="reconciled") == [books.exact]
    assert ids(filter="to_reconcile") == [books.fee, books.part]
    assert ids(q="-2.50") == [books.fee]
    assert ids(q="transfer") == [books.part]
    assert ids(q="osaka") == [books.exact]
    for params, code, status in (
        ({}, "invalid", 422),  # the journal is needed
        ({"journal": "BNK1", "filter": "some"}, "invalid", 422),
        ({"journal": "BNK1", "cursor": "not-a-cursor"}, "invalid", 422),
        ({"journal": "BNK1", "limit": "0"}, "invalid", 422),
        ({"journal": "SAL"}, "invalid", 422),  # not a bank journal
        ({"journal": "NOPE"}, "not_found", 404),
    ):
        answer = client.get("/api/v1/statement-lines", params=params)
        assert answer.status_code == status, params
        assert answer.json()["error"]["code"] == code
    for missing in ("999999", "0", "99999999999"):
        answer = client.get(f"/api/v1/statement-lines/{missing}")
        assert answer.status_code in (404, 422) and "error" in answer.json()


def test_an_outsider_never_reads_acmes_lines(web: Web,
                                             sign_in: Callable[[str], Client]) -> None:
    books = build(web)
    outsider = sign_in(OUTSIDER)
    own = outsider.get("/api/v1/statement-lines", params={"journal": "BNK1"}).json()
    assert [i["id"] for i in own["items"]] == [books.other]
    for params in ({"journal": "BNK1", "company": "Acme Ltd"},):
        answer = outsider.get("/api/v1/statement-lines", params=params)
        assert answer.status_code == 404
    assert outsider.get(f"/api/v1/statement-lines/{books.exact}").status_code == 404
    assert outsider.get(f"/api/v1/statement-lines/{books.exact}",
                        params={"company": "Acme Ltd"}).status_code == 404
    assert web.client().get("/api/v1/statement-lines",
                            params={"journal": "BNK1"}).status_code == 401


def test_no_other_route_can_answer_a_statement_lines_path(web: Web) -> None:
    """The list's router is tried first (booksync.web.app.ROUTERS): that changes nothing
    as long as no other route's path matches one of its paths."""
    others = [route for route in _api_routes(web.app.routes)
              if route.endpoint.__module__ != "booksync.web.api.statements"]
    assert len(others) > 50
    for path in ("/api/v1/statement-lines", "/api/v1/statement-lines/1"):
        assert [r.path for r in others if r.path_regex.match(path)] == [], path
