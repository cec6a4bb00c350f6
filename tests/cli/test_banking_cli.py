"""The banking commands against the sandbox bank over real loopback HTTP.

Institutions, bank accounts, ``connect simplefin``, ``connection``, ``sync``
(and ``sync log``), ``statement list`` and the demo, through
``booksync.cli.main.run`` on SQLite and PostgreSQL, with a sandbox bank
served on a free port for each test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from booksync.banking.models import Connection
from booksync.cli.main import run
from booksync.db.engine import make_engine, session_factory
from booksync.providers import registry
from booksync.providers.base import Credentials, LinkSession, Provider
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox import SandboxHandle, start
from tests.cli.clitools import Cli, Result, ok_json
from tests.cli.clitools import one_error as assert_error
from tests.helpers import ACCOUNT_KEYS, CONNECTION_KEYS

RUN_KEYS = {
    "connection",
    "run",
    "state",
    "fetched",
    "new",
    "duplicates",
    "pending",
    "updated",
    "reconciled",
    "reversed",
    "balance_difference",
    "error",
    "accounts",
}
LOG_KEYS = {
    "connection",
    "run",
    "trigger",
    "started_at",
    "finished_at",
    "window_start",
    "window_end",
    "fetched",
    "new",
    "duplicates",
    "pending",
    "updated",
    "reconciled",
    "reversed",
    "balance_difference",
    "state",
    "error",
    "accounts",
}
LINE_KEYS = {
    "id", "date", "label", "amount", "partner", "counterparty_iban", "reference",
    "provider_transaction_id", "source", "entry", "reconciled", "matched",
}


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    handle = start(port=0, seed=3)
    yield handle
    handle.stop()


def rates(cli: Cli, bank: SandboxHandle) -> None:
    """USD and JPY accounts book at EUR value: rates from before the first history day."""
    day = (bank.world.first_day - dt.timedelta(days=1)).isoformat()
    for currency, rate in (("USD", "0.92"), ("JPY", "0.0061")):
        code, _, err = cli("currency", "rate", "set", currency, rate, "--date", day)
        assert code == 0, err


def connect(cli: Cli, bank: SandboxHandle, *extra: str) -> dict[str, Any]:
    rates(cli, bank)
    data: dict[str, Any] = ok_json(cli, "connect", "simplefin", bank.setup_token(), *extra)
    return data


def ledger_account(cli: Cli, journal_account_name: str) -> str:
    accounts = ok_json(cli, "account", "list")
    return next(a["code"] for a in accounts if a["name"] == f"Bank {journal_account_name}")


def total(rows: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(r["amount"]) for r in rows), Decimal(0))


# --- institutions and bank accounts ------------------------------------------------------


def test_institution_catalogue_is_empty_after_init(acme: Cli) -> None:
    assert ok_json(acme, "institution", "list") == []
    assert ok_json(acme, "institution", "list", "--search", "nordwerk") == []
    for search in ((), ("--search", "nordwerk")):
        code, out, _ = acme("institution", "list", *search)
        assert code == 0 and "catalogue is empty" in " ".join(out.split())


def test_institution_list_search_country(acme: Cli, bank: SandboxHandle) -> None:
    # connecting to the sandbox bank brings its institutions into the catalogue
    ok_json(acme, "connect", "simplefin", bank.setup_token())
    rows = ok_json(acme, "institution", "list")
    assert [r["name"] for r in rows] == ["Banque du Lac", "Nordwerk Bank", "Sakura Shinyo Bank"]
    assert all(set(r) == {"id", "name", "bic", "country", "provider", "online_sync"} for r in rows)
    nordwerk = next(r for r in rows if r["name"] == "Nordwerk Bank")
    assert nordwerk == {
        "id": "nordwerk",
        "name": "Nordwerk Bank",
        "bic": "NWBKDEFF",
        "country": "DE",
        "provider": "simplefin",
        "online_sync": True,
    }
    assert [r["name"] for r in ok_json(acme, "institution", "list", "--search", "LAC")] == [
        "Banque du Lac"
    ]
    assert [r["bic"] for r in ok_json(acme, "institution", "list", "--search", "sksy")] == [
        "SKSYJPJT"
    ]
    assert [r["name"] for r in ok_json(acme, "institution", "list", "--country", "jp")] == [
        "Sakura Shinyo Bank"
    ]
    assert ok_json(acme, "institution", "list", "--country", "US") == []
    code, out, _ = acme("institution", "list", "--search", "nordwerk")
    assert code == 0 and "Nordwerk Bank" in out and "NWBKDEFF" in out
    code, out, _ = acme("institution", "list", "--country", "US")
    assert code == 0 and "no institution matches" in out
    # connecting again, or init again, does not double the catalogue
    ok_json(acme, "connect", "simplefin", bank.setup_token())
    assert acme("init")[0] == 0
    assert len(ok_json(acme, "institution", "list")) == 3


def test_bank_account_create(acme: Cli) -> None:
    made = ok_json(
        acme,
        "bank-account",
        "create",
        "--account-number",
        "DE89 3704 0044 0532 0130 00",
        "--bank",
        "Hausbank",
        "--bic",
        "COBADEFFXXX",
    )
    assert made == {
        "account_number": "DE89370400440532013000",
        "bank": "Hausbank",
        "bic": "COBADEFFXXX",
        "journal": "BNK1",
        "currency": "EUR",
        "new_journal": True,
    }
    assert_error(
        acme(
            "bank-account",
            "create",
            "--account-number",
            "DE89370400440532013001",
            "--bank",
            "Hausbank",
        ),
        "not a valid IBAN",
    )
    assert_error(
        acme(
            "bank-account",
            "create",
            "--account-number",
            "FR1420041010050500013M02606",
            "--bank",
            "Hausbank",
            "--bic",
            "NOTABIC!",
        ),
        "not a valid Bank Identifier Code",
    )
    us = ok_json(
        acme,
        "bank-account",
        "create",
        "--account-number",
        "000123456789",
        "--bank",
        "First Prairie",
        "--currency",
        "usd",
    )
    assert us["account_number"] == "000123456789"
    assert us["currency"] == "USD" and us["journal"] == "BNK2" and us["new_journal"] is True
    linked = ok_json(
        acme,
        "bank-account",
        "create",
        "--account-number",
        "GB33BUKB20201555555555",
        "--bank",
        "Hausbank",
        "--bic",
        "COBADEFFXXX",
        "--journal",
        "BNK1",
    )
    assert linked["journal"] == "BNK1" and linked["new_journal"] is False
    assert_error(
        acme(
            "bank-account",
            "create",
            "--account-number",
            "4711",
            "--bank",
            "Hausbank",
            "--journal",
            "BNK1",
            "--currency",
            "USD",
        ),
        "BNK1 is in EUR",
    )
    assert_error(
        acme(
            "bank-account",
            "create",
            "--account-number",
            "4711",
            "--bank",
            "Hausbank",
            "--journal",
            "SAL",
        ),
        "not a bank journal",
    )
    journals = [j["code"] for j in ok_json(acme, "journal", "list")]
    assert journals.count("BNK1") == 1 and "BNK3" not in journals
    code, out, _ = acme("bank-account", "create", "--account-number", "4712", "--bank", "Kasse")
    assert code == 0 and "4712" in out and "BNK3" in out


# --- connect and connections ---------------------------------------------------------------


def test_connect_json_and_second_claim(acme: Cli, bank: SandboxHandle) -> None:
    rates(acme, bank)
    token = bank.setup_token()
    data = ok_json(acme, "connect", "simplefin", token, "--interval", "4h", "--no-pending")
    assert set(data) == CONNECTION_KEYS
    assert data["provider"] == "simplefin" and data["institution"] == "Nordwerk Bank"
    assert data["state"] == "connected" and data["interval"] == "4h" and data["auto_sync"]
    assert data["last_refresh"] is None and data["last_error"] is None
    due = dt.datetime.fromisoformat(data["next_refresh"])
    assert due <= dt.datetime.now(dt.UTC)
    assert [a["currency"] for a in data["accounts"]] == ["EUR", "EUR", "EUR", "USD", "JPY", "JPY"]
    assert [a["journal"] for a in data["accounts"]] == [f"BNK{i}" for i in range(1, 7)]
    assert all(set(a) == ACCOUNT_KEYS for a in data["accounts"])
    before = (ok_json(acme, "connection", "list"), ok_json(acme, "journal", "list"))
    message = assert_error(acme("connect", "simplefin", token), "refused the setup token")
    assert token not in message
    assert (ok_json(acme, "connection", "list"), ok_json(acme, "journal", "list")) == before
    # the catalogue row is reused, its BIC and country kept
    rows = ok_json(acme, "institution", "list", "--search", "nordwerk")
    assert len(rows) == 1 and rows[0]["bic"] == "NWBKDEFF" and rows[0]["country"] == "DE"
    assert_error(acme("connect", "simplefin", "bm90IGEgdG9rZW4="))


def test_connect_link_to_existing_journal(acme: Cli, bank: SandboxHandle) -> None:
    account = next(iter(bank.world.accounts))  # the first: Nordwerk's EUR business account
    code, _, err = acme("bank-account", "create", "--account-number", "4711", "--bank", "Nord")
    assert code == 0, err
    data = connect(acme, bank, "--link", f"{account}=BNK1")
    assert data["accounts"][0]["provider_account_id"] == account
    assert data["accounts"][0]["journal"] == "BNK1"
    assert [a["journal"] for a in data["accounts"][1:]] == [f"BNK{i}" for i in range(2, 7)]
    assert_error(
        acme("connect", "simplefin", bank.setup_token(), "--link", "nonsense"),
        "PROVIDER_ACCOUNT_ID=JOURNAL_CODE",
    )
    assert_error(
        acme("connect", "simplefin", bank.setup_token(), "--link", f"{account}=SAL"),
        "not a bank journal",
    )
    assert_error(
        acme("connect", "simplefin", bank.setup_token(), "--interval", "5m"), "at least 15 minutes"
    )


def test_connection_list_set_disconnect(acme: Cli, bank: SandboxHandle) -> None:
    assert ok_json(acme, "connection", "list") == []
    code, out, _ = acme("connection", "list")
    assert code == 0 and "no connections" in out
    made = connect(acme, bank)
    listed = ok_json(acme, "connection", "list")
    assert listed == [made]
    assert set(listed[0]) == CONNECTION_KEYS
    assert all(set(a) == ACCOUNT_KEYS for a in listed[0]["accounts"])
    ident = str(made["id"])

    changed = ok_json(
        acme, "connection", "set", ident, "--interval", "1d", "--no-auto-sync", "--no-pending"
    )
    assert changed["interval"] == "1d" and changed["auto_sync"] is False
    code, out, _ = acme("connection", "list")
    assert code == 0 and "manual only" in out and "Nordwerk Bank" in out
    assert ok_json(acme, "connection", "set", ident, "--auto-sync")["auto_sync"] is True
    assert changed["auto_reconcile"] is True  # on unless turned off
    quiet = ok_json(acme, "connection", "set", ident, "--no-auto-reconcile")
    assert quiet["auto_reconcile"] is False and quiet["auto_sync"] is True
    assert_error(acme("connection", "set", ident, "--interval", "often"), "30m, 4h")
    assert_error(acme("connection", "set", "999", "--interval", "4h"), "no connection '999'")

    code, out, err = acme("connection", "disconnect", ident)
    assert code == 0, err
    assert "disconnected" in out
    gone = ok_json(acme, "connection", "list")[0]
    assert gone["state"] == "disconnected" and gone["next_refresh"] is None
    assert gone["auto_sync"] is False
    assert_error(acme("connection", "set", ident, "--interval", "4h"), "disconnected")
    code, out, _ = acme("connection", "list")
    assert "not connected" in out
    # a disconnected connection is left out of --all, and refused when named
    assert ok_json(acme, "sync", "--all") == []
    code, out, _ = acme("sync", ident, "--json")
    assert code == 1
    assert "disconnected" in json.loads(out)[0]["error"]


def test_consent_warning(acme: Cli, bank: SandboxHandle, db_url: str) -> None:
    made = connect(acme, bank)
    engine = make_engine(db_url)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=5, hours=2)
    with session_factory(engine).begin() as session:
        session.execute(
            update(Connection).where(Connection.id == made["id"]).values(consent_expires_at=soon)
        )
    engine.dispose()
    code, out, _ = acme("connection", "list")
    assert code == 0 and "consent expires in 5 days" in out
    listed = ok_json(acme, "connection", "list")[0]
    assert dt.datetime.fromisoformat(listed["consent_expires_at"]) == soon


# --- sync, its log and statement lines -------------------------------------------------------


def test_sync_counts_log_and_statements(acme: Cli, bank: SandboxHandle) -> None:
    made = connect(acme, bank)
    ident = str(made["id"])
    first = ok_json(acme, "sync", ident)
    assert len(first) == 1 and set(first[0]) == RUN_KEYS
    assert first[0]["state"] == "success" and first[0]["error"] is None
    assert first[0]["new"] > 0 and first[0]["duplicates"] == 0
    assert first[0]["fetched"] == first[0]["new"] + first[0]["pending"]
    again = ok_json(acme, "sync", "--all")[0]
    assert again["state"] == "success"
    assert again["new"] == 0 and again["duplicates"] > 0
    assert again["run"] == first[0]["run"] + 1

    code, out, _ = acme("sync", ident)
    assert code == 0 and "success" in out and "Duplicates" in out

    log = ok_json(acme, "sync", "log", ident)
    assert [r["run"] for r in log] == [3, 2, 1]  # newest first
    assert all(set(r) == LOG_KEYS for r in log)
    oldest = log[-1]
    assert oldest["new"] == first[0]["new"] and oldest["trigger"] == "manual"
    assert oldest["state"] == "success"
    assert dt.date.fromisoformat(oldest["window_start"]) < dt.date.fromisoformat(
        oldest["window_end"]
    )
    assert dt.datetime.fromisoformat(oldest["finished_at"]) >= dt.datetime.fromisoformat(
        oldest["started_at"]
    )
    assert [r["run"] for r in ok_json(acme, "sync", "log", "--limit", "1")] == [3]
    code, out, _ = acme("sync", "log")
    assert code == 0 and "newest first" in out
    assert_error(acme("sync", "log", "42"), "no connection '42'")

    listed = ok_json(acme, "connection", "list")[0]
    assert listed["last_refresh"] is not None
    nordwerk = listed["accounts"][0]
    assert nordwerk["balance"] is not None and nordwerk["last_sync"] is not None

    # statement lines add up to the journal's balance in the ledger and at the bank
    lines = ok_json(acme, "statement", "list", "--journal", "BNK1")
    assert all(set(r) == LINE_KEYS for r in lines)
    every = [ok_json(acme, "statement", "list", "--journal", f"BNK{i}") for i in range(1, 7)]
    assert every[0] == lines
    openings = sum(r["provider_transaction_id"] is None for rows in every for r in rows)
    assert sum(len(rows) for rows in every) == first[0]["new"] + openings
    opening = [r for r in lines if r["provider_transaction_id"] is None]
    assert len(opening) == 1 and opening[0]["label"] == "Opening balance"
    assert lines == sorted(lines, key=lambda r: r["date"])
    assert all(r["entry"].startswith("BNK1/") and r["reconciled"] is False for r in lines)
    ledger = ok_json(acme, "report", "ledger", ledger_account(acme, nordwerk["name"]))
    assert total(lines) == Decimal(ledger["closing_balance"]) == Decimal(nordwerk["balance"])
    dollars = listed["accounts"][3]
    assert dollars["currency"] == "USD"
    usd_lines = ok_json(acme, "statement", "list", "--journal", dollars["journal"])
    as_of = dollars["balance_date"]  # Banque du Lac reports yesterday's balance
    assert total([r for r in usd_lines if r["date"] <= as_of]) == Decimal(dollars["balance"])

    code, out, _ = acme("statement", "list", "--journal", "BNK1")
    assert code == 0 and "Opening balance" in out and str(total(lines)) in out
    assert_error(acme("statement", "list", "--journal", "SAL"), "not a bank journal")
    assert_error(acme("statement", "list", "--journal", "NOPE"), "unknown journal")


def test_statement_pending(acme: Cli, bank: SandboxHandle) -> None:
    made = connect(acme, bank)
    result = ok_json(acme, "sync", str(made["id"]))[0]
    staged = [
        row
        for i in range(1, 7)
        for row in ok_json(acme, "statement", "list", "--journal", f"BNK{i}", "--pending")
    ]
    assert len(staged) == result["pending"] > 0
    assert all(set(r) == LINE_KEYS for r in staged)
    assert all(r["entry"] is None and r["reconciled"] is False for r in staged)
    booked_ids = {
        r["provider_transaction_id"]
        for i in range(1, 7)
        for r in ok_json(acme, "statement", "list", "--journal", f"BNK{i}")
    }
    assert not booked_ids & {r["provider_transaction_id"] for r in staged}
    # without pending, the next sync empties the staging table
    ok_json(acme, "connection", "set", str(made["id"]), "--no-pending")
    assert ok_json(acme, "sync", str(made["id"]))[0]["pending"] == 0
    assert ok_json(acme, "statement", "list", "--journal", "BNK1", "--pending") == []


def test_failing_run_exit_code_and_state(acme: Cli, bank: SandboxHandle) -> None:
    made = connect(acme, bank)
    ident = str(made["id"])
    assert ok_json(acme, "sync", ident)[0]["state"] == "success"
    bank.inject("revoke")
    code, out, err = acme("sync", ident, "--json")
    assert code != 0, err
    (failed,) = json.loads(out)
    assert failed["state"] == "reauth_required" and failed["new"] == 0
    assert failed["error"]
    listed = ok_json(acme, "connection", "list")[0]
    assert listed["state"] == "reauth_required" and listed["next_refresh"] is None
    assert listed["last_error"] == failed["error"]
    code, out, _ = acme("connection", "list")
    assert "re-authorisation needed" in out
    code, out, _ = acme("sync", ident)
    assert code != 0 and "renewed" in out
    assert ok_json(acme, "sync", "log", ident, "--limit", "2")[1]["state"] == "reauth_required"


def test_sync_routing_and_usage(acme: Cli, bank: SandboxHandle) -> None:
    code, out, _ = acme("sync", "--help")
    assert code == 0 and "run" in out and "log" in out and "--all" in out
    assert_error(acme("sync"), "--all")
    assert ok_json(acme, "sync", "--all") == []
    made = connect(acme, bank)
    code, out, err = acme("sync", "--json", str(made["id"]))  # options before the ids
    assert code == 0, err
    assert json.loads(out)[0]["connection"] == made["id"]
    code, out, err = acme("sync", "run", str(made["id"]), str(made["id"]), "--json")
    assert code == 0 and len(json.loads(out)) == 1
    assert_error(acme("sync", "7"), "no connection '7'")
    assert_error(acme("sync", "--all", str(made["id"])), "not both")
    assert_error(acme("sync", "--all", "--since", "yesterday"), "not a date")


# --- secrets --------------------------------------------------------------------------------


def test_access_url_never_shown(
    acme: Cli, bank: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed: list[Credentials] = []

    class Recording(SimpleFINProvider):
        def complete_link(self, session: LinkSession, payload: str) -> Credentials:
            credentials = super().complete_link(session, payload)
            claimed.append(credentials)
            return credentials

    def provider_for(name: str) -> Provider:
        assert name == "simplefin"
        return Recording()

    monkeypatch.setattr(registry, "provider_for", provider_for)
    seen: list[str] = []

    def call(*args: str) -> Result:
        result = acme(*args)
        seen.extend(result[1:])
        return result

    rates(acme, bank)
    token = bank.setup_token()
    assert call("connect", "simplefin", token)[0] == 0
    for json_flag in ((), ("--json",)):
        for command in (
            ("connection", "list"),
            ("sync", "1"),
            ("sync", "log"),
            ("statement", "list", "--journal", "BNK1"),
            ("connection", "set", "1", "--interval", "6h"),
        ):
            assert call(*command, *json_flag)[0] == 0
    assert call("connect", "simplefin", token)[0] != 0
    bank.inject("revoke")
    assert call("sync", "1")[0] != 0
    assert call("sync", "1", "--json")[0] != 0
    assert call("connection", "list")[0] == 0
    assert call("connection", "disconnect", "1")[0] == 0
    assert len(claimed) == 1
    access = claimed[0].secret
    user_info = access.split("://", 1)[1].split("@", 1)[0]
    user, password = user_info.split(":", 1)
    output = "\n".join(seen)
    assert "reauth" in output or "sign in" in output or "revoked" in output.lower()
    for secret in (access, password, user, user_info, token, os.environ["BOOKSYNC_SECRET_KEY"]):
        assert secret not in output


# --- the demo -------------------------------------------------------------------------------


def _extra_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    deadline = time.monotonic() + 5
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


def test_demo_with_the_sandbox_bank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "user" / "secret.key"
    monkeypatch.delenv("BOOKSYNC_SECRET_KEY")
    monkeypatch.setenv("BOOKSYNC_KEY_FILE", str(key_file))
    before = set(threading.enumerate())
    path = tmp_path / "demo.db"
    started = time.monotonic()
    assert run(["demo", "--path", str(path), "--months", "2"]) == 0
    assert time.monotonic() - started < 30
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    for section in (
        "Online banking",
        "USD",
        "JPY",
        "First synchronization",
        "Second synchronization",
        "Bank connections",
        "Linked accounts",
        "Synchronization runs",
        "Statement lines of BNK1",
        "Trial balance",
    ):
        assert section in out, section
    assert "@127.0.0.1" not in out and "sandbox-" not in out
    assert not _extra_threads(before)
    assert not key_file.exists()
    assert "BOOKSYNC_SECRET_KEY" not in os.environ

    assert run(["--db", str(path), "sync", "log", "--json"]) == 0
    log = json.loads(capsys.readouterr().out)
    # Three connections (SimpleFIN, GoCardless, Plaid), each synchronized twice.
    assert [r["state"] for r in log] == ["success"] * 6
    assert all(r["new"] > 0 for r in log[3:])  # the first runs, oldest last
    assert run(["--db", str(path), "connection", "list", "--json"]) == 0
    connections = json.loads(capsys.readouterr().out)
    assert sorted(c["provider"] for c in connections) == ["gocardless", "plaid", "simplefin"]
    assert all(c["state"] == "connected" and len(c["accounts"]) == 2 for c in connections)
    simplefin = next(c for c in connections if c["provider"] == "simplefin")
    assert run(["--db", str(path), "statement", "list", "--journal", "BNK1", "--json"]) == 0
    lines = json.loads(capsys.readouterr().out)
    # The file's lines and the sync's add up to the bank's balance, nothing twice.
    assert total(lines) == Decimal(simplefin["accounts"][0]["balance"])
    assert run(["--db", str(path), "report", "balance-sheet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["balanced"] is True
    assert run(["--db", str(path), "institution", "list", "--json"]) == 0
    catalogue = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert catalogue == {"Banque du Lac", "Nordwerk Bank", "Sakura Shinyo Bank"}
    assert not key_file.exists()
