"""``booksync connect gocardless`` against the sandbox bank, on SQLite and PostgreSQL.

The commands a user types: institutions of a country into the catalogue, a
link to open, ``--complete`` (refused until consent is given), sync, and
``--renew`` once the consent ended.  No secret id, secret key or token ever
reaches the output, the log or the stored errors, even from a bank that
echoes them back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from booksync.banking.models import Connection, SyncRun
from booksync.db.engine import make_engine, session_factory
from booksync.providers.gocardless_http import clear_token_cache
from booksync.sandbox.gocardless import bank_of
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from tests.cli.clitools import Cli, Result, one_error

SECRET_ID, SECRET_KEY = "cli-gc-id-8Rt", "cli-gc-key-Lm2/+q"
NORDWERK = "NORDWERKBANK_NWBKDEFF"


@pytest.fixture
def bank(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    clear_token_cache()
    with start(world=World(9)) as handle:  # today is the real today, as the CLI's runs are
        monkeypatch.setenv("BOOKSYNC_GOCARDLESS_URL", f"{handle.url}/gocardless")
        monkeypatch.setenv("BOOKSYNC_GOCARDLESS_SECRET_ID", SECRET_ID)
        monkeypatch.setenv("BOOKSYNC_GOCARDLESS_SECRET_KEY", SECRET_KEY)
        yield handle
    clear_token_cache()


class Session:
    """The CLI on one database, every output kept for the secret check."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.shown: list[str] = []

    def __call__(self, *args: str) -> Result:
        result = self.cli(*args)
        self.shown += [result[1], result[2]]
        return result

    def json(self, *args: str) -> Any:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    def connect(self, bank: SandboxHandle, *options: str) -> dict[str, Any]:
        started: dict[str, Any] = self.json(
            "connect", "gocardless", "--institution", NORDWERK, "--history-days", "30", *options)
        assert httpx.get(started["link"]).status_code == 302
        return started


def _secrets_everywhere(bank: SandboxHandle) -> list[str]:
    gc = bank_of(bank.server)
    tokens = [t for t, (user, _) in {**gc.access, **gc.refresh}.items() if user == SECRET_ID]
    assert tokens
    return [SECRET_ID, SECRET_KEY, *tokens]


