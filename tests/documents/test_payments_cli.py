"""``booksync payment``: the JSON shapes, short human lines, one-sentence refusals."""

from __future__ import annotations

import json

import pytest

from booksync.db.engine import make_engine, session_factory
from booksync.documents.models import InvoiceType
from booksync.ledger.companies import find_company
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.partners import add_partner
from tests.cli.clitools import Cli, Result, call, ok_json, one_error
from tests.documents.payment_support import document

PAYMENT_KEYS = ["id", "journal", "partner", "direction", "amount", "currency", "date", "ref",
                "entry", "invoices", "batch"]
BATCH_KEYS = ["id", "journal", "direction", "date", "total", "currency", "payments"]


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run_on_db(*args: str) -> Result:
        return call(capsys, "--db", db_url, *args)

    code, _, err = run_on_db("init", "--company", "Acme Ltd")
    assert code == 0, err
    return run_on_db


@pytest.fixture
def numbers(cli: Cli, db_url: str) -> dict[str, str]:
    """A bank journal, a customer with an invoice and a vendor with two bills."""
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            company = find_company(session, None)
            create_bank_journal(session, company, "Main")
            osaka, kyoto = add_partner(session, company, "Osaka"), add_partner(
                session, company, "Kyoto"
            )
            session.commit()
            found = {
                "invoice": document(session, company, osaka, "120.00").number,
                "bill1": document(session, company, kyoto, "30", kind=InvoiceType.BILL).number,
                "bill2": document(session, company, kyoto, "20", kind=InvoiceType.BILL).number,
            }
    finally:
        engine.dispose()
    return {k: v for k, v in found.items() if v is not None}


def test_add_prints_the_payment_s_shape(cli, numbers):
    shown = ok_json(cli, "payment", "add", "--journal", "BNK1", "--partner", "Osaka",
                    "--amount", "120", "--date", "2026-03-10", "--invoice", numbers["invoice"],
                    "--ref", "Remit 42")
    assert list(shown) == PAYMENT_KEYS
    assert shown == {
        "id": shown["id"], "journal": "BNK1", "partner": "Osaka", "direction": "inbound",
        "amount": "120.00", "currency": "EUR", "date": "2026-03-10", "ref": "Remit 42",
        "entry": "BNK1/2026/00001", "invoices": [numbers["invoice"]], "batch": None,
    }
    assert ok_json(cli, "payment", "list") == [shown]


def test_human_lines_are_short(cli, numbers):
    code, out, err = cli("payment", "add", "--journal", "BNK1", "--partner", "Kyoto",
                         "--amount", "30", "--date", "2026-03-10", "--outbound",
                         "--invoice", numbers["bill1"])
    assert code == 0, err
    assert out.strip() == (
        f"Payment 1: 30.00 EUR to Kyoto on 2026-03-10 (BNK1/2026/00001), pays {numbers['bill1']}"
    )
    code, out, err = cli("payment", "add", "--journal", "BNK1", "--partner", "Osaka",
                         "--amount", "5", "--date", "2026-03-11")
    assert code == 0, err
    assert out.strip().endswith(", on account")
    code, out, err = cli("payment", "list")
    assert code == 0 and "Kyoto" in out and "on account" in out
    code, out, err = cli("payment", "batch", "--journal", "BNK1", "1")
    assert (code, out.strip()) == (0, "Batch 1: 1 outbound payment, 30.00 EUR on 2026-03-10")


def test_batch_prints_the_batch_s_shape(cli, numbers):
    ids = [
        ok_json(cli, "payment", "add", "--journal", "BNK1", "--partner", "Kyoto", "--amount",
                amount, "--date", day, "--outbound", "--invoice", numbers[bill])["id"]
        for amount, day, bill in (("30", "2026-03-10", "bill1"), ("20", "2026-03-12", "bill2"))
    ]
    shown = ok_json(cli, "payment", "batch", "--journal", "BNK1", *map(str, ids))
    assert list(shown) == BATCH_KEYS
    assert shown == {"id": shown["id"], "journal": "BNK1", "direction": "outbound",
                     "date": "2026-03-12", "total": "50.00", "currency": "EUR", "payments": ids}
    assert [p["batch"] for p in ok_json(cli, "payment", "list")] == [shown["id"]] * 2


def test_refusals_are_one_sentence_and_write_nothing(cli, numbers):
    ok_json(cli, "payment", "add", "--journal", "BNK1", "--partner", "Osaka", "--amount", "120",
            "--date", "2026-03-10", "--invoice", numbers["invoice"])
    before = ok_json(cli, "payment", "list")
    add = ("payment", "add", "--journal", "BNK1", "--partner", "Osaka", "--date", "2026-03-10")
    one_error(cli(*add, "--amount", "10", "--invoice", numbers["invoice"]), "already paid")
    one_error(cli(*add, "--amount", "10", "--invoice", "INV/1999/1"), "INV/1999/1")
    one_error(cli(*add, "--amount", "10", "--invoice", numbers["bill1"]), "is Kyoto's")
    one_error(cli(*add, "--amount", "1,5"), "1,5")
    one_error(cli(*add, "--amount", "0"), "more than zero")
    one_error(cli(*add[:-1], "yesterday", "--amount", "1"), "'yesterday' is not a date")
    one_error(cli("payment", "add", "--journal", "SAL", "--partner", "Osaka", "--amount", "1",
                  "--date", "2026-03-10"), "not a bank journal")
    one_error(cli("payment", "batch", "--journal", "BNK1", "abc"), "payment id")
    one_error(cli("payment", "batch", "--journal", "BNK1", "77"), "no payment 77")
    assert ok_json(cli, "payment", "list") == before
    code, out, _ = cli("payment", "batch", "--journal", "BNK1")
    assert code == 2 and out == ""  # usage: at least one id


def test_list_is_empty_json_without_payments(cli):
    code, out, _ = cli("payment", "list", "--json")
    assert (code, json.loads(out)) == (0, [])
