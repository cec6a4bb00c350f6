"""The Partners pages: the list and its search, a partner's page, a new partner, an IBAN."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from booksync.app.context import open_books
from booksync.app.masterdata import get_partner
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.models import Partner
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.test_invoices_pages import count, field_error, make, pay, seed

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"
BAD_IBAN = "DE89 3704 0044 0532 0130 01"


def partner_id(web: Web, name: str) -> int:
    with open_books(web.engine, "Acme Ltd") as books:
        return get_partner(books, name).id


def iban_of(web: Web, name: str) -> str | None:
    with open_books(web.engine, "Acme Ltd") as books:
        return get_partner(books, name).iban


def test_a_partner_s_page_shows_its_open_items_and_balance(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    invoice = make(web, "1000")
    make(web, "200")
    pay(web, invoice, "400")
    make(web, "150", kind=InvoiceType.BILL, partner="Osaka")  # Osaka also sells to Acme
    make(web, "99", post=False)  # a draft owes nothing yet
    client = sign_in(VIEWER)
    listed = client.get("/partners").text
    assert [name for name in re.findall(r'<a href="/partners/\d+">([^<]+)</a>', listed)] == [
        "Kyoto", "Osaka"]
    assert "Add a partner" not in listed  # a viewer adds nothing
    found = client.get("/partners?q=OSA").text
    assert "Osaka" in found and "Kyoto" not in found
    shown = client.get(f"/partners/{partner_id(web, 'Osaka')}").text
    assert 'data-total="receivable">800.00 EUR' in shown  # 1000 - 400 + 200
    assert 'data-total="payable">150.00 EUR' in shown
    assert 'data-total="balance">650.00 EUR' in shown
    assert "Invoice INV/2026/00001" in shown and "600.00 EUR" in shown
    assert "Bill BILL/2026/00001" in shown and "-150.00 EUR" in shown
    assert "No bank account yet." in shown and "Add a bank account</button>" not in shown
    assert client.get("/partners/999999").status_code == 404


def test_adding_a_partner_checks_its_iban_and_keeps_nothing_wrong(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    client = sign_in(ACCOUNTANT)
    form = client.get("/partners/new")
    for label in ("Add a partner", "Name", "IBAN", "Email"):
        assert label in form.text
    wrong = client.post("/partners/new", data={"csrf": client.csrf, "name": "Vega Design",
                                               "iban": BAD_IBAN, "email": "a@vega.example"})
    assert wrong.status_code == 422
    assert "is not a valid IBAN" in field_error(wrong.text, "iban")
    assert 'value="Vega Design"' in wrong.text
    twice = client.post("/partners/new", data={"csrf": client.csrf, "name": "Osaka"})
    assert twice.status_code == 422 and "already exists" in field_error(twice.text, "name")
    mail = client.post("/partners/new", data={"csrf": client.csrf, "name": "Vega",
                                              "email": "not-an-address"})
    assert mail.status_code == 422 and field_error(mail.text, "email")
    assert count_partners(web) == 3  # Osaka, Kyoto and Globex's Initech
    made = client.post("/partners/new", data={"csrf": client.csrf, "name": "Vega Design",
                                              "iban": GOOD_IBAN.lower(), "email": ""})
    assert made.status_code == 303
    shown = client.get(made.headers["location"]).text
    assert "Vega Design" in shown and "DE89370400440532013000" in shown
    assert iban_of(web, "Vega Design") == "DE89370400440532013000"


def count_partners(web: Web) -> int:
    return count(web, Partner)


def test_a_bank_account_is_added_to_a_partner_once_and_a_wrong_one_never(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    osaka = partner_id(web, "Osaka")
    client = sign_in(ACCOUNTANT)
    assert "Add a bank account</button>" in client.get(f"/partners/{osaka}").text
    wrong = client.post(f"/partners/{osaka}/bank-accounts",
                        data={"csrf": client.csrf, "iban": BAD_IBAN})
    assert wrong.status_code == 422
    assert "is not a valid IBAN" in field_error(wrong.text, "iban")
    assert f'value="{BAD_IBAN}"' in wrong.text
    assert iban_of(web, "Osaka") is None
    added = client.post(f"/partners/{osaka}/bank-accounts",
                        data={"csrf": client.csrf, "iban": GOOD_IBAN})
    assert added.status_code == 303
    shown = client.get(f"/partners/{osaka}").text
    assert 'data-iban="DE89370400440532013000"' in shown
    assert "Add a bank account</button>" not in shown
    again = client.post(f"/partners/{osaka}/bank-accounts",
                        data={"csrf": client.csrf, "iban": "GB82 WEST 1234 5698 7654 32"})
    assert again.status_code == 409 and "already has a bank account" in field_error(
        again.text, "iban")
    assert iban_of(web, "Osaka") == "DE89370400440532013000"


def test_viewers_only_read_and_outsiders_never_see_acme_partners(
        web: Web, sign_in: Callable[[str], Client]) -> None:
    seed(web)
    osaka = partner_id(web, "Osaka")
    viewer = sign_in(VIEWER)
    assert viewer.get(f"/partners/{osaka}").status_code == 200
    assert viewer.get("/partners/new").status_code == 403
    assert viewer.post("/partners/new", data={"csrf": viewer.csrf, "name": "Sneaky"}
                       ).status_code == 403
    assert viewer.post(f"/partners/{osaka}/bank-accounts",
                       data={"csrf": viewer.csrf, "iban": GOOD_IBAN}).status_code == 403
    outsider = sign_in(OUTSIDER)
    listed = outsider.get("/partners").text
    assert "Initech" in listed and "Osaka" not in listed and "Kyoto" not in listed
    assert outsider.get(f"/partners/{osaka}").status_code == 404
    assert outsider.post(f"/partners/{osaka}/bank-accounts",
                         data={"csrf": outsider.csrf, "iban": GOOD_IBAN}).status_code == 404
    assert iban_of(web, "Osaka") is None and count_partners(web) == 3
    admin = sign_in(ADMIN)
    assert admin.post("/partners/new", data={"csrf": admin.csrf, "name": "Admin Co"}
                      ).status_code == 303
    with pytest.raises(BooksyncError, match="unknown partner 'Sneaky'"), open_books(
            web.engine, "Acme Ltd") as books:
        get_partner(books, "Sneaky")
