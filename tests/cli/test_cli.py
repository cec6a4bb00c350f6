"""The command line, through ``booksync.cli.main.run`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from booksync.cli.main import run
from booksync.ledger.chart import DEFAULT_JOURNALS, GENERIC_CHART
from tests.cli.clitools import Cli, ok_json
from tests.cli.clitools import one_error as assert_error


def entries(cli: Cli) -> list[dict[str, Any]]:
    return ok_json(cli, "entry", "list")  # type: ignore[no-any-return]


# --- setup and master data -------------------------------------------------------------


def test_init_is_idempotent(acme: Cli) -> None:
    first = ok_json(acme, "account", "list")
    for _ in range(2):
        code, out, err = acme("init", "--company", "Acme Ltd")
        assert code == 0, err
        assert "exists" in out
    code, out, _ = acme("init")
    assert code == 0 and "up to date" in out
    assert ok_json(acme, "account", "list") == first
    assert len(ok_json(acme, "journal", "list")) == len(DEFAULT_JOURNALS)


def test_account_list_json(acme: Cli) -> None:
    rows = ok_json(acme, "account", "list")
    assert all(list(r) == ["code", "name", "type", "reconcile", "active"] for r in rows)
    assert [r["code"] for r in rows] == sorted(spec.code for spec in GENERIC_CHART)
    by_code = {r["code"]: r for r in rows}
    for spec in GENERIC_CHART:
        assert by_code[spec.code] == {"code": spec.code, "name": spec.name,
                                      "type": str(spec.type), "reconcile": spec.reconcile,
                                      "active": True}
    assert {r["type"] for r in rows} == {"asset", "liability", "equity", "income", "expense"}


def test_account_add(acme: Cli) -> None:
    code, _, err = acme("account", "add", "1270", "Savings", "--type", "asset", "--reconcile")
    assert code == 0, err
    rows = {r["code"]: r for r in ok_json(acme, "account", "list")}
    assert rows["1270"] == {"code": "1270", "name": "Savings", "type": "asset",
                            "reconcile": True, "active": True}
    assert_error(acme("account", "add", "1270", "Again", "--type", "asset"), "already exists")
    assert_error(acme("account", "add", "1280", "Odd", "--type", "fish"), "fish")
    assert len(ok_json(acme, "account", "list")) == len(GENERIC_CHART) + 1


def test_journal_list_json(acme: Cli) -> None:
    rows = ok_json(acme, "journal", "list")
    assert rows == sorted(
        ({"code": j.code, "name": j.name, "type": str(j.type)} for j in DEFAULT_JOURNALS),
        key=lambda r: r["code"],
    )


def test_partners(acme: Cli) -> None:
    assert acme("partner", "add", "Bob", "--email", "bob@example.com",
                "--iban", "DE89 3704 0044 0532 0130 00")[0] == 0
    assert acme("partner", "add", "Alice")[0] == 0
    assert ok_json(acme, "partner", "list") == [
        {"name": "Alice", "iban": None, "email": None},
        {"name": "Bob", "iban": "DE89370400440532013000", "email": "bob@example.com"},
    ]
    assert_error(acme("partner", "add", "Bob"), "already exists")
    assert_error(acme("partner", "add", "Eve", "--iban", "DE00 1234"), "IBAN")
    assert len(ok_json(acme, "partner", "list")) == 2


# --- entries ---------------------------------------------------------------------------


def test_entry_add_post_json(acme: Cli) -> None:
    acme("partner", "add", "Bob")
    shown = ok_json(acme, "entry", "add", "--journal", "SAL", "--date", "2026-01-31",
                    "--ref", "INV/001", "--line", "1100:119.00::Bob:Invoice 1",
                    "--line", "4000::100:Bob", "--line", "2100::19", "--post")
    assert shown["number"] == "SAL/2026/00001"
    assert shown["state"] == "posted"
    assert (shown["journal"], shown["date"], shown["ref"]) == ("SAL", "2026-01-31", "INV/001")
    no_foreign = {"currency": None, "amount_currency": None}
    assert shown["lines"] == [
        {"account": "1100", "partner": "Bob", "label": "Invoice 1", "debit": "119.00",
         "credit": "0.00", **no_foreign},
        {"account": "4000", "partner": "Bob", "label": None, "debit": "0.00",
         "credit": "100.00", **no_foreign},
        {"account": "2100", "partner": None, "label": None, "debit": "0.00", "credit": "19.00",
         **no_foreign},
    ]
    assert shown["total_debit"] == shown["total_credit"] == "119.00"
    assert shown["reversal_of"] is None and shown["reversed_by"] is None
    assert ok_json(acme, "entry", "show", "SAL/2026/00001") == shown
    assert ok_json(acme, "entry", "show", str(shown["id"])) == shown
    assert ok_json(acme, "entry", "show", shown["uid"]) == shown


def test_trial_balance_json_shape(acme: Cli) -> None:
    acme("entry", "add", "--journal", "MISC", "--date", "2026-01-02",
         "--line", "1200:150:0", "--line", "3000:0:150", "--post")
    acme("entry", "add", "--journal", "PUR", "--date", "2026-02-03",
         "--line", "6100:40.5:0", "--line", "1200:0:40.5", "--post")
    acme("entry", "add", "--journal", "MISC", "--date", "2026-02-04",
         "--line", "6600:99:0", "--line", "1200:0:99")  # a draft: not in reports
    tb = ok_json(acme, "report", "trial-balance")
    assert tb == {
        "company": "Acme Ltd",
        "currency": "EUR",
        "date_from": None,
        "date_to": None,
        "rows": [
            {"account": "1200", "name": "Bank", "debit": "150.00", "credit": "40.50",
             "balance": "109.50"},
            {"account": "3000", "name": "Share Capital", "debit": "0.00", "credit": "150.00",
             "balance": "-150.00"},
            {"account": "6100", "name": "Rent", "debit": "40.50", "credit": "0.00",
             "balance": "40.50"},
        ],
        "total_debit": "190.50",
        "total_credit": "190.50",
    }
    jan = ok_json(acme, "report", "trial-balance", "--date-to", "2026-01-31")
    assert jan["date_to"] == "2026-01-31"
    assert [r["account"] for r in jan["rows"]] == ["1200", "3000"]
    assert jan["total_debit"] == "150.00"
    feb = ok_json(acme, "report", "trial-balance", "--date-from", "2026-02-01")
    assert feb["total_debit"] == feb["total_credit"] == "40.50"


def test_entry_draft_then_post(acme: Cli) -> None:
    draft = ok_json(acme, "entry", "add", "--journal", "MISC", "--date", "2026-03-01",
                    "--line", "1000:10:0", "--line", "3000:0:10")
    assert draft["state"] == "draft" and draft["number"] is None
    code, out, err = acme("entry", "post", str(draft["id"]))
    assert code == 0, err
    assert "MISC/2026/00001" in out
    shown = ok_json(acme, "entry", "show", str(draft["id"]))
    assert shown["state"] == "posted" and shown["number"] == "MISC/2026/00001"
    before = entries(acme)
    assert_error(acme("entry", "post", "MISC/2026/00001"), "already posted")
    assert entries(acme) == before


def test_entry_reverse(acme: Cli) -> None:
    acme("entry", "add", "--journal", "MISC", "--date", "2026-03-01",
         "--line", "6100:500:0", "--line", "1200:0:500", "--post")
    reversal = ok_json(acme, "entry", "reverse", "MISC/2026/00001", "--date", "2026-03-02")
    assert reversal["number"] == "MISC/2026/00002"
    assert reversal["reversal_of"] == "MISC/2026/00001"
    assert reversal["date"] == "2026-03-02"
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in reversal["lines"]] == [
        ("6100", "0.00", "500.00"), ("1200", "500.00", "0.00")]
    original = ok_json(acme, "entry", "show", "MISC/2026/00001")
    assert original["state"] == "reversed"
    assert original["reversed_by"] == "MISC/2026/00002"
    before = entries(acme)
    assert_error(acme("entry", "reverse", "MISC/2026/00001"), "already reversed")
    assert entries(acme) == before
    tb = ok_json(acme, "report", "trial-balance")
    assert all(r["balance"] == "0.00" for r in tb["rows"])


def test_entry_list(acme: Cli) -> None:
    acme("entry", "add", "--journal", "SAL", "--date", "2026-03-01",
         "--line", "1100:5:0", "--line", "4000:0:5", "--post")
    acme("entry", "add", "--journal", "MISC", "--date", "2026-01-01",
         "--line", "1000:5:0", "--line", "3000:0:5")
    rows = entries(acme)
    assert [(r["journal"], r["date"], r["state"]) for r in rows] == [
        ("MISC", "2026-01-01", "draft"), ("SAL", "2026-03-01", "posted")]
    assert [r["journal"] for r in ok_json(acme, "entry", "list", "--journal", "SAL")] == ["SAL"]
    code, out, _ = acme("entry", "list")
    assert code == 0 and "SAL/2026/00001" in out


# --- import ----------------------------------------------------------------------------


def jsonl(path: Path, *objs: Any, raw: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(o) for o in objs]
    for index, text in (raw or {}).items():
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def sale(day: str, amount: str, account: str = "4000") -> dict[str, Any]:
    return {"journal": "SAL", "date": day, "ref": f"INV {day}",
            "lines": [{"account": "1100", "debit": amount, "credit": "0"},
                      {"account": account, "debit": "0", "credit": amount}]}


def test_entry_import_posts_all(acme: Cli, tmp_path: Path) -> None:
    file = jsonl(tmp_path / "e.jsonl", *(sale(f"2026-01-{d:02d}", f"{d}.25") for d in range(1, 8)),
                 raw={3: ""})  # a blank line is skipped
    code, out, err = acme("entry", "import", str(file), "--post")
    assert code == 0, err
    assert "imported 7 entries" in out
    rows = entries(acme)
    assert [r["number"] for r in rows] == [f"SAL/2026/{n:05d}" for n in range(1, 8)]
    tb = ok_json(acme, "report", "trial-balance")
    expected = sum(Decimal(f"{d}.25") for d in range(1, 8))
    assert Decimal(tb["total_debit"]) == Decimal(tb["total_credit"]) == expected


def test_entry_import_drafts(acme: Cli, tmp_path: Path) -> None:
    file = jsonl(tmp_path / "e.jsonl", sale("2026-01-01", "1"), sale("2026-01-02", "2"))
    assert acme("entry", "import", str(file))[0] == 0
    assert [r["state"] for r in entries(acme)] == ["draft", "draft"]
    assert ok_json(acme, "report", "trial-balance")["rows"] == []


@pytest.mark.parametrize(
    ("bad", "fragments"),
    [
        (sale("2026-01-03", "3", account="9999"), ["line 3", "unknown account '9999'"]),
        ({**sale("2026-01-03", "3"), "lines": [{"account": "1100", "debit": "3"},
                                               {"account": "4000", "credit": "2.99"}]},
         ["line 3", "difference 0.01"]),
        ({**sale("2026-01-03", "3"), "date": "2026-02-30"}, ["line 3", "2026-02-30"]),
        ("{not json", ["line 3", "not valid JSON"]),
        ([1, 2], ["line 3", "JSON object"]),
    ],
)
def test_entry_import_is_all_or_nothing(
    acme: Cli, tmp_path: Path, bad: Any, fragments: list[str]
) -> None:
    objs: list[Any] = [sale("2026-01-01", "1"), sale("2026-01-02", "2")]
    raw = {2: bad} if isinstance(bad, str) else None
    if not isinstance(bad, str):
        objs.append(bad)
    objs.append(sale("2026-01-04", "4"))
    file = jsonl(tmp_path / "bad.jsonl", *objs, raw=raw)
    assert_error(acme("entry", "import", str(file), "--post"), *fragments)
    assert entries(acme) == []
    assert ok_json(acme, "report", "trial-balance")["rows"] == []


def test_entry_import_missing_file(acme: Cli, tmp_path: Path) -> None:
    assert_error(acme("entry", "import", str(tmp_path / "nope.jsonl")))


# --- reports ---------------------------------------------------------------------------


@pytest.fixture
def books(acme: Cli) -> Cli:
    for args in (
        ("MISC", "2026-01-01", "1200:5000:0", "3000:0:5000"),
        ("SAL", "2026-01-15", "1100:1190:0", "4000:0:1000", "2100:0:190"),
        ("MISC", "2026-02-10", "1200:1190:0", "1100:0:1190"),
        ("PUR", "2026-02-20", "6100:700:0", "1200:0:700"),
    ):
        journal, day, *lines = args
        code, _, err = acme("entry", "add", "--journal", journal, "--date", day,
                            *[x for ln in lines for x in ("--line", ln)], "--post")
        assert code == 0, err
    return acme


def test_balance_sheet_json(books: Cli) -> None:
    bs = ok_json(books, "report", "balance-sheet")
    assert bs["balanced"] is True
    assert Decimal(bs["total_assets"]) == (
        Decimal(bs["liabilities"]["total"]) + Decimal(bs["equity"]["total"])
        + Decimal(bs["current_result"]))
    assert bs["total_assets"] == bs["total_liabilities_and_equity"] == "5490.00"
    assert bs["current_result"] == "300.00"
    assert {r["account"]: r["balance"] for r in bs["assets"]["rows"]} == {
        "1100": "0.00", "1200": "5490.00"}
    jan = ok_json(books, "report", "balance-sheet", "--date", "2026-01-31")
    assert jan["date"] == "2026-01-31"
    assert jan["total_assets"] == "6190.00" and jan["balanced"] is True


def test_profit_loss_json(books: Cli) -> None:
    pl = ok_json(books, "report", "profit-loss")
    assert pl["income"]["rows"] == [{"account": "4000", "name": "Sales", "balance": "1000.00"}]
    assert pl["expenses"]["rows"] == [{"account": "6100", "name": "Rent", "balance": "700.00"}]
    assert pl["net_result"] == "300.00"
    feb = ok_json(books, "report", "profit-loss", "--date-from", "2026-02-01",
                  "--date-to", "2026-02-28")
    assert (feb["date_from"], feb["date_to"], feb["net_result"]) == (
        "2026-02-01", "2026-02-28", "-700.00")


def test_ledger_json(books: Cli) -> None:
    led = ok_json(books, "report", "ledger", "1200")
    assert [(ln["debit"], ln["credit"], ln["balance"]) for ln in led["lines"]] == [
        ("5000.00", "0.00", "5000.00"), ("1190.00", "0.00", "6190.00"),
        ("0.00", "700.00", "5490.00")]
    assert led["opening_balance"] == "0.00" and led["closing_balance"] == "5490.00"
    later = ok_json(books, "report", "ledger", "1200", "--date-from", "2026-02-01")
    assert later["opening_balance"] == "5000.00"
    assert [ln["balance"] for ln in later["lines"]] == ["6190.00", "5490.00"]
    assert later["closing_balance"] == led["closing_balance"]
    assert_error(books("report", "ledger", "9999"), "unknown account")


def test_reports_as_tables(books: Cli) -> None:
    for args in (("trial-balance",), ("balance-sheet",), ("profit-loss",), ("ledger", "1200")):
        code, out, err = books("report", *args)
        assert code == 0, err
        assert "5490.00" in out or "300.00" in out


# --- several companies -----------------------------------------------------------------


def test_company_option(acme: Cli) -> None:
    assert acme("init", "--company", "Beta SA", "--currency", "JPY", "--country", "FR")[0] == 0
    assert_error(acme("account", "list", "--json"), "several companies", "--company")
    assert_error(acme("report", "trial-balance", "--json"), "several companies")
    ok = ok_json(acme, "entry", "add", "--journal", "MISC", "--date", "2026-01-01",
                 "--line", "1000:1500:0", "--line", "3000:0:1500", "--post", company="Beta SA")
    assert ok["total_debit"] == "1500"
    assert ok_json(acme, "entry", "list", company="Acme Ltd") == []
    tb = ok_json(acme, "report", "trial-balance", company="Beta SA")
    assert (tb["company"], tb["currency"], tb["total_debit"]) == ("Beta SA", "JPY", "1500")
    assert ok_json(acme, "report", "trial-balance", company="Acme Ltd")["rows"] == []
    assert_error(acme("entry", "show", str(ok["id"]), company="Acme Ltd"), "no entry")
    assert_error(acme("account", "list", company="Nobody"), "no company named 'Nobody'")


def test_no_company_yet(cli: Cli) -> None:
    assert_error(cli("account", "list"), "booksync init")


# --- bad input leaves nothing behind ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--line", "9999:10:0", "--line", "3000:0:10"), ["unknown account '9999'"]),
        (("--line", "1000:10:0", "--line", "3000:0:9.99"), ["difference 0.01 EUR"]),
        (("--line", "1000:-10:0", "--line", "3000:0:-10"), ["negative"]),
        (("--line", "1000:abc:0", "--line", "3000:0:10"), ["not an amount"]),
        (("--line", "1000:1.001:0", "--line", "3000:0:1.001"), ["decimal places"]),
        (("--line", "1000", "--line", "3000:0:10"), ["ACCOUNT:DEBIT:CREDIT"]),
        (("--line", "1000:10:0:Ghost", "--line", "3000:0:10"), ["unknown partner 'Ghost'"]),
    ],
)
def test_bad_entries_write_nothing(acme: Cli, args: tuple[str, ...], fragments: list[str]) -> None:
    assert_error(acme("entry", "add", "--journal", "MISC", "--date", "2026-01-01", *args,
                      "--post"), *fragments)
    assert entries(acme) == []


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "2026-02-30"])
def test_bad_date(acme: Cli, day: str) -> None:
    assert_error(acme("entry", "add", "--journal", "MISC", "--date", day,
                      "--line", "1000:1:0", "--line", "3000:0:1"), day)
    assert_error(acme("report", "trial-balance", "--date-from", day), day)
    assert entries(acme) == []


def test_unknown_entry_and_journal(acme: Cli) -> None:
    assert_error(acme("entry", "show", "MISC/2026/00001"), "no entry")
    assert_error(acme("entry", "post", "42"), "no entry")
    assert_error(acme("entry", "add", "--journal", "XYZ", "--date", "2026-01-01",
                      "--line", "1000:1:0", "--line", "3000:0:1"), "unknown journal")


# --- demo and a real process -----------------------------------------------------------


def test_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo.db"
    assert run(["demo", "--path", str(path), "--months", "3"]) == 0
    out = capsys.readouterr().out
    assert "Demo Trading Ltd" in out
    assert run(["--db", str(path), "report", "trial-balance", "--json"]) == 0
    tb = json.loads(capsys.readouterr().out)
    assert tb["company"] == "Demo Trading Ltd"
    assert Decimal(tb["total_debit"]) == Decimal(tb["total_credit"]) > 0
    assert sum(Decimal(r["balance"]) for r in tb["rows"]) == 0
    assert run(["--db", str(path), "report", "balance-sheet", "--json"]) == 0
    bs = json.loads(capsys.readouterr().out)
    assert bs["balanced"] is True
    assert run(["--db", str(path), "entry", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert all(e["state"] in ("posted", "reversed") for e in listed)
    assert sum(e["state"] == "reversed" for e in listed) == 1
    assert sum(e["reversal_of"] is not None for e in listed) == 1
    # running it again starts afresh instead of doubling the books
    assert run(["demo", "--path", str(path), "--months", "3"]) == 0
    capsys.readouterr()
    assert run(["--db", str(path), "entry", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(listed)


def test_subprocess_smoke(tmp_path: Path) -> None:
    db = tmp_path / "books.db"
    exe = [sys.executable, "-c", "from booksync.cli.main import main; main()"]
    init = subprocess.run([*exe, "--db", str(db), "init", "--company", "Smoke"],
                          capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, init.stderr
    bad = subprocess.run([*exe, "--db", str(db), "entry", "add", "--journal", "MISC",
                          "--date", "2026-01-01", "--line", "1000:1:0", "--line", "3000:0:2",
                          "--post"], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0
    assert bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    tb = subprocess.run([*exe, "--db", str(db), "report", "trial-balance", "--json"],
                        capture_output=True, text=True, timeout=60)
    assert tb.returncode == 0
    assert json.loads(tb.stdout)["rows"] == []
