"""``booksync reconcile`` and what ``statement list`` says of reconciled lines, end to end."""

from __future__ import annotations

import pytest

from tests.cli.clitools import Cli, Result, call, ok_json, one_error


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    """A company with a bank journal BNK1, a customer and two posted invoices."""

    def run_on_db(*args: str, company: str | None = None) -> Result:
        return call(capsys, "--db", db_url, *args)

    for command in (
        ("init", "--company", "Acme Ltd"),
        ("bank-account", "create", "--account-number", "DE89370400440532013000",
         "--bank", "Main Bank"),
        ("partner", "add", "Osaka", "--iban", "GB82WEST12345698765432"),
        ("invoice", "add", "--partner", "Osaka", "--date", "2026-03-01",
         "--line", "Spindles:2:50.00", "--post"),
        ("invoice", "add", "--partner", "Osaka", "--date", "2026-03-02",
         "--line", "Bearings:1:30.00", "--post"),
    ):
        code, _, err = run_on_db(*command)
        assert code == 0, (command, err)
    return run_on_db


def _add(cli: Cli, amount: str, label: str, *more: str) -> int:
    row = ok_json(cli, "statement", "add", "--journal", "BNK1", "--date", "2026-03-10",
                  "--amount", amount, "--label", label, *more)
    return int(row["id"])


def test_list_auto_apply_undo_and_the_statement_list(cli: Cli) -> None:
    invoices = ok_json(cli, "invoice", "list")
    first, second = (i["number"] for i in invoices)
    exact = _add(cli, "100.00", f"SEPA credit Osaka {first}")
    partial = _add(cli, "10.00", f"part of {second}")
    fees = _add(cli, "-2.50", "Account fee")

    listed = {row["id"]: row for row in ok_json(cli, "reconcile", "list")}
    assert set(listed) == {exact, partial, fees}
    best = listed[exact]["suggestions"][0]
    assert best["documents"] == [first] and best["score"] == 100
    assert best["counterparts"] == [{"account": "1100", "amount": "100.00", "label": first}]
    assert set(best) == {"rule", "kind", "documents", "counterparts", "score", "reason"}

    assert ok_json(cli, "reconcile", "auto") == {
        "lines": 3, "reconciled": 1, "suggested": 1, "left": 1
    }
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert (rows[exact]["reconciled"], rows[exact]["matched"]) == (True, [first])
    assert (rows[partial]["reconciled"], rows[partial]["matched"]) == (False, [])

    done = ok_json(cli, "reconcile", "apply", str(partial), "--document", second)
    assert done["documents"] == [second]
    assert ok_json(cli, "invoice", "show", second)["payment_state"] == "partial"
    one_error(cli("reconcile", "apply", str(partial), "--document", second), "already reconciled")
    one_error(cli("reconcile", "apply", str(fees), "--document", "INV/2026/09999"),
              "no posted invoice or bill")
    one_error(cli("reconcile", "apply", str(fees), "--counterpart", "6500:2.00"),
              "0.50 EUR of the bank line are left")
    ok_json(cli, "reconcile", "apply", str(fees), "--counterpart", "6500:2.50:Bank fees")

    undone = ok_json(cli, "reconcile", "undo", str(exact))
    assert undone["state"] == "undone"
    assert ok_json(cli, "invoice", "show", first)["payment_state"] == "not_paid"
    one_error(cli("reconcile", "undo", str(exact)), "not reconciled")
    rows = {r["id"]: r for r in ok_json(cli, "statement", "list", "--journal", "BNK1")}
    assert rows[exact]["reconciled"] is False and rows[fees]["reconciled"] is True