def _stored_errors(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            found = [e for e in session.scalars(select(SyncRun.error)) if e]
            found += [e for e in session.scalars(select(Connection.last_error)) if e]
    finally:
        engine.dispose()
    return found


def test_connect_complete_and_sync_with_no_secret_shown(
    acme: Cli, bank: SandboxHandle, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cli = Session(acme)
    listed = cli.json("connect", "gocardless", "--country", "de")
    assert [(i["id"], i["provider"]) for i in listed] == [(NORDWERK, "gocardless")]
    catalogue = cli.json("institution", "list")
    wanted = {"id": NORDWERK, "provider": "gocardless", "country": "DE"}
    assert wanted.items() <= catalogue[0].items()
    started = cli.json("connect", "gocardless", "--institution", NORDWERK, "--history-days", "30")
    assert started["connection"]["state"] == "disconnected" and not started["renewal"]
    assert cli.json("connection", "list")[0]["accounts"] == []
    one_error(cli("connect", "gocardless", "--complete", started["requisition"]),
              "not linked yet", "CR")
    code, out, _ = cli("connect", "gocardless", "--institution", NORDWERK)
    assert code == 0 and "Open this link" in out and "--complete" in out
    assert httpx.get(started["link"]).status_code == 302
    done = cli.json("connect", "gocardless", "--complete", started["reference"])
    assert done["state"] == "connected" and len(done["accounts"]) == 2
    assert done["consent_expires_at"] is not None
    (first,) = cli.json("sync", str(done["id"]))
    assert first["state"] == "success" and first["new"] > 0
    bank_of(bank.server).inject("echo")
    code, out, _ = cli("sync", str(done["id"]), "--json")
    assert code == 1 and json.loads(out)[0]["state"] == "error"
    bank_of(bank.server).inject("echo", token=True)
    clear_token_cache()
    code, out, _ = cli("sync", str(done["id"]), "--json")
    assert json.loads(out)[0]["state"] == "reauth_required"
    cli("sync", "log")
    cli("connection", "list")
    shown = [*cli.shown, caplog.text, *_stored_errors(db_url)]
    assert any("Authorization" in text for text in shown)  # the echo was there, masked
    for secret in _secrets_everywhere(bank):
        for text in shown:
            assert secret not in text, f"{secret!r} leaked into: {text[:300]}"


def test_an_ended_consent_is_renewed_from_the_cli(
    acme: Cli, bank: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Session(acme)
    started = cli.connect(bank, "--access-days", "3")
    done = cli.json("connect", "gocardless", "--complete", started["requisition"])
    ident = str(done["id"])
    assert cli.json("sync", ident)[0]["state"] == "success"
    bank.world.advance(3)
    code, out, _ = cli("sync", ident, "--json")
    assert code == 1 and json.loads(out)[0]["state"] == "reauth_required"
    assert cli.json("connection", "list")[0]["state"] == "reauth_required"
    monkeypatch.delenv("BOOKSYNC_GOCARDLESS_SECRET_ID")  # the connection keeps its own
    monkeypatch.delenv("BOOKSYNC_GOCARDLESS_SECRET_KEY")
    renewal = cli.json("connect", "gocardless", "--renew", ident)
    assert renewal["renewal"] and renewal["connection"]["id"] == done["id"]
    assert httpx.get(renewal["link"]).status_code == 302
    code, out, err = cli("connect", "gocardless", "--complete", renewal["requisition"])
    assert code == 0 and "Renewed the consent" in out, err
    (after,) = cli.json("sync", ident)
    assert after["state"] == "success" and after["duplicates"] > 0
    for journal in ("BNK1", "BNK2"):
        lines = cli.json("statement", "list", "--journal", journal, "--limit", "1000")
        ids = [line["provider_transaction_id"] for line in lines if line["provider_transaction_id"]]
        assert len(ids) == len(set(ids)), f"{journal}: a transaction booked twice"
    requisitions = bank_of(bank.server).requisitions
    assert renewal["requisition"] in requisitions
    code, _, err = cli("connection", "disconnect", ident)
    assert code == 0 and "warning" not in err
    assert renewal["requisition"] not in requisitions  # deleted at GoCardless too


def test_a_rejected_consent_is_said_plainly(acme: Cli, bank: SandboxHandle) -> None:
    cli = Session(acme)
    started = cli.json("connect", "gocardless", "--institution", NORDWERK)
    httpx.get(started["link"], params={"decision": "reject"})
    one_error(cli("connect", "gocardless", "--complete", started["requisition"]),
              "will not be linked", "RJ", "rejected")
    (row,) = cli.json("connection", "list")
    assert row["state"] == "disconnected" and "RJ" in row["last_error"]
    one_error(cli("connect", "gocardless", "--complete", started["requisition"]),
              "no GoCardless connection waits")


def test_what_the_command_needs_is_said_in_one_sentence(
    acme: Cli, bank: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_error(acme("connect", "gocardless"), "give one of --institution")
    one_error(acme("connect", "gocardless", "--institution", NORDWERK, "--complete", "x"),
              "give one of")
    one_error(acme("connect", "gocardless", "--renew", "1"), "no connection")
    monkeypatch.delenv("BOOKSYNC_GOCARDLESS_SECRET_KEY")
    one_error(acme("connect", "gocardless", "--institution", NORDWERK),
              "secret id and key")
    one_error(acme("connect", "gocardless", "--institution", NORDWERK, "--secret-key",
                   "another-key", "--url", "http://192.168.1.1/"), "Refusing")
