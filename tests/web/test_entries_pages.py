"""Journal entries pages: the list and its paging, an entry's page, the form, Post, Reverse."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from booksync.app.context import open_books
from booksync.app.entries import add_entry, entry_links, entry_page, reverse, show_entry
from booksync.app.masterdata import add_partner
from booksync.db.engine import session_factory
from booksync.ledger.entries import LineInput
from booksync.ledger.models import Account, Entry, Line
from booksync.ledger.reconcile import reconcile
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

D = Decimal
JOURNALS = ("MISC", "SAL", "PUR")


def two_lines(debit: str, credit: str, amount: str, partner: str | None = None,
              label: str | None = None) -> list[LineInput]:
    return [LineInput(debit, debit=D(amount), partner=partner, label=label),
            LineInput(credit, credit=D(amount))]


@pytest.fixture
def books(web: Web) -> dict[str, int]:
    """Acme: a sale to Bob settled in part by a payment (reconciled), a draft, and a
    posted entry; Globex: one entry.  The ids by name."""
    with open_books(web.engine, "Acme Ltd") as acme:
        add_partner(acme, "Bob")
        sale = add_entry(acme, journal="SAL", date=dt.date(2026, 1, 10), post=True, lines=[
            LineInput("1100", debit=D("1190.00"), partner="Bob", label="Invoice 17"),
            LineInput("4000", credit=D("1000.00")), LineInput("2100", credit=D("190.00"))])
        paid = add_entry(acme, journal="MISC", date=dt.date(2026, 2, 5), post=True,
                         lines=[LineInput("1200", debit=D("500.00")),
                                LineInput("1100", credit=D("500.00"), partner="Bob")])
        rent = add_entry(acme, journal="MISC", date=dt.date(2026, 2, 6), post=True,
                         lines=two_lines("6100", "1200", "800.00", label="Rent"))
        draft = add_entry(acme, journal="MISC", date=dt.date(2026, 2, 7),
                          lines=two_lines("6600", "1200", "42.00"))
        receivables = acme.session.scalars(
            select(Line.id).join(Account, Account.id == Line.account_id)
            .where(Line.company_id == acme.company.id, Account.code == "1100")).all()
        reconcile(acme.session, acme.company, receivables, origin="manual")
    with open_books(web.engine, "Globex GmbH") as globex:
        theirs = add_entry(globex, journal="MISC", date=dt.date(2026, 1, 5), post=True,
                           lines=two_lines("1200", "3000", "77777.77"))
    return {"sale": sale["id"], "paid": paid["id"], "rent": rent["id"], "draft": draft["id"],
            "globex": theirs["id"]}


def count_entries(web: Web) -> int:
    with session_factory(web.engine)() as session:
        return int(session.scalar(select(func.count()).select_from(Entry)) or 0)


def state_of(web: Web, entry_id: int, company: str = "Acme Ltd") -> str:
    with open_books(web.engine, company) as acme:
        return str(show_entry(acme, entry_id)["state"])


def test_the_list_shows_the_newest_entries_first(web: Web, books: dict[str, int]) -> None:
    page = web.sign_in(VIEWER).get("/entries")
    assert page.status_code == 200
    assert 'aria-current="page">Journal entries<' in page.text
    for column in ("<th>Date</th>", "<th>Number</th>", "<th>Journal</th>", "<th>Ref</th>",
                   '<th class="num">Total</th>', "<th>State</th>"):
        assert column in page.text
    ids = [int(i) for i in re.findall(r'<a href="/entries/(\d+)">', page.text)]
    assert ids == [books["draft"], books["rent"], books["paid"], books["sale"]]
    assert "Draft " + str(books["draft"]) in page.text and "SAL/2026/00001" in page.text
    assert '<td class="num">1,190.00</td>' in page.text
    assert "77,777.77" not in page.text  # Globex's
    assert "New entry" not in page.text  # a viewer books nothing
    misc = web.sign_in(VIEWER).get("/entries?journal=SAL")
    assert re.findall(r'<a href="/entries/(\d+)">', misc.text) == [str(books["sale"])]
    until = web.sign_in(VIEWER).get("/entries?until=2026-02-05")
    assert [int(i) for i in re.findall(r'<a href="/entries/(\d+)">', until.text)] == [
        books["paid"], books["sale"]]


def test_paging_never_repeats_or_skips_an_entry(web: Web) -> None:
    with open_books(web.engine, "Acme Ltd") as acme:
        for n in range(130):  # several entries a day, so that the id breaks the ties
            add_entry(acme, journal=JOURNALS[n % 3], date=dt.date(2026, 1, 1 + n % 9),
                      post=n % 4 != 0, lines=two_lines("6300", "1000", f"{n + 1}.00"))
        everything = list(entry_page(acme, limit=1000).entries)
    expected = [e["id"] for e in everything]
    assert len(expected) == 130
    assert [(e["date"], e["id"]) for e in everything] == sorted(
        ((e["date"], e["id"]) for e in everything), reverse=True)
    client = web.sign_in(VIEWER)
    for journal in ("", "MISC"):
        seen: list[int] = []
        path: str | None = f"/entries?journal={journal}"
        pages = 0
        while path:
            page = client.get(path.replace("&amp;", "&"))
            assert page.status_code == 200
            seen += [int(i) for i in re.findall(r'<a href="/entries/(\d+)">', page.text)]
            found = re.search(r'<a href="([^"]+)" rel="next">Older entries</a>', page.text)
            path = found.group(1) if found else None
            pages += 1
        wanted = [e["id"] for e in everything if not journal or e["journal"] == journal]
        assert seen == wanted
        assert pages == -(-len(wanted) // 50)


def test_an_entry_page_shows_lines_reconciliations_and_reversal_links(
    web: Web, books: dict[str, int]
) -> None:
    client = web.sign_in(VIEWER)
    page = client.get(f"/entries/{books['sale']}")
    assert page.status_code == 200
    assert "<h1>SAL/2026/00001" in page.text
    row = re.search(r"<tr>\s*<td>1100</td>(.*?)</tr>", page.text, re.S)
    assert row is not None
    cells = row.group(1)
    assert "Bob" in cells and "Invoice 17" in cells and "1,190.00" in cells
    assert '<td class="num">690.00</td>' in cells  # what Bob still owes on it
    assert f'<a href="/entries/{books["paid"]}">MISC/2026/00001</a>' in cells
    assert "500.00 (manual)" in cells
    paying = client.get(f"/entries/{books['paid']}").text
    assert f'<a href="/entries/{books["sale"]}">SAL/2026/00001</a>' in paying

    with open_books(web.engine, "Acme Ltd") as acme:
        mirror = reverse(acme, books["rent"])
        links = entry_links(acme, books["rent"])
    assert links.reversed_by is not None and links.reversed_by.id == mirror["id"]
    original = client.get(f"/entries/{books['rent']}").text
    assert "Reversed by" in original
    assert f'<a href="/entries/{mirror["id"]}">{mirror["number"]}</a>' in original
    back = client.get(f"/entries/{mirror['id']}").text
    assert f'Reversal of</dt><dd><a href="/entries/{books["rent"]}">MISC/2026/00002</a>' in back
    assert client.get("/entries/999999").status_code == 404


def test_a_number_opens_its_entry(web: Web, books: dict[str, int]) -> None:
    client = web.sign_in(VIEWER)
    found = client.get("/entries?number=SAL/2026/00001")
    assert found.status_code == 303 and found.headers["location"] == f"/entries/{books['sale']}"
    assert client.get("/entries?number=SAL/2026/00099").status_code == 404


def form(client: Client, lines: list[tuple[str, str, str, str, str]], action: str = "draft",
         **fields: str) -> dict[str, object]:
    data: dict[str, object] = {"csrf": client.csrf, "journal": "MISC", "date": "2026-03-01",
                               "ref": "Accrual", "action": action, **fields}
    for n, key in enumerate(("account", "label", "debit", "credit", "partner")):
        data[key] = [line[n] for line in lines]
    return data


def test_the_form_refuses_an_unbalanced_entry_and_saves_nothing(
    web: Web, books: dict[str, int]
) -> None:
    client = web.sign_in(ACCOUNTANT)
    blank = client.get("/entries/new")
    assert blank.status_code == 200
    for label in ("Journal", "Date", "Ref", "Account", "Label", "Debit", "Credit", "Partner",
                  "Add a line", "Save draft"):
        assert label in blank.text
    before = count_entries(web)
    answer = client.post("/entries", data=form(client, [
        ("6300", "Paper", "100.00", "", ""), ("1000", "", "", "90.00", "")]))
    assert answer.status_code == 422
    sentence = ("entry is not balanced: debits 100.00, credits 90.00, difference 10.00 EUR")
    error = re.search(r'<p class="error" role="alert" id="entry-error">(.*?)</p>', answer.text)
    assert error is not None and error.group(1) == sentence
    assert answer.text.index(sentence) < answer.text.index('name="account"')
    assert 'value="Paper"' in answer.text and 'value="90.00"' in answer.text  # kept as typed
    assert count_entries(web) == before
    for lines, words in (
        ([("6300", "", "12,50", "", ""), ("1000", "", "", "12.50", "")], "Line 1:"),
        ([("9999", "", "5", "", ""), ("1000", "", "", "5", "")], "unknown account"),
        ([("6300", "", "5", "", "Nobody"), ("1000", "", "", "5", "")], "unknown partner"),
        ([], "Give the entry&#39;s lines"),
    ):
        refused = client.post("/entries", data=form(client, lines))
        assert refused.status_code == 422 and words in refused.text, words
    undated = client.post("/entries", data=form(client, [("6300", "", "1", "", "")], date=""))
    assert undated.status_code == 422 and "Give the entry&#39;s date." in undated.text
    for many in (151, 250):  # more lines than a form holds: refused, never a 500
        huge = client.post("/entries", data=form(client, [("6300", "", "1", "", "")] * many))
        assert 400 <= huge.status_code < 500
    assert count_entries(web) == before


def test_the_form_saves_a_draft_or_posts(web: Web, books: dict[str, int]) -> None:
    client = web.sign_in(ACCOUNTANT)
    more = client.post("/entries", data=form(client, [("6300", "Paper", "5", "", "")],
                                             action="add_line"))
    assert more.status_code == 200 and more.text.count('name="account"') == 2
    assert 'value="Paper"' in more.text
    saved = client.post("/entries", data=form(client, [
        ("6300", "Paper", "12.50", "", "Bob"), ("1000", "", "", "12.50", ""),
        ("", "", "", "", "")]))
    assert saved.status_code == 303
    draft_id = int(saved.headers["location"].rsplit("/", 1)[1])
    with open_books(web.engine, "Acme Ltd") as acme:
        shape = show_entry(acme, draft_id)
    assert shape["state"] == "draft" and shape["ref"] == "Accrual"
    assert [(ln["account"], ln["label"], ln["debit"], ln["credit"], ln["partner"])
            for ln in shape["lines"]] == [("6300", "Paper", "12.50", "0.00", "Bob"),
                                          ("1000", None, "0.00", "12.50", None)]
    posted = client.post("/entries", data=form(client, [
        ("6300", "", "3", "", ""), ("1000", "", "", "3", "")], action="post"))
    assert posted.status_code == 303
    assert state_of(web, int(posted.headers["location"].rsplit("/", 1)[1])) == "posted"


def test_post_and_reverse_from_an_entry_page(web: Web, books: dict[str, int]) -> None:
    client = web.sign_in(ACCOUNTANT)
    page = client.get(f"/entries/{books['draft']}").text
    assert f'action="/entries/{books["draft"]}/post"' in page and ">Post</button>" in page
    answer = client.post(f"/entries/{books['draft']}/post", data={"csrf": client.csrf})
    assert answer.status_code == 303 and answer.headers["location"] == f"/entries/{books['draft']}"
    assert state_of(web, books["draft"]) == "posted"
    shown = client.get(f"/entries/{books['draft']}").text
    assert "MISC/2026/00003" in shown and ">Reverse</button>" in shown
    again = client.post(f"/entries/{books['draft']}/post", data={"csrf": client.csrf})
    assert again.status_code == 422 and "already posted" in again.text

    reversed_ = client.post(f"/entries/{books['rent']}/reverse",
                            data={"csrf": client.csrf, "date": "2026-02-28"})
    assert reversed_.status_code == 303
    mirror_id = int(reversed_.headers["location"].rsplit("/", 1)[1])
    with open_books(web.engine, "Acme Ltd") as acme:
        mirror = show_entry(acme, mirror_id)
    assert mirror["date"] == "2026-02-28" and mirror["reversal_of"] == "MISC/2026/00002"
    assert state_of(web, books["rent"]) == "reversed"
    twice = client.post(f"/entries/{books['rent']}/reverse", data={"csrf": client.csrf})
    assert twice.status_code == 422 and "already reversed" in twice.text
    bad = client.post(f"/entries/{books['sale']}/reverse",
                      data={"csrf": client.csrf, "date": "2026-02-31"})
    assert bad.status_code == 422 and "is not a date" in bad.text
    assert state_of(web, books["sale"]) == "posted"


def test_an_unbalanced_draft_is_not_posted(web: Web, books: dict[str, int]) -> None:
    with open_books(web.engine, "Acme Ltd") as acme:  # a draft may be unbalanced (the CLI)
        lopsided = add_entry(acme, journal="MISC", date=dt.date(2026, 3, 1), lines=[
            LineInput("6300", debit=D(10)), LineInput("1000", credit=D(9))])["id"]
    client = web.sign_in(ACCOUNTANT)
    answer = client.post(f"/entries/{lopsided}/post", data={"csrf": client.csrf})
    assert answer.status_code == 422
    assert "entry is not balanced: debits 10.00, credits 9.00" in answer.text
    assert state_of(web, lopsided) == "draft"


def test_a_viewer_reads_but_changes_nothing(web: Web, books: dict[str, int]) -> None:
    client = web.sign_in(VIEWER)
    page = client.get(f"/entries/{books['draft']}").text
    assert ">Post</button>" not in page
    assert ">Reverse</button>" not in client.get(f"/entries/{books['rent']}").text
    assert client.get("/entries/new").status_code == 403
    before = count_entries(web)
    for path, data in (
        ("/entries", form(client, [("6300", "", "1", "", ""), ("1000", "", "", "1", "")])),
        (f"/entries/{books['draft']}/post", {"csrf": client.csrf}),
        (f"/entries/{books['rent']}/reverse", {"csrf": client.csrf}),
    ):
        answer = client.post(path, data=data)
        assert answer.status_code == 403, path
        assert "may not do this" in answer.text
    assert count_entries(web) == before and state_of(web, books["draft"]) == "draft"


@pytest.mark.parametrize("email", [ACCOUNTANT, ADMIN])
def test_accountants_and_admins_book(web: Web, books: dict[str, int], email: str) -> None:
    client = web.sign_in(email)
    assert "New entry" in client.get("/entries?company=Acme Ltd").text
    answer = client.post("/entries?company=Acme Ltd", data=form(
        client, [("6300", "", "1", "", ""), ("1000", "", "", "1", "")], action="post"))
    assert answer.status_code == 303


def test_a_form_without_its_csrf_token_is_refused(web: Web, books: dict[str, int]) -> None:
    client = web.sign_in(ACCOUNTANT)
    answer = client.post(f"/entries/{books['draft']}/post", data={})
    assert answer.status_code == 403 and state_of(web, books["draft"]) == "draft"


def test_the_outsider_never_sees_acme(web: Web, books: dict[str, int]) -> None:
    client = web.sign_in(OUTSIDER)
    listed = client.get("/entries").text
    assert "77,777.77" in listed and "1,190.00" not in listed
    assert client.get(f"/entries/{books['sale']}").status_code == 404
    assert client.get("/entries?company=Acme Ltd").status_code == 404
    assert client.get("/entries?number=SAL/2026/00001").status_code == 404
    for path in (f"/entries/{books['draft']}/post", f"/entries/{books['rent']}/reverse"):
        answer = client.post(path, data={"csrf": client.csrf})
        assert answer.status_code == 404, path
    assert state_of(web, books["draft"]) == "draft" and state_of(web, books["rent"]) == "posted"
    assert state_of(web, books["globex"], "Globex GmbH") == "posted"
