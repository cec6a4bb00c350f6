"""``booksync tax|invoice|bill``: the JSON shape exactly, human output, one-sentence refusals."""

from __future__ import annotations

import json

import pytest

from tests.cli.clitools import Cli, ok_json, one_error

INVOICE_KEYS = ["id", "number", "type", "partner", "date", "due_date", "ref", "currency",
                "untaxed", "tax", "total", "residual", "state", "payment_state", "entry", "lines"]


@pytest.fixture
def shop(acme: Cli) -> Cli:
    for partner in ("Osaka", "Paper Co"):
        code, _, err = acme("partner", "add", partner)
        assert code == 0, err
    return acme


def test_an_invoice_s_json_is_exactly_the_documented_shape(shop: Cli) -> None:
    shown = ok_json(
        shop, "invoice", "add", "--partner", "Osaka", "--date", "2026-03-02", "--terms", "30",
        "--ref", "PO-7", "--line", "Consulting:10:150:VAT 20%",
        "--line", "Book:1.5:9.99:VAT 10%:4100", "--line", "Free sample:1:0", "--post",
    )
    assert list(shown) == INVOICE_KEYS
    assert shown == {
        "id": 1, "number": "INV/2026/00001", "type": "invoice", "partner": "Osaka",
        "date": "2026-03-02", "due_date": "2026-04-01", "ref": "PO-7", "currency": "EUR",
        "untaxed": "1514.99", "tax": "301.50", "total": "1816.49", "residual": "1816.49",
        "state": "posted", "payment_state": "not_paid", "entry": "SAL/2026/00001",
        "lines": [
            {"description": "Consulting", "quantity": "10.000", "unit_price": "150.00",
             "tax": "VAT 20%", "account": "4000", "subtotal": "1500.00"},
            {"description": "Book", "quantity": "1.500", "unit_price": "9.99",
             "tax": "VAT 10%", "account": "4100", "subtotal": "14.99"},
            {"description": "Free sample", "quantity": "1.000", "unit_price": "0.00",
             "tax": None, "account": "4000", "subtotal": "0.00"},
        ],
    }
    assert ok_json(shop, "invoice", "show", "INV/2026/00001") == shown
    assert ok_json(shop, "invoice", "list") == [shown]
    entry = ok_json(shop, "entry", "show", "SAL/2026/00001")
    assert entry["ref"] == "INV/2026/00001 (PO-7)"


def test_the_life_of_a_bill_on_the_command_line(shop: Cli) -> None:
    draft = ok_json(shop, "bill", "add", "--partner", "Paper Co", "--date", "2026-03-03",
                    "--due", "2026-03-31", "--ref", "V-778", "--line", "Paper:3:20:VAT 20%:6300")
    assert (draft["number"], draft["state"], draft["entry"], draft["type"]) == (
        None, "draft", None, "bill")
    assert ok_json(shop, "bill", "list", "--open") == []
    posted = ok_json(shop, "bill", "post", str(draft["id"]))
    assert (posted["number"], posted["entry"], posted["total"]) == (
        "BILL/2026/00001", "PUR/2026/00001", "72.00")
    assert [b["number"] for b in ok_json(shop, "bill", "list", "--open")] == ["BILL/2026/00001"]
    assert ok_json(shop, "invoice", "list") == []  # bills are not invoices
    refund = ok_json(shop, "bill", "refund", "BILL/2026/00001", "--date", "2026-03-10")
    assert (refund["number"], refund["type"], refund["date"], refund["payment_state"]) == (
        "RBILL/2026/00001", "refund", "2026-03-10", "reversed")
    listed = ok_json(shop, "bill", "list", "--partner", "Paper Co")
    assert [(b["number"], b["residual"], b["payment_state"]) for b in listed] == [
        ("BILL/2026/00001", "0.00", "reversed"), ("RBILL/2026/00001", "0.00", "reversed")]
    other = ok_json(shop, "bill", "add", "--partner", "Paper Co", "--date", "2026-03-03",
                    "--refund", "--line", "Returned paper:1:20")
    assert other["type"] == "refund"
    cancelled = ok_json(shop, "bill", "cancel", str(other["id"]))
    assert cancelled["state"] == "cancelled"


def test_human_output_is_a_short_summary(shop: Cli) -> None:
    code, out, err = shop("invoice", "add", "--partner", "Osaka", "--date", "2026-03-02",
                          "--line", "Consulting:10:150:VAT 20%", "--post")
    assert code == 0, err
    assert "INV/2026/00001" in out and "Consulting" in out
    assert "total 1800.00 EUR" in out and "(not paid)" in out
    code, out, err = shop("invoice", "list")
    assert code == 0, err
    assert "INV/2026/00001" in out and "1800.00" in out
    code, out, err = shop("invoice", "credit-note", "1")
    assert code == 0, err
    assert "RINV/2026/00001" in out and "(reversed)" in out


