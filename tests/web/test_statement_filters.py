"""The Reconciled and To reconcile filters give exactly the lines the plain definition does.

A line is reconciled while it has an active reconciliation.  The Reconciled
filter finds its page one of two ways (booksync.app.statements): from the
reconciliations when the books hold few, else by walking the journal's
lines; each way is forced here in turn, on a journal with none, some and all
of its lines reconciled, and the pages (API cursors, the page's Next and
Previous links) must list the lines the definition gives, newest first.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from decimal import Decimal

import pytest

from booksync.app import statements
from booksync.app.banking import add_bank_account
from booksync.app.context import open_books
from booksync.app.reconcile import apply, undo
from booksync.app.statements import add_line, browse_lines, list_lines
from booksync.statements.manual import ManualLine
from booksync.web.api.common import cursor_of
from booksync.web.pages import statements as statement_pages
from tests.web.conftest import ADMIN, OUTSIDER, Client, Web

WAYS = {"from the reconciliations": 10_000, "walking the journal": -1}
LINE = re.compile(r'<tr data-line="(\d+)">')


@pytest.fixture(params=list(WAYS))
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(statements, "FEW_RECONCILED", WAYS[request.param])
    return str(request.param)


def _lines(web: Web, company: str, journal: str, count: int) -> list[int]:
    """``count`` fees over four days (several on each: ties on the date)."""
    with open_books(web.engine, company) as books:
        return [int(add_line(books, ManualLine(
            journal, dt.date(2026, 5, 1 + n % 4), Decimal(f"-{n + 1}.00"), f"Fee {n}"))["id"])
            for n in range(count)]


def _write_off(web: Web, line_ids: list[int], company: str = "Acme Ltd",
               journal: str = "BNK1") -> None:
    """Reconcile each fee against the fees account (a write-off)."""
    with open_books(web.engine, company) as books:
        amounts = {row["id"]: row["amount"] for row in list_lines(books, journal)}
        for line_id in line_ids:
            apply(books, line_id, counterparts=[f"6500:{amounts[line_id][1:]}:Fee"])


def _expected(web: Web, show: str) -> list[int]:
    """The definition: BNK1's lines newest first, kept by their ``reconciled`` flag."""
    with open_books(web.engine, "Acme Ltd") as books:
        rows = list(list_lines(books, "BNK1"))
    rows.sort(key=lambda row: (row["date"], row["id"]), reverse=True)
    return [row["id"] for row in rows if row["reconciled"] == (show == "reconciled")]


def _api_pages(client: Client, show: str, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        params = {"journal": "BNK1", "filter": show, "limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        answer = client.get("/api/v1/statement-lines", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items = body["items"]
        assert all(item["reconciled"] == (show == "reconciled") for item in items)
        seen += [item["id"] for item in items]
        cursor = body["next"]
        if cursor is None:
            return seen


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def _page_walk(client: Client, show: str) -> tuple[list[int], list[int]]:
    """The page's lines following Next from the first page, then Previous back."""
    forth: list[int] = []
    target: str | None = f"/statements?journal=BNK1&filter={show}"
    page = ""
    while target:
        page = client.get(target).text
        forth += [int(i) for i in LINE.findall(page)]
        target = _link(page, "next")
    back = [int(i) for i in LINE.findall(page)]
    while (target := _link(page, "prev")) is not None:
        page = client.get(target).text
        back = [int(i) for i in LINE.findall(page)] + back
    return forth, back


def _check(web: Web, client: Client) -> None:
    for show in ("reconciled", "to_reconcile"):
        expected = _expected(web, show)
        assert _api_pages(client, show, 7) == expected, show
        forth, back = _page_walk(client, show)
        assert forth == expected and back == expected, show


@pytest.fixture
def client(web: Web, sign_in: Callable[[str], Client]) -> Client:
    with open_books(web.engine, "Acme Ltd") as books:
        add_bank_account(books, "DE89370400440532013000", "Main Bank")
        add_bank_account(books, "DE02120300000000202051", "Savings")
    with open_books(web.engine, "Globex GmbH") as books:
        add_bank_account(books, "DE75512108001245126199", "Globex Bank")
    return sign_in(ADMIN)


def test_none_some_and_all_of_a_journals_lines_reconciled(web: Web, client: Client, way: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    # Pages of 10 lines: what is checked is how pages follow each other, the same
    # code whatever their size, and a few dozen lines then make several of them.
    monkeypatch.setattr(statement_pages, "PAGE_SIZE", 10)
    ours = _lines(web, "Acme Ltd", "BNK1", 46)
    elsewhere = _lines(web, "Acme Ltd", "BNK2", 5)
    theirs = _lines(web, "Globex GmbH", "BNK1", 3)
    _write_off(web, elsewhere[:3], journal="BNK2")  # reconciled, in another journal
    _write_off(web, theirs[:2], "Globex GmbH")  # and in another company
    assert _expected(web, "reconciled") == []
    _check(web, client)  # none of the journal's lines

    some = ours[5::2]  # 21 lines: more than a page of the web app
    _write_off(web, some)
    with open_books(web.engine, "Acme Ltd") as books:
        undo(books, some[0])  # an undone reconciliation does not count
    assert len(_expected(web, "reconciled")) == len(some) - 1
    _check(web, client)

    _write_off(web, [i for i in ours if i not in some or i == some[0]])
    assert len(_expected(web, "reconciled")) == len(ours)
    _check(web, client)  # all of them


def test_a_page_before_a_line_and_a_cursor_of_another_journal(web: Web, client: Client,
                                                              way: str) -> None:
    ours = _lines(web, "Acme Ltd", "BNK1", 12)
    other = _lines(web, "Acme Ltd", "BNK2", 1)
    _write_off(web, ours[::3])
    expected = _expected(web, "reconciled")
    with open_books(web.engine, "Acme Ltd") as books:
        newer = browse_lines(books, "BNK1", show="reconciled", newer_than=expected[-1],
                             limit=2)
        older = browse_lines(books, "BNK1", show="reconciled", older_than=expected[0],
                             limit=2)
    assert [row["id"] for row in newer.rows] == expected[-3:-1]
    assert [row["id"] for row in older.rows] == expected[1:3]
    assert all(row["reconciled"] and row["matched"] == [] for row in older.rows)
    for show in ("reconciled", "to_reconcile"):
        refused = client.get("/api/v1/statement-lines", params={
            "journal": "BNK1", "filter": show, "cursor": cursor_of(other[0])})
        assert refused.status_code == 422, show


def test_an_outsider_never_sees_acmes_reconciled_lines(web: Web, client: Client,
                                                       sign_in: Callable[[str], Client],
                                                       way: str) -> None:
    ours = _lines(web, "Acme Ltd", "BNK1", 4)
    theirs = _lines(web, "Globex GmbH", "BNK1", 2)
    _write_off(web, ours)
    _write_off(web, theirs[:1], "Globex GmbH")
    outsider = sign_in(OUTSIDER)
    answer = outsider.get("/api/v1/statement-lines",
                          params={"journal": "BNK1", "filter": "reconciled"})
    assert [item["id"] for item in answer.json()["items"]] == theirs[:1]

