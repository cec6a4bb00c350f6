"""The sandbox bank's Plaid side over raw HTTP: its endpoints, cursors, changes and guard.

What a Plaid client sees of the world (docs/banking.md, "The sandbox bank"): stable ids,
pending payments replaced by their postings, withdrawn and renamed
transactions, and a mutation while a client pages.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from booksync.sandbox.plaid_bank import PlaidBank
from booksync.sandbox.plaid_feed import plaid_id
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World

TODAY = dt.date(2026, 3, 10)
KEYS = {"PLAID-CLIENT-ID": "sandbox-tests", "PLAID-SECRET": "sandbox-tests-secret"}


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    with start(world=World(3, today=TODAY)) as handle:
        yield handle


def call(bank: SandboxHandle, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(f"{bank.url}/plaid{path}", json=body, headers={**KEYS, **headers})


def answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = json.loads(response.content, parse_float=Decimal)
    return data


def item(bank: SandboxHandle, institution: str = "ins_nordwerk") -> str:
    public = answer(call(bank, "/sandbox/public_token/create",
                         {"institution_id": institution, "initial_products": ["transactions"]}))
    exchanged = answer(call(bank, "/item/public_token/exchange",
                            {"public_token": public["public_token"]}))
    token: str = exchanged["access_token"]
    return token


def sync_all(bank: SandboxHandle, token: str, cursor: str = "") -> tuple[dict[str, list[Any]], str]:
    """Every page from ``cursor``: the changes by kind, and the final cursor."""
    found: dict[str, list[Any]] = {"added": [], "modified": [], "removed": []}
    while True:
        page = answer(call(bank, "/transactions/sync",
                           {"access_token": token, "cursor": cursor, "count": 100}))
        for kind in found:
            found[kind] += page[kind]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return found, cursor


def test_an_item_s_first_sync_is_its_institution_s_history(bank: SandboxHandle) -> None:
    token = item(bank)
    changes, _ = sync_all(bank, token)
    world = bank.world
    nordwerk = [a for a in world.accounts.values() if a.institution.id == "nordwerk"]
    booked = {plaid_id(t): (a, t) for a in nordwerk for t in a.booked}
    added = {t["transaction_id"]: t for t in changes["added"] if not t["pending"]}
    assert set(added) == set(booked)
    for tx_id, sent in added.items():
        account, txn = booked[tx_id]
        assert sent["account_id"] == account.id
        assert sent["date"] == txn.posted.isoformat()
        assert sent["amount"] == -account.decimal(txn.amount)  # Plaid: money out positive
        assert sent["iso_currency_code"] == account.currency
    assert not changes["removed"] and not changes["modified"]


def test_a_posting_removes_its_pending_id_and_names_it(bank: SandboxHandle) -> None:
    token = item(bank)
    _, cursor = sync_all(bank, token)
    world = bank.world
    account = next(a for a in world.accounts.values() if a.profile == "business")
    (pending_id,) = world.add_transactions(
        account.id, [{"amount": "-19.99", "description": "CARD KIOSK", "pending": True}]
    )
    changes, cursor = sync_all(bank, token, cursor)
    assert [t["transaction_id"] for t in changes["added"]] == [pending_id]
    posted_id = world.book_pending(account.id, pending_id)
    changes, cursor = sync_all(bank, token, cursor)
    assert {r["transaction_id"] for r in changes["removed"]} == {pending_id}
    (posted,) = changes["added"]
    assert posted["transaction_id"] == posted_id
    assert posted["pending_transaction_id"] == pending_id and posted["pending"] is False
    # The bank re-keys a booking: Plaid's id is stable, so nothing changes.
    world.change_id(account.id, posted_id)
    changes, _ = sync_all(bank, token, cursor)
    assert changes == {"added": [], "modified": [], "removed": []}


def test_withdrawn_and_renamed_transactions_and_the_balance(bank: SandboxHandle) -> None:
    token = item(bank)
    _, cursor = sync_all(bank, token)
    world = bank.world
    account = next(a for a in world.accounts.values() if a.profile == "business")
    first, second = account.booked[-1], account.booked[-2]
    before = answer(call(bank, "/accounts/get", {"access_token": token}))
    plaid = PlaidBank.of(bank.server)
    plaid.withdraw(account.id, plaid_id(first))
    plaid.rename(account.id, plaid_id(second), "KIOSK (cleaned up)")
    changes, _ = sync_all(bank, token, cursor)
    assert changes["removed"] == [{"transaction_id": plaid_id(first), "account_id": account.id}]
    assert [(t["transaction_id"], t["name"]) for t in changes["modified"]] == [
        (plaid_id(second), "KIOSK (cleaned up)")
    ]
    after = answer(call(bank, "/accounts/get", {"access_token": token}))
    current = {a["account_id"]: a["balances"]["current"] for a in after["accounts"]}
    was = {a["account_id"]: a["balances"]["current"] for a in before["accounts"]}
    assert current[account.id] == was[account.id] - account.decimal(first.amount)


def test_a_world_moving_between_pages_is_a_mutation_during_pagination(
    bank: SandboxHandle,
) -> None:
    token = item(bank)
    first = answer(call(bank, "/transactions/sync", {"access_token": token, "count": 50}))
    assert first["has_more"]
    bank.world.advance(2)
    moved = call(bank, "/transactions/sync",
                 {"access_token": token, "cursor": first["next_cursor"], "count": 50})
    assert moved.status_code == 400
    assert moved.json()["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    changes, _ = sync_all(bank, token)  # from the first cursor again: the whole history
    assert len(changes["added"]) > 50


def test_bad_requests_get_plaid_s_errors(bank: SandboxHandle) -> None:
    token = item(bank)
    unkeyed = httpx.post(f"{bank.url}/plaid/accounts/get", json={"access_token": token})
    assert unkeyed.status_code == 400 and unkeyed.json()["error_code"] == "MISSING_FIELDS"
    for body, code in [
        ({"access_token": token, "cursor": "bm90IGEgY3Vyc29y"}, "INVALID_FIELD"),
        ({"access_token": token, "count": 501}, "INVALID_FIELD"),
        ({"access_token": "access-sandbox-nope"}, "INVALID_ACCESS_TOKEN"),
    ]:
        refused = call(bank, "/transactions/sync", body)
        assert refused.status_code == 400 and refused.json()["error_code"] == code
    other = call(bank, "/accounts/get", {"access_token": token},
                 **{"PLAID-CLIENT-ID": "another-client"})
    assert other.json()["error_code"] == "INVALID_API_KEYS"
    assert httpx.get(f"{bank.url}/plaid/accounts/get").status_code == 405
    assert call(bank, "/nowhere", {}).status_code == 404
    reset = answer(call(bank, "/sandbox/item/reset_login", {"access_token": token}))
    assert reset["reset_login"] is True
    assert call(bank, "/accounts/get", {"access_token": token}).json()["error_code"] == (
        "ITEM_LOGIN_REQUIRED"
    )


def test_the_control_path_is_for_loopback_tools_only(bank: SandboxHandle) -> None:
    item(bank)
    control = f"{bank.url}/plaid/_sandbox"
    items = httpx.get(f"{control}/items").json()["items"]
    assert len(items) == 1 and "access_token" not in json.dumps(items)
    login = {"item_id": items[0]["item_id"], "required": True}
    assert httpx.post(f"{control}/login", json=login).json() == {"items": 1}
    assert httpx.get(f"{control}/items").json()["items"][0]["login_required"] is True
    assert httpx.post(f"{control}/login", content=b"{}").status_code == 415
    foreign = httpx.post(f"{control}/faults", json={"kind": "mutation"},
                         headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    rebound = httpx.post(f"{control}/faults", json={"kind": "mutation"},
                         headers={"Host": "evil.example"})
    assert rebound.status_code == 403
    assert httpx.post(f"{control}/faults", json={"kind": "flood"}).status_code == 400
    assert httpx.post(f"{control}/faults", json={"kind": "http_500", "page": 2}).json() == {
        "queued": 1
    }
