"""The reconciliation widget: Apply a suggestion, pick open items, write off, Undo; roles.

The books are built through the application layer: a bank account (journal
BNK1), a customer with two posted invoices, and bank lines whose labels name
them.  Every action is a plain form post, checked on the page the browser is
sent back to and in the books (the invoice's payment state).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from booksync.app.banking import add_bank_account
from booksync.app.context import open_books
from booksync.app.invoices import DocumentInput, DocumentLineInput, add_invoice, show_invoice
from booksync.app.line_reconcile import reconciliation_of
from booksync.app.masterdata import add_partner
from booksync.app.rules import CounterpartInput, RuleInput, add_rule
from booksync.app.statements import add_line, one_line
from booksync.documents.models import InvoiceType
from booksync.statements.manual import ManualLine
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web

D = Decimal
DAY = dt.date(2026, 3, 10)


@dataclass
class Books:
    """What the tests name: the invoices' numbers and the bank lines' ids."""

    first: str  # an invoice of 100.00
    second: str  # an invoice of 30.00
    exact: int  # 100.00 in, its label names the first invoice
    part: int  # 10.00 in, nothing in its label
    fee: int  # -2.50 out, "Account fee"
    other: int  # a line of Globex


def line(web: Web, company: str, amount: str, label: str, day: dt.date = DAY,
         journal: str = "BNK1", partner: str | None = None) -> int:
    with open_books(web.engine, company) as books:
        return int(add_line(books, ManualLine(journal, day, D(amount), label, partner))["id"])


def build(web: Web) -> Books:
    """Acme with BNK1, Osaka and two posted invoices; Globex with a bank line of its own."""
    with open_books(web.engine, "Acme Ltd") as books:
        assert add_bank_account(books, "DE89370400440532013000", "Main Bank").journal == "BNK1"
        add_partner(books, "Osaka", iban="GB82WEST12345698765432")
        numbers = [
            add_invoice(books, DocumentInput(
                InvoiceType.INVOICE, "Osaka", dt.date(2026, 3, day),
                (DocumentLineInput(what, D(quantity), D(price)),)), post=True).number
            for day, what, quantity, price in ((1, "Spindles", "2", "50.00"),
                                               (2, "Bearings", "1", "30.00"))
        ]
    with open_books(web.engine, "Globex GmbH") as books:
        add_bank_account(books, "DE02120300000000202051", "Globex Bank")
    first, second = (str(n) for n in numbers)
    return Books(
        first, second,
        exact=line(web, "Acme Ltd", "100.00", f"SEPA credit Osaka {first}"),
        part=line(web, "Acme Ltd", "10.00", "Transfer"),
        fee=line(web, "Acme Ltd", "-2.50", "Account fee"),
        other=line(web, "Globex GmbH", "77.00", "Globex customer"),
    )


def payment_state(web: Web, number: str) -> str:
    with open_books(web.engine, "Acme Ltd") as books:
        return show_invoice(books, number).payment_state


def reconciled(web: Web, line_id: int) -> bool:
    with open_books(web.engine, "Acme Ltd") as books:
        return bool(one_line(books, line_id)["reconciled"])


def forms(html: str, action: str) -> list[str]:
    """The forms posting to ``action``, as text."""
    return re.findall(rf'<form method="post" action="{re.escape(action)}".*?</form>', html,
                      re.S)


@pytest.fixture
def books(web: Web) -> Books:
    return build(web)


def test_apply_the_suggestion_then_undo(web: Web, books: Books,
                                        sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    widget = client.get(f"/statements/{books.exact}")
    assert widget.status_code == 200
    text = widget.text
    for fact in ("SEPA credit Osaka", "100.00 EUR", "To reconcile", "Suggestions",
                 "Invoices: exact match", books.first, "Apply", "Write off", "Reconcile"):
        assert fact in text, fact
    assert re.search(r'<td class="num">100</td>', text), "the score is shown"
    assert payment_state(web, books.first) == "not_paid"

    applied = client.post(f"/statements/{books.exact}/apply", data={
        "rule": "Invoices: exact match", "document": books.first, "csrf": client.csrf})
    assert applied.status_code == 303
    assert applied.headers["location"] == f"/statements/{books.exact}?done=reconciled"
    after = client.get(applied.headers["location"]).text
    assert "The line is reconciled." in after
    assert f"Reconciled with {books.first}" in after
    assert "Undo" in after and "Apply" not in after
    assert payment_state(web, books.first) == "paid"
    assert reconciled(web, books.exact)

    undone = client.post(f"/statements/{books.exact}/undo", data={"csrf": client.csrf})
    assert undone.status_code == 303
    page = client.get(undone.headers["location"]).text
    assert "the line is to reconcile again" in page and "Apply" in page
    assert payment_state(web, books.first) == "not_paid"
    assert not reconciled(web, books.exact)


def test_pick_an_open_invoice_by_hand(web: Web, books: Books,
                                      sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    widget = client.get(f"/statements/{books.part}").text
    assert "Open items" in widget and "No open invoice, bill or payment" in widget
    widget = client.get(f"/statements/{books.part}", params={"q": "Osaka"}).text
    assert f'value="document:{books.second}"' in widget
    assert f'value="document:{books.first}"' in widget
    searched = client.get(f"/statements/{books.part}", params={"q": "30.00"}).text
    assert f'value="document:{books.second}"' in searched
    assert f'value="document:{books.first}"' not in searched
    by_number = client.get(f"/statements/{books.part}", params={"q": books.first}).text
    assert f'value="document:{books.first}"' in by_number
    assert f'value="document:{books.second}"' not in by_number

    done = client.post(f"/statements/{books.part}/reconcile", data={
        "item": f"document:{books.second}", "csrf": client.csrf})
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert f"Reconciled with {books.second}" in page
    assert payment_state(web, books.second) == "partial"  # 10.00 of 30.00


def test_a_pick_that_does_not_add_up_is_refused_on_the_widget(
        web: Web, books: Books, sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    big = line(web, "Acme Ltd", "103.50", "Osaka, with fees")
    refused = client.post(f"/statements/{big}/reconcile", data={
        "item": f"document:{books.first}", "csrf": client.csrf})
    assert refused.status_code == 422
    assert "3.50 EUR of the bank line are left" in refused.text
    assert "Statement line" in refused.text  # the widget again, not a bare error page
    assert not reconciled(web, big) and payment_state(web, books.first) == "not_paid"
    nothing = client.post(f"/statements/{big}/reconcile", data={"csrf": client.csrf})
    assert nothing.status_code == 422 and "Tick the invoices" in nothing.text

    done = client.post(f"/statements/{big}/reconcile", data={
        "item": f"document:{books.first}", "account": "6500", "amount": "3.50",
        "label": "Bank fees", "csrf": client.csrf})
    assert done.status_code == 303
    assert reconciled(web, big) and payment_state(web, books.first) == "paid"


def test_write_off_by_account_and_with_a_rule_button(
        web: Web, books: Books, sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    widget = client.get(f"/statements/{books.fee}").text
    assert forms(widget, f"/statements/{books.fee}/write-off")
    done = client.post(f"/statements/{books.fee}/write-off", data={
        "account": "6500", "label": "Bank fees", "csrf": client.csrf})
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "Reconciled" in page and "booked by entry BNK1/" in page
    with open_books(web.engine, "Acme Ltd") as opened:
        record = reconciliation_of(opened, books.fee)
    assert record is not None and record.state == "active" and record.documents == []
    refused = client.post(f"/statements/{books.part}/write-off", data={
        "account": "", "csrf": client.csrf})
    assert refused.status_code == 422 and "Choose the account" in refused.text

    with open_books(web.engine, "Acme Ltd") as opened:
        add_rule(opened, RuleInput("Interest", "button",
                                   counterparts=(CounterpartInput("6500", D(100)),)))
    widget = client.get(f"/statements/{books.part}").text
    pressed = [f for f in forms(widget, f"/statements/{books.part}/apply") if "Interest" in f]
    assert len(pressed) == 1 and ">Interest</button>" in pressed[0]
    done = client.post(f"/statements/{books.part}/apply", data={
        "rule": "Interest", "csrf": client.csrf})
    assert done.status_code == 303 and reconciled(web, books.part)


def test_a_suggestion_that_no_longer_holds_is_refused(
        web: Web, books: Books, sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    twice = line(web, "Acme Ltd", "100.00", f"again {books.first}")
    assert client.post(f"/statements/{books.exact}/apply", data={
        "rule": "Invoices: exact match", "document": books.first, "csrf": client.csrf,
    }).status_code == 303
    stale = client.post(f"/statements/{twice}/apply", data={
        "rule": "Invoices: exact match", "document": books.first, "csrf": client.csrf})
    assert stale.status_code == 409 and "look at its suggestions again" in stale.text
    assert not reconciled(web, twice)
    again = client.post(f"/statements/{books.exact}/apply", data={
        "rule": "Invoices: exact match", "document": books.first, "csrf": client.csrf})
    assert again.status_code == 409 and "already reconciled" in again.text


def test_a_viewer_reads_the_widget_but_may_not_act(
        web: Web, books: Books, sign_in: Callable[[str], Client]) -> None:
    viewer = sign_in(VIEWER)
    widget = viewer.get(f"/statements/{books.exact}")
    assert widget.status_code == 200
    assert "Invoices: exact match" in widget.text and books.first in widget.text
    for button in ("Apply", "Write off", "Reconcile", "Undo"):
        assert f">{button}</button>" not in widget.text, button
    for path, data in ((f"/statements/{books.exact}/apply",
                        {"rule": "Invoices: exact match", "document": books.first}),
                       (f"/statements/{books.part}/reconcile",
                        {"item": f"document:{books.second}"}),
                       (f"/statements/{books.fee}/write-off", {"account": "6500"}),
                       (f"/statements/{books.exact}/undo", {})):
        answer = viewer.post(path, data={**data, "csrf": viewer.csrf})
        assert answer.status_code == 403, path
    assert not reconciled(web, books.exact) and payment_state(web, books.first) == "not_paid"


def test_acting_needs_the_forms_csrf_token(web: Web, books: Books,
                                           sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    answer = client.post(f"/statements/{books.fee}/write-off",
                         data={"account": "6500", "csrf": "forged"})
    assert answer.status_code == 403 and not reconciled(web, books.fee)


@pytest.mark.parametrize("email", [ACCOUNTANT, ADMIN])
def test_accountants_and_admins_may_act(web: Web, books: Books, email: str,
                                        sign_in: Callable[[str], Client]) -> None:
    client = sign_in(email)
    answer = client.post(f"/statements/{books.fee}/write-off",
                         data={"account": "6500", "csrf": client.csrf},
                         params={"company": "Acme Ltd"})
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"/statements/{books.fee}?company=Acme+Ltd&done=reconciled")
    assert reconciled(web, books.fee)


def test_an_outsider_never_reaches_acmes_line(web: Web, books: Books,
                                             sign_in: Callable[[str], Client]) -> None:
    outsider = sign_in(OUTSIDER)
    own = outsider.get(f"/statements/{books.other}")
    assert own.status_code == 200 and "Globex customer" in own.text
    for params in ({}, {"company": "Acme Ltd"}):
        answer = outsider.get(f"/statements/{books.exact}", params=params)
        assert answer.status_code == 404 and "SEPA credit Osaka" not in answer.text
        acted = outsider.post(f"/statements/{books.exact}/apply", params=params, data={
            "rule": "Invoices: exact match", "document": books.first, "csrf": outsider.csrf})
        assert acted.status_code == 404
        assert outsider.post(f"/statements/{books.exact}/undo", params=params,
                             data={"csrf": outsider.csrf}).status_code == 404
    assert not reconciled(web, books.exact)


def test_a_line_that_does_not_exist_or_a_bad_id_is_a_4xx(
        web: Web, books: Books, sign_in: Callable[[str], Client]) -> None:
    client = sign_in(ACCOUNTANT)
    assert client.get("/statements/999999").status_code == 404
    assert client.get("/statements/99999999999999999999").status_code == 422
    assert client.get("/statements/abc").status_code == 422
    odd = client.post(f"/statements/{books.part}/reconcile",
                      data={"item": "payment:xyz", "csrf": client.csrf})
    assert odd.status_code == 422 and "not an open item" in odd.text
