"""The Invoices and Bills pages: lists and filters, the form, a document's page and actions."""

from __future__ import annotations

import datetime as dt
import html as html_text
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from booksync.app.context import open_books
from booksync.app.invoices import (
    DocumentInput,
    DocumentLineInput,
    InvoiceView,
    add_invoice,
    show_invoice,
)
from booksync.app.masterdata import add_partner
from booksync.app.payments import add_payment
from booksync.db.engine import session_factory
from booksync.documents.models import Invoice, InvoiceType, Payment
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Partner
from booksync.web.pages import invoices as invoice_pages
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

DAY = dt.date(2026, 3, 2)
TODAY = dt.date.today()
D = Decimal


def seed(web: Web) -> None:
    """Acme's customer Osaka, vendor Kyoto and bank journal BNK1; Globex's partner Initech."""
    with open_books(web.engine, "Acme Ltd") as books:
        add_partner(books, "Osaka")
        add_partner(books, "Kyoto")
        create_bank_journal(books.session, books.company, "Main")
    with open_books(web.engine, "Globex GmbH") as books:
        add_partner(books, "Initech")


def make(web: Web, amount: str = "100", *, kind: InvoiceType = InvoiceType.INVOICE,
         partner: str | None = None, day: dt.date = DAY, due: dt.date | None = None,
         post: bool = True, ref: str | None = None, company: str = "Acme Ltd") -> InvoiceView:
    """A document of one untaxed line of ``amount`` made through the application layer."""
    if partner is None:
        partner = "Osaka" if kind in (InvoiceType.INVOICE, InvoiceType.CREDIT_NOTE) else "Kyoto"
    with open_books(web.engine, company) as books:
        return add_invoice(books, DocumentInput(
            kind, partner, day, (DocumentLineInput("Work", D(1), D(amount)),),
            due_date=due or day, ref=ref), post=post)


def pay(web: Web, view: InvoiceView, amount: str) -> None:
    with open_books(web.engine, "Acme Ltd") as books:
        add_payment(books, journal="BNK1", partner=view.partner, amount=D(amount), date=DAY,
                    outbound=view.type in ("bill", "credit_note"), invoices=[view.number or ""])


def state_of(web: Web, doc_id: int) -> tuple[str | None, str, str, Decimal]:
    with open_books(web.engine, "Acme Ltd") as books:
        view = show_invoice(books, doc_id)
    return view.number, view.state, view.payment_state, view.residual