ADD = ["invoice", "add", "--partner", "Osaka", "--date", "2026-03-02"]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["invoice", "add", "--partner", "Nobody", "--date", "2026-03-02", "--line", "A:1:1"],
         ["unknown partner 'Nobody'"]),
        ([*ADD, "--line", "A:1:1:VAT 7%"], ["unknown sale tax 'VAT 7%'"]),
        ([*ADD, "--line", "A:1:1::9999"], ["line 1: unknown account '9999'"]),
        ([*ADD, "--line", "A:x:1"], ["line 'A:x:1'", "not an amount"]),
        ([*ADD, "--line", "A:1:1e999"], ["line 'A:1:1e999'"]),
        ([*ADD, "--line", "A:1:1.001"], ["more than 2 decimal places"]),
        ([*ADD, "--line", "A:1"], ["DESCRIPTION:QUANTITY:UNIT_PRICE"]),
        ([*ADD, "--line", "A:b:1:2:3:4"], ["cannot hold ':'"]),
        ([*ADD, "--line", "A::1"], ["needs a quantity and a unit price"]),
        (["invoice", "add", "--partner", "Osaka", "--date", "2026-02-30", "--line", "A:1:1"],
         ["date '2026-02-30' is not a date"]),
        ([*ADD, "--due", "soon", "--line", "A:1:1"], ["due date 'soon'"]),
        ([*ADD, "--due", "2026-04-01", "--terms", "30", "--line", "A:1:1"], ["not both"]),
        ([*ADD, "--terms", "thirty", "--line", "A:1:1"], ["number of days"]),
        ([*ADD, "--currency", "USD", "--line", "A:1:1", "--post"], ["no USD exchange rate"]),
        (["invoice", "post", "INV/2026/00009"], ["no invoice or credit note 'INV/2026/00009'"]),
        (["bill", "show", "1"], ["no bill or refund '1'"]),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(
    shop: Cli, args: list[str], fragments: list[str]
) -> None:
    one_error(shop(*args), *fragments)
    assert ok_json(shop, "invoice", "list") == []
    assert ok_json(shop, "entry", "list") == []


def test_refusals_of_the_document_s_state(shop: Cli) -> None:
    draft = ok_json(shop, *ADD, "--line", "A:1:10")
    one_error(shop("invoice", "credit-note", "1"), "is draft: only a posted invoice gets")
    ok_json(shop, "invoice", "post", "1")
    one_error(shop("invoice", "post", "INV/2026/00001"), "only a draft invoice can be posted")
    one_error(shop("invoice", "cancel", "INV/2026/00001"), "only a draft invoice can be cancelled")
    one_error(shop("bill", "refund", "INV/2026/00001"), "is an invoice, not a bill or a refund")
    assert [i["number"] for i in ok_json(shop, "invoice", "list")] == ["INV/2026/00001"]
    assert draft["id"] == 1
    assert len(ok_json(shop, "entry", "list")) == 1


def test_a_date_on_the_lock_date_is_refused(shop: Cli, db_url: str) -> None:
    import datetime as dt

    from sqlalchemy import update

    from booksync.db.engine import make_engine, session_factory
    from booksync.ledger.models import Company

    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        session.execute(update(Company).values(lock_date=dt.date(2026, 3, 31)))
    engine.dispose()
    one_error(shop(*ADD, "--line", "A:1:1"), "on or before the lock date 2026-03-31")
    assert json.loads(shop("invoice", "list", "--json")[1]) == []


def test_tax_commands(acme: Cli) -> None:
    listed = ok_json(acme, "tax", "list")
    assert listed[0] == {
        "name": "VAT 20%", "type": "sale", "rate": "20", "account": "2100",
        "price_included": False, "active": True,
    }
    assert len(listed) == 6
    code, out, err = acme("tax", "add", "TVA 5,5", "--rate", "5.5", "--type", "sale",
                          "--included")
    assert code == 0, err
    assert "TVA 5,5" in out
    assert {"name": "TVA 5,5", "type": "sale", "rate": "5.5", "account": "2100",
            "price_included": True, "active": True} in ok_json(acme, "tax", "list")
    one_error(acme("tax", "add", "TVA 5,5", "--rate", "5.5", "--type", "sale"), "already exists")
    one_error(acme("tax", "add", "X", "--rate", "1e400", "--type", "sale"), "tax rate")
