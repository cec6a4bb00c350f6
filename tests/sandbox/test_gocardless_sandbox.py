"""The sandbox bank's GoCardless side on the wire, seen by a plain ``urllib`` client.

Tokens, the consent page and its redirect, new account ids per consent,
the daily quota on the world's clock, agreements that end, and the control
endpoints with their guard.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from booksync.sandbox.gocardless import bank_of
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from tests.sandbox.conftest import Reply, call

JSON = {"Content-Type": "application/json"}


def _page(url: str) -> httpx.Response:
    """The consent page, its redirect not followed."""
    return httpx.get(url, follow_redirects=False)


class Api:
    """A minimal GoCardless client: a token pair and JSON calls."""

    def __init__(self, bank: SandboxHandle, secret_id: str = "sb-id", key: str = "sb-key") -> None:
        self.base = f"{bank.url}/gocardless"
        reply = self.call("POST", "/api/v2/token/new/", {"secret_id": secret_id,
                                                           "secret_key": key}, auth=False)
        assert reply.status == 200, reply.body
        self.tokens = reply.json()

    def call(self, method: str, path: str, body: Any = None, *, auth: bool = True,
             query: dict[str, str] | None = None) -> Reply:
        headers = dict(JSON)
        if auth:
            headers["Authorization"] = f"Bearer {self.tokens['access']}"
        data = json.dumps(body).encode() if body is not None else None
        url = f"{self.base}{path}" + (f"?{urlencode(query)}" if query else "")
        return call(url, method, data, headers)

    def requisition(self, institution: str, access_days: int = 90,
                    redirect: str = "https://app.example/back?x=1") -> dict[str, Any]:
        agreement = self.call("POST", "/api/v2/agreements/enduser/", {
            "institution_id": institution, "max_historical_days": 30,
            "access_valid_for_days": access_days, "access_scope": ["balances", "details",
                                                                   "transactions"]})
        assert agreement.status == 201, agreement.body
        made = self.call("POST", "/api/v2/requisitions/", {
            "redirect": redirect, "institution_id": institution,
            "agreement": agreement.json()["id"], "reference": f"ref-{len(redirect)}-{access_days}"})
        assert made.status == 201, made.body
        return dict(made.json())

    def linked(self, institution: str = "NORDWERKBANK_NWBKDEFF", **options: Any) -> list[str]:
        made = self.requisition(institution, **options)
        assert _page(made["link"]).status_code == 302
        found = self.call("GET", f"/api/v2/requisitions/{made['id']}/").json()
        assert found["status"] == "LN"
        return list(found["accounts"])


@pytest.fixture
def bank(world: World) -> Any:
    with start(world=world) as handle:
        yield handle


def test_tokens_are_needed_and_a_known_id_keeps_its_key(bank: SandboxHandle) -> None:
    api = Api(bank)
    assert api.call("GET", "/api/v2/institutions/", auth=False).status == 401
    assert api.call("GET", "/api/v2/institutions/").status == 200
    refreshed = api.call("POST", "/api/v2/token/refresh/", {"refresh": api.tokens["refresh"]},
                         auth=False)
    assert refreshed.status == 200 and set(refreshed.json()) == {"access", "access_expires"}
    refused = api.call("POST", "/api/v2/token/new/", {"secret_id": "sb-id", "secret_key": "x"},
                       auth=False)
    assert refused.status == 401 and refused.json()["summary"] == "Authentication failed"
    bank_of(bank.server).expire_tokens("both")
    assert api.call("GET", "/api/v2/institutions/").status == 401
    again = api.call("POST", "/api/v2/token/refresh/", {"refresh": api.tokens["refresh"]},
                     auth=False)
    assert again.status == 401


def test_the_consent_page_redirects_with_the_reference(bank: SandboxHandle) -> None:
    api = Api(bank)
    made = api.requisition("BANQUEDULAC_BDLCFRPP")
    assert made["status"] == "CR" and made["accounts"] == []
    page = _page(made["link"])
    assert page.status_code == 302
    assert page.headers["Location"] == f"https://app.example/back?x=1&ref={made['reference']}"
    found = api.call("GET", f"/api/v2/requisitions/{made['id']}/").json()
    world = bank.world
    gc = bank_of(bank.server)
    assert found["status"] == "LN"
    assert sorted(gc.world_account(a) for a in found["accounts"]) == sorted(
        a.id for a in world.accounts.values() if a.institution.id == "banque-du-lac")
    other = api.requisition("BANQUEDULAC_BDLCFRPP", access_days=60)
    refused = _page(f"{other['link']}?decision=reject")
    assert refused.headers["Location"].endswith("&error=UserCancelledSession")
    assert _page(other["link"]).status_code == 410  # a refused consent is not given later
    assert _page(made["link"].replace(made["id"], "nope")).status_code == 404


def test_each_consent_gives_new_account_ids_for_the_same_accounts(bank: SandboxHandle) -> None:
    api = Api(bank)
    first, second = api.linked(), api.linked(access_days=60)
    gc = bank_of(bank.server)
    assert not set(first) & set(second)
    assert [gc.world_account(a) for a in first] == [gc.world_account(a) for a in second]
    stranger = Api(bank, "someone-else", "their-key")
    assert stranger.call("GET", f"/api/v2/accounts/{first[0]}/details/").status == 404


def test_the_daily_quota_counts_successes_on_the_worlds_clock(bank: SandboxHandle) -> None:
    api = Api(bank)
    account = api.linked()[0]
    gc = bank_of(bank.server)
    gc.set_quota(2)
    path = f"/api/v2/accounts/{account}/transactions/"
    first = api.call("GET", path)
    assert first.status == 200
    assert first.headers["X-RateLimit-Account-Success-Remaining"] == "1"
    assert api.call("GET", path, query={"date_from": "2026-03-09", "date_to": "2026-03-01"}
                    ).status == 400  # a refused request does not count
    assert api.call("GET", path).status == 200
    limited = api.call("GET", path)
    assert limited.status == 429
    assert "try again in 43200 seconds" in limited.json()["detail"]
    assert limited.headers["X-RateLimit-Account-Success-Reset"] == "43200"
    assert api.call("GET", f"/api/v2/accounts/{account}/balances/").status == 200
    bank.world.advance(1)
    assert api.call("GET", path).status == 200
    gc.set_quota(None)
    assert all(api.call("GET", path).status == 200 for _ in range(3))


def test_an_agreement_ends_on_the_worlds_clock(bank: SandboxHandle) -> None:
    api = Api(bank)
    made = api.requisition("SAKURASHINYOBANK_SKSYJPJT", access_days=3)
    _page(made["link"])
    account = api.call("GET", f"/api/v2/requisitions/{made['id']}/").json()["accounts"][0]
    assert api.call("GET", f"/api/v2/accounts/{account}/balances/").status == 200
    bank.world.advance(3)
    ended = api.call("GET", f"/api/v2/accounts/{account}/transactions/")
    assert ended.status == 400 and "has expired" in ended.json()["summary"]
    assert api.call("GET", f"/api/v2/requisitions/{made['id']}/").json()["status"] == "EX"
    assert api.call("GET", f"/api/v2/accounts/{account}/").json()["status"] == "EXPIRED"


def test_transactions_reach_back_no_further_than_the_agreement(bank: SandboxHandle) -> None:
    api = Api(bank)
    account = api.linked()[0]
    wide = api.call("GET", f"/api/v2/accounts/{account}/transactions/",
                    query={"date_from": "2025-01-01", "date_to": bank.world.today.isoformat()})
    days = [dt.date.fromisoformat(t["bookingDate"])
            for t in wide.json()["transactions"]["booked"]]
    assert days and min(days) >= bank.world.today - dt.timedelta(days=30)


def _control(bank: SandboxHandle, name: str, body: Any, **headers: str) -> Reply:
    return call(f"{bank.url}/gocardless/_sandbox/{name}", "POST", json.dumps(body).encode(),
                {**JSON, **headers})


def test_control_over_http_is_guarded(bank: SandboxHandle) -> None:
    api = Api(bank)
    made = api.requisition("NORDWERKBANK_NWBKDEFF")
    assert _control(bank, "quota", {"per_day": 4}).json() == {"quota": 4}
    assert _control(bank, "faults", {"kind": "rate_limit", "count": 2}).json() == {"queued": 2}
    assert _control(bank, "requisitions", {"id": made["id"], "status": "UA"}).json()[
        "status"] == "UA"
    assert _control(bank, "tokens", {"expire": "access"}).status == 200
    assert _control(bank, "faults", {"kind": "nonsense"}).status == 400
    state = call(f"{bank.url}/gocardless/_sandbox/state").json()
    assert state["quota"] == 4 and state["faults"] == 2
    plain = call(f"{bank.url}/gocardless/_sandbox/quota", "POST", b"{}",
                 {"Content-Type": "text/plain"})
    assert plain.status == 415
    assert _control(bank, "quota", {}, Origin="https://evil.example").status == 403
    assert _control(bank, "quota", {}, Host="rebound.example").status == 403