def count(web: Web, model: type[Invoice] | type[Payment] | type[Partner]) -> int:
    with session_factory(web.engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def field_error(html: str, field: str) -> str:
    found = re.search(rf'data-field="{field}">([^<]*)<', html)
    assert found, f"no error next to {field}"
    return html_text.unescape(found.group(1))


def form(client: Client, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"csrf": client.csrf, "partner": "Osaka", "date": "2026-03-02",
                               "terms": "30", "currency": "EUR", "action": "draft"}
    base.update(fields)
    return base


def test_an_invoice_typed_in_the_form_is_totalled_posted_and_paid(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    client = sign_in(ACCOUNTANT)
    blank = client.get("/invoices/new")
    assert blank.status_code == 200
    for label in ("New invoice", "Partner", "Invoice date", "Due date", "Add a line", "Post",
                  "VAT 20%", "/static/invoice_form.js"):
        assert label in blank.text
    made = client.post("/invoices/new", data=form(
        client, ref="PO-7", description=["Consulting", "Book"], quantity=["2", "1.5"],
        unit_price=["500", "9.99"], tax=["VAT 20%", ""], account=["", ""]))
    assert made.status_code == 303
    doc_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert state_of(web, doc_id) == (None, "draft", "not_paid", D("1214.99"))
    shown = client.get(f"/invoices/{doc_id}").text
    # 2 x 500 + 1.5 x 9.99 (14.985 -> 14.99); VAT 20% on 1,000.00 only
    assert 'data-total="untaxed">1,014.99 EUR' in shown
    assert 'data-total="tax">200.00 EUR' in shown
    assert 'data-total="total">1,214.99 EUR' in shown
    assert '<span class="badge draft">Draft</span>' in shown and "PO-7" in shown
    assert "2026-04-01" in shown  # 30 days of terms
    posted = client.post(f"/invoices/{doc_id}/post", data={"csrf": client.csrf})
    assert posted.status_code == 303
    shown = client.get(f"/invoices/{doc_id}").text
    assert "INV/2026/00001" in shown and '<span class="badge open">Open</span>' in shown
    entry = re.search(r'href="/entries/(\d+)">SAL/2026/00001<', shown)
    assert entry, "the journal entry's link"
    assert "Register payment" in shown and "Credit note" in shown
    paid = client.post(f"/invoices/{doc_id}/payment", data={
        "csrf": client.csrf, "amount": "1214.99", "date": "2026-03-20", "journal": "BNK1"})
    assert paid.status_code == 303
    shown = client.get(f"/invoices/{doc_id}").text
    assert '<span class="badge paid">Paid</span>' in shown
    assert 'data-total="residual">0.00 EUR' in shown and "Payment 1" in shown
    assert state_of(web, doc_id) == ("INV/2026/00001", "posted", "paid", D("0.00"))
    assert "Register payment" not in shown


def test_the_form_works_without_script_and_shows_refusals_next_to_their_fields(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    client = sign_in(ACCOUNTANT)
    more = client.post("/invoices/new", data=form(
        client, action="add_line", description=["Consulting"], quantity=["2"],
        unit_price=["500"], tax=["VAT 20%"], account=[""]))
    assert more.status_code == 200
    assert more.text.count("data-line>") == 2 and 'value="Consulting"' in more.text
    unknown = client.post("/invoices/new", data=form(
        client, partner="Nobody", description=["Consulting"], quantity=["2"],
        unit_price=["500"], tax=[""], account=[""]))
    assert unknown.status_code == 404
    assert "unknown partner 'Nobody'" in field_error(unknown.text, "partner")
    assert 'value="Consulting"' in unknown.text  # what was typed is kept
    wrong = client.post("/invoices/new", data=form(
        client, description=["A", "B"], quantity=["1", "abc"], unit_price=["10", "10"],
        tax=["", ""], account=["", ""]))
    assert wrong.status_code == 422
    assert "is not an amount" in field_error(wrong.text, "line2")
    cents = client.post("/invoices/new", data=form(
        client, description=["A", "B"], quantity=["1", "1"], unit_price=["10", "10.001"],
        tax=["", ""], account=["", ""]))
    assert cents.status_code == 422
    assert "more than 2 decimal places" in field_error(cents.text, "line2")
    account = client.post("/invoices/new", data=form(
        client, description=["A", "B"], quantity=["1", "1"], unit_price=["10", "10"],
        tax=["", ""], account=["", "9999"], action="post"))
    assert account.status_code == 404
    assert "unknown account '9999'" in field_error(account.text, "line2")
    both = client.post("/invoices/new", data=form(
        client, due_date="2026-03-01", description=["A"], quantity=["1"], unit_price=["1"],
        tax=[""], account=[""]))
    assert both.status_code == 422 and field_error(both.text, "due_date")
    nul = client.post("/invoices/new", data=form(
        client, partner="Osa\x00ka", description=["A"], quantity=["1"], unit_price=["1"],
        tax=[""], account=[""]))
    assert nul.status_code == 422 and "control character" in field_error(nul.text, "partner")
    late = client.post("/invoices/new", data=form(
        client, date="9999-12-30", description=["A"], quantity=["1"], unit_price=["1"],
        tax=[""], account=[""]))
    assert late.status_code == 422 and "9999-12-31" in field_error(late.text, "terms")
    assert count(web, Invoice) == 0


def test_a_payment_refused_is_shown_by_its_field_and_nothing_is_written(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    view = make(web, "100")
    client = sign_in(ACCOUNTANT)
    for given, field, status in (({"amount": "12.345"}, "amount", 422),
                                 ({"amount": "0"}, "amount", 422),
                                 ({"date": "not a day"}, "date", 422),
                                 ({"journal": "SAL"}, "journal", 422),
                                 ({"journal": "NOPE"}, "journal", 404)):
        data = {"csrf": client.csrf, "amount": "40", "date": "2026-03-05", "journal": "BNK1",
                **given}
        answer = client.post(f"/invoices/{view.id}/payment", data=data)
        assert answer.status_code == status, given
        assert field_error(answer.text, field)
        assert f'value="{data["amount"]}"' in answer.text  # the amount typed is kept
    assert count(web, Payment) == 0
    part = client.post(f"/invoices/{view.id}/payment", data={
        "csrf": client.csrf, "amount": "40", "date": "2026-03-05", "journal": "BNK1"})
    assert part.status_code == 303
    shown = client.get(f"/invoices/{view.id}").text
    assert "Partially paid" in shown and 'data-total="residual">60.00 EUR' in shown


def test_a_credit_note_reverses_a_posted_invoice(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    view = make(web, "250")
    client = sign_in(ACCOUNTANT)
    answer = client.post(f"/invoices/{view.id}/credit-note", data={"csrf": client.csrf})
    assert answer.status_code == 303
    note_id = int(answer.headers["location"].rsplit("/", 1)[1])
    note = client.get(f"/invoices/{note_id}").text
    assert "Credit note RINV/2026/00001" in note and "INV/2026/00001" in note
    original = client.get(f"/invoices/{view.id}").text
    assert '<span class="badge reversed">Reversed</span>' in original
    assert f'href="/invoices/{note_id}">RINV/2026/00001' in original
    again = client.post(f"/invoices/{view.id}/credit-note", data={"csrf": client.csrf})
    assert again.status_code == 409 and "already has a credit note" in again.text
    assert state_of(web, view.id)[2:] == ("reversed", D("0.00"))


def test_bills_are_typed_posted_paid_and_refunded_on_their_own_pages(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    make(web, "70")  # an invoice: never on the Bills page
    client = sign_in(ACCOUNTANT)
    assert "New bill" in client.get("/bills/new").text
    made = client.post("/bills/new", data=form(
        client, partner="Kyoto", ref="V-778", description=["Paper", "Ink"],
        quantity=["10", "1"], unit_price=["3.50", "20"], tax=["VAT 10%", "VAT 10%"],
        account=["", ""], action="post"))
    assert made.status_code == 303
    bill_id = int(made.headers["location"].rsplit("/", 1)[1])
    shown = client.get(f"/bills/{bill_id}").text
    assert "BILL/2026/00001" in shown and 'data-total="total">60.50 EUR' in shown
    assert "We pay Kyoto" in shown and "Refund" in shown
    listed = client.get("/bills").text
    assert "BILL/2026/00001" in listed and "INV/2026/00001" not in listed
    assert client.get("/invoices/" + str(bill_id)).status_code == 404
    paid = client.post(f"/bills/{bill_id}/payment", data={
        "csrf": client.csrf, "amount": "60.50", "date": "2026-03-09", "journal": "BNK1"})
    assert paid.status_code == 303
    assert state_of(web, bill_id)[2:] == ("paid", D("0.00"))
    other = make(web, "30", kind=InvoiceType.BILL)
    refund = client.post(f"/bills/{other.id}/refund", data={"csrf": client.csrf,
                                                             "date": "2026-03-04"})
    assert refund.status_code == 303
    assert "RBILL/2026/00001" in client.get(refund.headers["location"]).text


def test_lists_filter_by_state_and_due_date_search_and_page(
        web: Web, sign_in: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch) -> None:
    seed(web)
    late = make(web, "10", day=TODAY - dt.timedelta(days=40), due=TODAY - dt.timedelta(days=10),
                ref="ORDER-LATE")
    coming = make(web, "20", day=TODAY, due=TODAY + dt.timedelta(days=10))
    settled = make(web, "30", day=TODAY)
    pay(web, settled, "30")
    draft = make(web, "40.50", post=False)
    client = sign_in(VIEWER)

    def listed(query: str) -> set[int]:
        answer = client.get("/invoices" + query)
        assert answer.status_code == 200
        return {int(i) for i in re.findall(r'data-document="(\d+)"', answer.text)}

    assert listed("") == {late.id, coming.id, settled.id, draft.id}
    assert listed("?state=open") == {late.id, coming.id}
    assert listed("?state=overdue") == {late.id}
    assert listed("?state=paid") == {settled.id}
    assert listed("?state=draft") == {draft.id}
    assert listed("?q=order-late") == {late.id}
    assert listed("?q=osa") == {late.id, coming.id, settled.id, draft.id}
    assert listed("?q=40.5") == {draft.id}
    assert listed(f"?q={coming.number}") == {coming.id}
    overdue = client.get("/invoices?state=overdue").text
    assert '<span class="badge overdue">Overdue</span>' in overdue
    assert re.findall(r"<th[^>]*>([^<]+)</th>", overdue) == [
        "Number", "Partner", "Date", "Due date", "Total", "Amount due", "State"]
    assert client.get("/invoices?state=late").status_code == 422
    assert client.get("/invoices?after=garbage").status_code == 422
    assert client.get("/invoices?q=a%00").status_code == 422  # booksync.web.addresses
    assert client.get(f"/invoices/{2**63}").status_code == 422
    monkeypatch.setattr(invoice_pages, "PAGE_SIZE", 3)
    first = client.get("/invoices").text
    assert set(map(int, re.findall(r'data-document="(\d+)"', first))) == {
        draft.id, settled.id, coming.id}
    following = re.search(r'href="([^"]+)" rel="next">Next page', first)
    assert following
    second = client.get(following.group(1).replace("&amp;", "&")).text
    assert set(map(int, re.findall(r'data-document="(\d+)"', second))) == {late.id}
    assert "Next page" not in second and "First page" in second


def test_viewers_read_only_and_outsiders_never_see_acme_documents(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    posted = make(web, "100", ref="ACME-SECRET")
    draft = make(web, "55", post=False)
    mine = make(web, "7", partner="Initech", company="Globex GmbH")
    viewer = sign_in(VIEWER)
    page = viewer.get(f"/invoices/{posted.id}")
    assert page.status_code == 200 and "INV/2026/00001" in page.text
    assert "Register payment" not in page.text and "New invoice" not in viewer.get(
        "/invoices").text
    assert viewer.get("/invoices/new").status_code == 403
    for path, data in ((f"/invoices/{draft.id}/post", {}),
                       (f"/invoices/{posted.id}/payment", {"amount": "1", "journal": "BNK1"}),
                       (f"/invoices/{posted.id}/credit-note", {}),
                       ("/invoices/new", {"partner": "Osaka", "description": "x",
                                          "unit_price": "1"})):
        assert viewer.post(path, data={"csrf": viewer.csrf, **data}).status_code == 403
    assert state_of(web, draft.id)[1] == "draft" and count(web, Payment) == 0
    outsider = sign_in(OUTSIDER)
    listing = outsider.get("/invoices").text
    assert "ACME-SECRET" not in listing and "Osaka" not in listing and "Initech" in listing
    assert outsider.get(f"/invoices/{posted.id}").status_code == 404
    assert outsider.get("/invoices?company=Acme Ltd").status_code == 404
    assert outsider.post(f"/invoices/{draft.id}/post",
                         data={"csrf": outsider.csrf}).status_code == 404
    assert state_of(web, draft.id)[1] == "draft"
    assert outsider.get(f"/invoices/{mine.id}").status_code == 200
    admin = sign_in(ADMIN)
    assert admin.post(f"/invoices/{draft.id}/post", data={"csrf": admin.csrf}
                      ).status_code == 303
    assert state_of(web, draft.id)[1] == "posted"
    assert admin.post(f"/invoices/{draft.id}/cancel", data={"csrf": admin.csrf}
                      ).status_code == 409
    assert sign_in(ACCOUNTANT).post(f"/invoices/{draft.id}/post", data={}).status_code == 403
