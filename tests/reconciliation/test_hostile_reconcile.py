"""Hostile cases of bank reconciliation through the CLI: a lock date, inactive accounts,
undo and the books left exactly as before a refusal (docs/reconciliation.md)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from tests.cli.clitools import Cli, Result, call, ok_json, one_error
from tests.reconciliation.test_reconcile_cli import cli

__all__ = ["cli"]  # the fixture, used by name


def _sql(db_url: str, statement: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _add(cli: Cli, date: str, amount: str, label: str) -> int:
    row = ok_json(cli, "statement", "add", "--journal", "BNK1", "--date", date,
                  "--amount", amount, "--label", label)
    return int(row["id"])


def _numbers(cli: Cli) -> list[str]:
    return [i["number"] for i in ok_json(cli, "invoice", "list")]


def _books(cli: Cli) -> str:
    """Everything a refusal must leave as it was: entries, statement lines, invoices."""
    return json.dumps([ok_json(cli, "entry", "list"),
                       ok_json(cli, "statement", "list", "--journal", "BNK1"),
                       ok_json(cli, "invoice", "list")], sort_keys=True, default=str)


def test_a_line_in_a_locked_period_does_not_cost_the_others_their_match(
    cli: Cli, db_url: str
) -> None:
    first, second = _numbers(cli)
    old = _add(cli, "2026-03-10", "100.00", f"SEPA credit {first}")
    new = _add(cli, "2026-03-20", "30.00", f"SEPA credit {second}")
    _sql(db_url, "UPDATE company SET lock_date = '2026-03-15'")
    assert ok_json(cli, "reconcile", "auto") == {
        "lines": 2, "reconciled": 1, "suggested": 1, "left": 0
    }
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert (rows[old]["reconciled"], rows[new]["reconciled"]) == (False, True)
    books = _books(cli)
    one_error(cli("reconcile", "apply", str(old), "--document", first), "lock date 2026-03-15")
    assert _books(cli) == books


def test_undo_in_a_locked_period_is_refused_and_writes_nothing(cli: Cli, db_url: str) -> None:
    first, _ = _numbers(cli)
    line = _add(cli, "2026-03-10", "100.00", f"SEPA credit {first}")
    ok_json(cli, "reconcile", "apply", str(line), "--document", first)
    _sql(db_url, "UPDATE company SET lock_date = '2026-03-15'")
    books = _books(cli)
    one_error(cli("reconcile", "undo", str(line)), "lock date 2026-03-15")
    assert _books(cli) == books
    assert ok_json(cli, "invoice", "show", first)["payment_state"] != "not_paid"
    _sql(db_url, "UPDATE company SET lock_date = NULL")
    assert ok_json(cli, "reconcile", "undo", str(line))["state"] == "undone"
    one_error(cli("reconcile", "undo", str(line)), "not reconciled")
    assert ok_json(cli, "invoice", "show", first)["payment_state"] == "not_paid"
    # Undone: no automatic pass takes it again, a person may.
    assert ok_json(cli, "reconcile", "auto")["reconciled"] == 0
    assert ok_json(cli, "reconcile", "apply", str(line), "--document", first)["state"] == "active"
    assert ok_json(cli, "invoice", "show", first)["payment_state"] == "paid"


def test_a_counterpart_on_an_inactive_account_is_refused(cli: Cli, db_url: str) -> None:
    fees = _add(cli, "2026-03-10", "-2.50", "Account fee")
    _sql(db_url, "UPDATE account SET active = false WHERE code = '6500'")
    books = _books(cli)
    one_error(cli("reconcile", "apply", str(fees), "--counterpart", "6500:2.50"),
              "account 6500 is inactive")
    assert _books(cli) == books


def test_an_automatic_rule_naming_an_inactive_account_books_nothing_to_it(
    cli: Cli, db_url: str
) -> None:
    first, _ = _numbers(cli)
    ok_json(cli, "rule", "add", "Fees", "--kind", "suggestion", "--auto",
            "--label-contains", "fee", "--counterpart", "6500:100")
    fee = _add(cli, "2026-03-10", "-2.50", "Account fee")
    paid = _add(cli, "2026-03-10", "100.00", f"SEPA credit {first}")
    _sql(db_url, "UPDATE account SET active = false WHERE code = '6500'")
    assert ok_json(cli, "reconcile", "auto") == {
        "lines": 2, "reconciled": 1, "suggested": 1, "left": 0
    }
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert (rows[fee]["reconciled"], rows[paid]["reconciled"]) == (False, True)
    one_error(cli("reconcile", "apply", str(fee)), "account 6500 is inactive")


def test_undo_of_money_on_account_a_later_line_used_names_that_line(cli: Cli) -> None:
    first, _ = _numbers(cli)
    overpaid = _add(cli, "2026-03-10", "150.00", f"SEPA credit {first}")
    ok_json(cli, "reconcile", "apply", str(overpaid), "--document", first, "--partner", "Osaka")
    refund = int(ok_json(cli, "statement", "add", "--journal", "BNK1", "--date", "2026-03-12",
                         "--amount", "-50.00", "--label", "Refund",
                         "--iban", "GB82WEST12345698765432")["id"])
    assert ok_json(cli, "reconcile", "auto")["reconciled"] == 1  # the 50.00 on account
    books = _books(cli)
    one_error(cli("reconcile", "undo", str(overpaid)),
              f"statement line {refund}'s reconciliation", "undo it first")
    assert _books(cli) == books
    ok_json(cli, "reconcile", "undo", str(refund))
    ok_json(cli, "reconcile", "undo", str(overpaid))
    assert ok_json(cli, "invoice", "show", first)["payment_state"] == "not_paid"


def test_a_write_off_rule_for_every_line_never_swallows_a_payment_of_a_document(
    cli: Cli,
) -> None:
    first, second = _numbers(cli)
    ok_json(cli, "rule", "add", "Everything in", "--kind", "suggestion", "--auto",
            "--nature", "in", "--counterpart", "4900:100")
    partial = _add(cli, "2026-03-10", "40.00", f"part of {first}")
    same_amount = _add(cli, "2026-03-10", "30.00", "Transfer")
    other = _add(cli, "2026-03-10", "12.34", "Interest")
    assert ok_json(cli, "reconcile", "auto") == {
        "lines": 3, "reconciled": 1, "suggested": 2, "left": 0
    }
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert [rows[i]["reconciled"] for i in (partial, same_amount, other)] == [False, False, True]
    assert ok_json(cli, "invoice", "show", second)["payment_state"] == "not_paid"


def test_naming_a_document_twice_or_a_settled_one(cli: Cli) -> None:
    first, second = _numbers(cli)
    paid = _add(cli, "2026-03-10", "100.00", "Transfer")
    done = ok_json(cli, "reconcile", "apply", str(paid), "--document", first, "--document", first)
    assert done["documents"] == [first]
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert rows[paid]["matched"] == [first]
    again = _add(cli, "2026-03-11", "100.00", "Transfer")
    books = _books(cli)
    one_error(cli("reconcile", "apply", str(again), "--document", first),
              f"'{first}' is already settled")
    assert _books(cli) == books
    payment = ok_json(cli, "payment", "add", "--journal", "BNK1", "--partner", "Osaka",
                      "--amount", "30.00", "--date", "2026-03-11", "--invoice", second)
    bank = _add(cli, "2026-03-12", "30.00", "Transfer")
    ok_json(cli, "reconcile", "apply", str(bank), "--payment", str(payment["id"]))
    late = _add(cli, "2026-03-13", "30.00", "Transfer")
    one_error(cli("reconcile", "apply", str(late), "--payment", str(payment["id"])),
              f"payment {payment['id']} is already settled")


def test_another_company_s_lines_documents_and_payments_are_not_found(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*args: str, company: str = "Acme Ltd") -> Result:
        return call(capsys, "--db", db_url, "--company", company, *args)

    assert run("init", "--company", "Acme Ltd")[0] == 0
    assert run("init", "--company", "Beta SA")[0] == 0
    for company in ("Acme Ltd", "Beta SA"):
        for command in (("bank-account", "create", "--account-number",
                         "DE89370400440532013000", "--bank", "Main Bank"),
                        ("partner", "add", "Osaka")):
            assert run(*command, company=company)[0] == 0, command
    out = run("invoice", "add", "--partner", "Osaka", "--date", "2026-03-01",
                         "--line", "Spindles:2:50.00", "--post", "--json")[1]
    number = json.loads(out)["number"]
    payment = json.loads(run("payment", "add", "--journal", "BNK1", "--partner", "Osaka",
                             "--amount", "100.00", "--date", "2026-03-02", "--json")[1])["id"]
    line = json.loads(run("statement", "add", "--journal", "BNK1", "--date", "2026-03-10",
                          "--amount", "100.00", "--label", number, "--json")[1])["id"]
    beta = json.loads(run("statement", "add", "--journal", "BNK1", "--date", "2026-03-10",
                          "--amount", "100.00", "--label", number, "--json",
                          company="Beta SA")[1])["id"]
    assert json.loads(run("reconcile", "list", "--json", company="Beta SA")[1])[0][
        "suggestions"] == []
    one_error(run("reconcile", "apply", str(beta), "--document", number, company="Beta SA"),
              "no posted invoice or bill")
    one_error(run("reconcile", "apply", str(beta), "--payment", str(payment),
                  company="Beta SA"), f"no payment {payment}")
    one_error(run("reconcile", "apply", str(line), "--counterpart", "6500:100",
                  company="Beta SA"), f"no statement line {line}")
    one_error(run("reconcile", "undo", str(line), company="Beta SA"),
              f"no statement line {line}")
    assert json.loads(run("reconcile", "auto", "--json", company="Beta SA")[1])[
        "reconciled"] == 0


def _from_osaka(cli: Cli, date: str, amount: str, label: str) -> int:
    return int(ok_json(cli, "statement", "add", "--journal", "BNK1", "--date", date,
                       "--amount", amount, "--label", label,
                       "--iban", "GB82WEST12345698765432")["id"])


def test_a_registered_payment_s_bank_line_settles_the_payment_never_the_invoice_again(
    cli: Cli,
) -> None:
    first, second = _numbers(cli)
    payment = ok_json(cli, "payment", "add", "--journal", "BNK1", "--partner", "Osaka",
                      "--amount", "100.00", "--date", "2026-03-05", "--invoice", first)
    part = ok_json(cli, "payment", "add", "--journal", "BNK1", "--partner", "Osaka",
                   "--amount", "10.00", "--date", "2026-03-05", "--invoice", second)
    whole = _from_osaka(cli, "2026-03-10", "100.00", f"Payment {first}")
    partial = _from_osaka(cli, "2026-03-10", "10.00", f"Payment {second}")
    assert ok_json(cli, "reconcile", "auto")["reconciled"] == 1
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert rows[whole]["matched"] == [f"payment {payment['id']}"]
    # 10.00 naming an invoice that still owes 20.00 after a payment of 10.00: the
    # payment or a part of the invoice, a person says which.
    assert rows[partial]["reconciled"] is False
    assert ok_json(cli, "invoice", "show", second)["residual"] == "20.00"
    ok_json(cli, "reconcile", "apply", str(partial), "--payment", str(part["id"]))
    assert ok_json(cli, "invoice", "show", second)["residual"] == "20.00"


def test_a_refund_is_matched_the_right_way_round(cli: Cli) -> None:
    first, _ = _numbers(cli)
    note = ok_json(cli, "invoice", "add", "--credit-note", "--partner", "Osaka",
                   "--date", "2026-03-03", "--line", "Return:1:25.00", "--post")["number"]
    wrong_way = _from_osaka(cli, "2026-03-10", "25.00", f"Refund {note}")
    refund = _from_osaka(cli, "2026-03-10", "-25.00", f"Refund {note}")
    not_ours = _from_osaka(cli, "2026-03-10", "-100.00", f"Refund {first}")
    assert ok_json(cli, "reconcile", "auto")["reconciled"] == 1
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert [rows[i]["matched"] for i in (wrong_way, refund, not_ours)] == [[], [note], []]


def test_money_in_naming_only_what_is_owed_the_other_way_says_so(cli: Cli) -> None:
    bill = ok_json(cli, "bill", "add", "--partner", "Osaka", "--date", "2026-03-03",
                   "--ref", "F-1", "--line", "Parts:1:40.00", "--post")["number"]
    line = _add(cli, "2026-03-10", "40.00", "Transfer")
    books = _books(cli)
    one_error(cli("reconcile", "apply", str(line), "--document", bill),
              "money in pays none of the documents named")
    assert _books(cli) == books
