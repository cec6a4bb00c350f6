"""The Bank statement lines page: columns and statuses, keyset pages, filters, search, roles."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from decimal import Decimal

from booksync.app.context import open_books
from booksync.app.masterdata import add_partner
from booksync.app.reconcile import apply
from booksync.app.statements import add_line
from booksync.statements.manual import ManualLine
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.test_reconcile_pages import build

LINE = re.compile(r'<tr data-line="(\d+)">')


def _ids(page: str) -> list[int]:
    return [int(i) for i in LINE.findall(page)]


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def _many(web: Web, count: int) -> list[tuple[dt.date, int]]:
    """``count`` lines over five days (many on each: ties on the date), as (date, id)."""
    made = []
    with open_books(web.engine, "Acme Ltd") as books:
        for n in range(count):
            day = dt.date(2026, 4, 1 + (n * 7) % 5)
            row = add_line(books, ManualLine("BNK1", day, Decimal(n + 1), f"Line {n}"))
            made.append((day, int(row["id"])))
    return made


def test_the_list_shows_each_line_with_its_status_and_links_to_its_widget(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    books = build(web)
    with open_books(web.engine, "Acme Ltd") as opened:
        apply(opened, books.exact, [books.first])
        apply(opened, books.fee, counterparts=["6500:2.50:Bank fees"])
    for email in (VIEWER, ACCOUNTANT, ADMIN):
        page = sign_in(email).get("/statements")
        assert page.status_code == 200, email
        text = page.text
        for label in ("Bank statement lines", "Date", "Label", "Partner", "Amount", "Status",
                      "BNK1"):
            assert label in text, label
        assert _ids(text) == [books.fee, books.part, books.exact]  # same day: newest id first
        assert f"Reconciled with {books.first}" in text
        assert re.search(r"Reconciled \(BNK1/2026/\d+\)", text), "a write-off's entry"
        assert text.count("To reconcile</a>") == 1
        assert f'href="/statements/{books.part}"' in text
        assert "-2.50" in text and "100.00" in text
        assert "Globex customer" not in text


def test_keyset_pages_never_repeat_or_skip_a_line(web: Web,
                                                  sign_in: Callable[[str], Client]) -> None:
    build(web)
    made = _many(web, 250)
    client = sign_in(VIEWER)
    expected = [i for _, i in sorted(made, reverse=True)]
    seen: list[int] = []
    pages: list[str] = []
    target: str | None = "/statements?journal=BNK1&q=Line"
    while target:
        page = client.get(target)
        assert page.status_code == 200
        pages.append(target)
        ids = _ids(page.text)
        assert 0 < len(ids) <= 100
        seen += ids
        target = _link(page.text, "next")
    assert seen == expected and len(pages) == 3
    assert "after=" in pages[-1] and "q=Line" in pages[-1]
    # Back from the last page with Previous: the same pages, the other way.
    back: list[int] = []
    page = client.get(pages[-1]).text
    back = _ids(page) + back
    while (target := _link(page, "prev")) is not None:
        page = client.get(target).text
        back = _ids(page) + back
    assert back == expected


def test_filters_and_search(web: Web, sign_in: Callable[[str], Client]) -> None:
    books = build(web)
    with open_books(web.engine, "Acme Ltd") as opened:
        add_partner(opened, "Vega Design BV")
        vega = int(add_line(opened, ManualLine("BNK1", dt.date(2026, 3, 11), Decimal("-1234.50"),
                                               "Invoice 77 paid", "Vega Design BV"))["id"])
        apply(opened, books.exact, [books.first])
    client = sign_in(VIEWER)

    def shown(**params: str) -> list[int]:
        answer = client.get("/statements", params=params)
        assert answer.status_code == 200, answer.text
        return _ids(answer.text)

    assert shown(filter="reconciled") == [books.exact]
    assert shown(filter="to_reconcile") == [vega, books.fee, books.part]
    assert shown(q="-1,234.50") == [vega]
    assert shown(q="-1234.50") == [vega]
    assert shown(q="1234.50") == []  # an amount is the signed amount, exactly
    assert shown(q="100") == [books.exact]
    assert shown(q="vega design") == [vega]  # the partner's name, any case
    assert shown(q="ACCOUNT FEE") == [books.fee]  # the label, any case
    assert shown(q="100%") == []  # a wildcard is a character like any other
    assert shown(q="osaka", filter="reconciled") == [books.exact]
    assert shown(q="osaka", filter="to_reconcile") == []
    empty = client.get("/statements", params={"q": "nothing like it"})
    assert "No statement lines match these filters." in empty.text
    bad = client.get("/statements", params={"filter": "everything"})
    assert bad.status_code == 422 and "filter must be" in bad.text
    assert client.get("/statements", params={"journal": "SAL"}).status_code == 422
    assert client.get("/statements", params={"journal": "NOPE"}).status_code == 404
    assert client.get("/statements", params={"after": "x"}).status_code == 422
    assert client.get("/statements", params={"after": str(books.other)}).status_code == 422


def test_a_company_without_a_bank_journal_is_told_so(web: Web,
                                                     sign_in: Callable[[str], Client]) -> None:
    page = sign_in(VIEWER).get("/statements")
    assert page.status_code == 200 and "No bank journal yet" in page.text


def test_an_outsider_sees_only_its_own_lines(web: Web, sign_in: Callable[[str], Client]) -> None:
    books = build(web)
    outsider = sign_in(OUTSIDER)
    own = outsider.get("/statements")
    assert own.status_code == 200 and _ids(own.text) == [books.other]
    assert "SEPA credit Osaka" not in own.text
    refused = outsider.get("/statements", params={"company": "Acme Ltd"})
    assert refused.status_code == 404 and "SEPA credit Osaka" not in refused.text
    assert outsider.get("/statements", params={"after": str(books.exact)}).status_code == 422
