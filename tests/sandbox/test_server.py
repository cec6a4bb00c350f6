"""The sandbox bank over real loopback HTTP: SimpleFIN protocol, faults, control."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import socket
import time
import urllib.error
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest

from booksync.sandbox.clock import DAY, NOON, date_of, epoch_of
from booksync.sandbox.server import SandboxHandle
from booksync.sandbox.world import World
from tests.sandbox.conftest import TODAY, Client, call, claim, control


def _first(world: World, currency: str = "EUR") -> str:
    return next(a.id for a in world.accounts.values() if a.currency == currency)


def _midnight(day: dt.date) -> int:
    return epoch_of(day) - NOON


def _posted_days(reply: Any, account_id: str) -> list[dt.date]:
    account = next(a for a in reply.json()["accounts"] if a["id"] == account_id)
    return [date_of(t["posted"]) for t in account["transactions"] if not t["pending"]]


# -- setup token and claim ----------------------------------------------------


def test_setup_token_claims_once(bank: SandboxHandle) -> None:
    reply = call(f"{bank.url}/simplefin/create")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain")
    token = reply.body.decode()
    claim_url = base64.b64decode(token).decode()
    assert re.fullmatch(rf"{re.escape(bank.url)}/simplefin/claim/[\w-]+", claim_url)
    first = claim(token)
    assert first.status == 200
    access = urlsplit(first.body.decode())
    assert access.scheme == "http" and access.hostname == "127.0.0.1"
    assert access.username and access.password and access.path == "/simplefin"
    assert claim(token).status == 403
    unknown = base64.b64encode(f"{bank.url}/simplefin/claim/nope".encode()).decode()
    assert claim(unknown).status == 403


def test_each_token_gives_its_own_access(bank: SandboxHandle) -> None:
    one, two = (Client(claim(bank.setup_token()).body.decode()) for _ in range(2))
    assert one.access_url != two.access_url
    assert one.accounts().status == 200 and two.accounts().status == 200


def test_accounts_need_basic_auth(bank: SandboxHandle, client: Client) -> None:
    assert call(f"{bank.url}/simplefin/accounts").status == 403
    wrong = Client(client.access_url.replace("@", "x@", 1))
    assert wrong.accounts().status == 403
    garbage = call(f"{bank.url}/simplefin/accounts", headers={"Authorization": "Basic !!!"})
    assert garbage.status == 403
    assert client.accounts().status == 200


# -- the Account Set ------------------------------------------------------------


def test_account_set_shape(bank: SandboxHandle, client: Client) -> None:
    reply = client.accounts({"pending": 1})
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
    data = reply.json()
    assert data["errors"] == [] and data["errlist"] == []
    assert {c["conn_id"] for c in data["connections"]} == {a["conn_id"] for a in data["accounts"]}
    assert len(data["accounts"]) == len(bank.world.accounts)
    for account in data["accounts"]:
        assert {"domain", "sfin-url", "name"} <= set(account["org"])
        assert account["org"]["sfin-url"] == f"{bank.url}/simplefin"
        for key in ("id", "name", "currency", "balance", "available-balance", "balance-date"):
            assert key in account
        Decimal(account["balance"])
        assert date_of(account["balance-date"]) == bank.world.balance_date(account["id"])
        posted = [t["posted"] for t in account["transactions"] if not t["pending"]]
        assert posted == sorted(posted)
        for txn in account["transactions"]:
            assert set(txn) >= {"id", "posted", "amount", "description", "transacted_at"}
            assert isinstance(txn["amount"], str) and isinstance(txn["posted"], int)
            assert (txn["posted"] == 0) == txn["pending"]
    yen = next(a for a in data["accounts"] if a["currency"] == "JPY")
    assert "." not in yen["balance"]


def test_balances_match_the_bank_state(bank: SandboxHandle, client: Client) -> None:
    wire = {a["id"]: a for a in client.accounts().json()["accounts"]}
    state = call(f"{bank.url}/_sandbox/state").json()
    assert state["today"] == TODAY.isoformat()
    for account in state["accounts"]:
        assert wire[account["id"]]["balance"] == account["balance"]
        assert date_of(wire[account["id"]]["balance-date"]).isoformat() == account["balance_date"]


def test_window_start_inclusive_end_exclusive(bank: SandboxHandle, client: Client) -> None:
    account = _first(bank.world)
    first, last = TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=10)
    for start, end in ((_midnight(first), _midnight(last)), (epoch_of(first), epoch_of(last))):
        days = _posted_days(client.accounts({"start-date": start, "end-date": end}), account)
        assert days and min(days) == first and max(days) == last - dt.timedelta(days=1)
    expected = [t.posted for t in bank.world.accounts[account].booked_between(first, last)]
    window = {"start-date": _midnight(first), "end-date": _midnight(last + dt.timedelta(days=1))}
    assert _posted_days(client.accounts(window), account) == expected


def test_window_is_capped_at_ninety_days(bank: SandboxHandle, client: Client) -> None:
    account = _first(bank.world)
    start = TODAY - dt.timedelta(days=118)
    days = _posted_days(
        client.accounts({"start-date": _midnight(start), "end-date": _midnight(TODAY)}), account
    )
    assert min(days) >= start and max(days) == start + dt.timedelta(days=89)
    recent = _posted_days(client.accounts(), account)
    assert min(recent) >= TODAY - dt.timedelta(days=90) and max(recent) == TODAY


def test_bad_dates_are_a_400(client: Client) -> None:
    assert client.accounts({"start-date": "yesterday"}).status == 400


def test_pending_only_when_asked(bank: SandboxHandle, client: Client) -> None:
    account = _first(bank.world)
    assert bank.world.accounts[account].pending

    def pending(params: dict[str, Any]) -> list[Any]:
        data = client.accounts(params).json()
        return [t for a in data["accounts"] for t in a["transactions"] if t["pending"]]

    assert pending({}) == []
    shown = pending({"pending": 1, "account": account})
    assert {t["id"] for t in shown} == set(bank.world.accounts[account].pending)
    assert all(t["posted"] == 0 for t in shown)


def test_account_filter_and_balances_only(bank: SandboxHandle, client: Client) -> None:
    eur, usd = _first(bank.world), _first(bank.world, "USD")
    data = client.accounts([("account", eur), ("account", usd)]).json()
    assert [a["id"] for a in data["accounts"]] == [eur, usd]
    unknown = client.accounts({"account": "ACT-unknown"}).json()
    assert unknown["accounts"] == [] and "ACT-unknown" in unknown["errors"][0]
    assert unknown["errlist"][0]["code"].startswith("act.")
    light = client.accounts({"balances-only": 1, "pending": 1}).json()
    assert light["accounts"] and all(a["transactions"] == [] for a in light["accounts"])


# -- faults ---------------------------------------------------------------------


def _fault(bank: SandboxHandle, **body: Any) -> None:
    assert control(bank, "faults", body).status == 200


def test_http_500_for_the_next_n_requests(bank: SandboxHandle, client: Client) -> None:
    _fault(bank, kind="http_500", count=2)
    assert [client.accounts().status for _ in range(3)] == [500, 500, 200]


def test_rate_limit_says_when_to_come_back(bank: SandboxHandle, client: Client) -> None:
    _fault(bank, kind="rate_limit", retry_after=120)
    reply = client.accounts()
    assert reply.status == 429 and reply.headers["Retry-After"] == "120"
    assert client.accounts().status == 200


def test_timeout_answers_after_the_client_gave_up(bank: SandboxHandle, client: Client) -> None:
    _fault(bank, kind="timeout", delay=0.6)
    began = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        client.accounts(timeout=0.2)
    assert time.monotonic() - began < 0.5
    assert client.accounts(timeout=5).status == 200


def test_revoke_is_for_good(bank: SandboxHandle, client: Client) -> None:
    other = Client(claim(bank.setup_token()).body.decode())
    _fault(bank, kind="revoke")
    assert client.accounts().status == 403
    assert client.accounts().status == 403
    assert other.accounts().status == 200


@pytest.mark.parametrize("variant", ["not_json", "wrong_shape"])
def test_malformed_answers(bank: SandboxHandle, client: Client, variant: str) -> None:
    _fault(bank, kind="malformed", variant=variant)
    reply = client.accounts()
    assert reply.status == 200
    if variant == "not_json":
        with pytest.raises(ValueError):
            reply.json()
    else:
        assert not isinstance(reply.json()["accounts"], list)
    assert isinstance(client.accounts().json()["accounts"], list)


def test_payment_required(bank: SandboxHandle, client: Client) -> None:
    _fault(bank, kind="payment_required")
    assert client.accounts().status == 402


def test_faults_skip_unauthenticated_requests(bank: SandboxHandle, client: Client) -> None:
    bank.inject("http_500")
    assert call(f"{bank.url}/simplefin/accounts").status == 403
    assert client.accounts().status == 500


@pytest.mark.parametrize(
    "body",
    [{"kind": "meteor"}, {"kind": "http_500", "count": -1}, {"kind": "timeout", "delay": "x"}],
)
def test_bad_fault_requests(bank: SandboxHandle, body: dict[str, Any]) -> None:
    reply = control(bank, "faults", body)
    assert reply.status == 400 and reply.json()["error"]["message"]


# -- control endpoints ----------------------------------------------------------


def test_advance_moves_the_clock(bank: SandboxHandle, client: Client) -> None:
    reply = control(bank, "advance", {"days": 3})
    assert reply.status == 200
    body = reply.json()
    assert body["today"] == (TODAY + dt.timedelta(days=3)).isoformat()
    assert {e["kind"] for e in body["events"]} >= {"pending", "booked_from_pending"}
    account = _first(bank.world)
    assert max(_posted_days(client.accounts(), account)) == TODAY + dt.timedelta(days=3)
    assert control(bank, "advance", {"days": "many"}).status == 400
    assert control(bank, "advance", {"days": 10**6}).status == 400


def test_added_transactions_appear_on_the_wire(bank: SandboxHandle, client: Client) -> None:
    account = _first(bank.world)
    late = (TODAY - dt.timedelta(days=4)).isoformat()
    specs = [
        {"amount": "250.00", "description": "Payment INV/2026/0042", "posted": late},
        {"amount": "-3.20", "description": "Tip", "pending": True},
    ]
    reply = control(bank, "transactions", {"account": account, "transactions": specs})
    assert reply.status == 200
    booked_id, pending_id = reply.json()["ids"]
    wire = client.accounts({"account": account, "pending": 1}).json()["accounts"][0]
    by_id = {t["id"]: t for t in wire["transactions"]}
    assert by_id[booked_id]["amount"] == "250.00" and date_of(by_id[booked_id]["posted"]) == (
        TODAY - dt.timedelta(days=4)
    )
    assert by_id[pending_id]["pending"] is True and by_id[pending_id]["amount"] == "-3.20"
    bad = control(bank, "transactions", {"account": "ACT-x", "transactions": specs})
    assert bad.status == 400 and "ACT-x" in bad.json()["error"]["message"]
    assert control(bank, "transactions", {"account": account}).status == 400


def test_events_endpoint_books_pending_and_changes_ids(bank: SandboxHandle) -> None:
    account = _first(bank.world)
    reply = control(
        bank, "transactions", {"account": account, "transactions": [{"amount": "-1", "pending": 1}]}
    )
    (pending,) = reply.json()["ids"]
    booked = control(bank, "events", {"kind": "book_pending", "account": account, "id": pending})
    new = booked.json()["id"]
    renamed = control(bank, "events", {"kind": "change_id", "account": account, "id": new})
    state = call(f"{bank.url}/_sandbox/state?account={account}").json()
    (txn,) = [t for t in state["accounts"][0]["transactions"] if t["id"] == renamed.json()["id"]]
    assert txn["former_ids"] == [new] and txn["from_pending"] == pending
    assert control(bank, "events", {"kind": "explode"}).status == 400


def test_state_and_unknown_routes(bank: SandboxHandle) -> None:
    account = _first(bank.world)
    state = call(f"{bank.url}/_sandbox/state?account={account}").json()
    assert [a["id"] for a in state["accounts"]] == [account]
    assert call(f"{bank.url}/_sandbox/state?account=ACT-x").status == 400
    assert call(f"{bank.url}/nowhere").status == 404
    assert control(bank, "nowhere", {}).status == 404
    json_type = {"Content-Type": "application/json"}
    assert call(f"{bank.url}/_sandbox/advance", "POST", b"{not json", json_type).status == 400


def test_secrets_stay_out_of_logs(
    bank: SandboxHandle, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="booksync.sandbox")
    token = bank.setup_token()
    claim_path = urlsplit(base64.b64decode(token).decode()).path
    client = Client(claim(token).body.decode())
    client.accounts()
    claim(token)
    password = urlsplit(client.access_url).password
    assert password
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "/simplefin/accounts" in caplog.text
    for secret in (password, claim_path.rsplit("/", 1)[-1], client.auth()["Authorization"]):
        assert secret not in logged


def test_stop_frees_the_port(world: World) -> None:
    from booksync.sandbox.server import start

    handle = start(world=world)
    url = handle.url
    handle.stop()
    handle.stop()
    with pytest.raises(urllib.error.URLError):
        call(f"{url}/simplefin/info", timeout=1)
    assert DAY == 86_400
