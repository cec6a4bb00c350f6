"""``POST /api/v1/connections/{id}/renew``: a GoCardless consent asked for again and
completed as a new one is, a Plaid Item back once its holder signed in, and the
refusals; the sandbox bank over loopback HTTP, on both databases.

A consent ends here as it does at a bank: the sandbox answers the API's
expired-agreement error, and the next run leaves the connection
``reauth_required`` (docs/web.md, "Connections API").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from booksync.app.connections import ConnectionView
from booksync.banking.secrets import unseal
from booksync.providers.gocardless_http import clear_token_cache
from booksync.providers.gocardless_secret import GoCardlessSecret
from booksync.sandbox import SandboxHandle
from booksync.sandbox.gocardless import bank_of
from booksync.sandbox.plaid_bank import PlaidBank
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.test_connect_providers import (
    NORDWERK_ACCOUNTS,
    NORDWERK_GC,
    at_the_bank,
    connection,
    send,
)

pytest_plugins = ("tests.web.bank_fixtures",)

BASE = "/api/v1/connections"
LINK_KEYS = {"connection", "institution", "link", "requisition", "reference", "history_days",
             "access_days", "renewal"}


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    """No GoCardless token of another test's sandbox."""
    clear_token_cache()
    yield
    clear_token_cache()


def renew(client: Client, ident: int, body: dict[str, Any] | None = None,
          **params: str) -> httpx.Response:
    answer: httpx.Response = client.post(f"{BASE}/{ident}/renew", json=body, params=params,
                                         headers={"X-CSRF-Token": client.csrf})
    return answer


def fetch(client: Client, ident: int) -> dict[str, Any]:
    answer = client.post(f"{BASE}/{ident}/fetch", headers={"X-CSRF-Token": client.csrf})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def connect_gocardless(admin: Client) -> dict[str, Any]:
    """A GoCardless connection to Nordwerk through the API, consent given, synchronized."""
    started = send(admin, {"provider": "gocardless", "institution": NORDWERK_GC})
    assert started.status_code == 201, started.text
    at_the_bank(started.json()["link"])
    done = send(admin, {"provider": "gocardless", "requisition": started.json()["requisition"]})
    assert done.status_code == 200, done.text
    linked: dict[str, Any] = done.json()
    first = fetch(admin, linked["id"])
    assert first["state"] == "success" and first["new"] > 0, first
    return linked


def connect_plaid(admin: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Plaid connection to the sandbox's Nordwerk through the API, and its first run."""
    made = send(admin, {"provider": "plaid", "sandbox_institution": "Nordwerk Bank"})
    assert made.status_code == 201, made.text
    connected: dict[str, Any] = made.json()
    first = fetch(admin, connected["id"])
    assert first["state"] == "success" and first["new"] > 0, first
    return connected, first


def journals(data: dict[str, Any]) -> dict[str, str]:
    return {a["name"]: a["journal"] for a in data["accounts"]}


def test_an_ended_gocardless_consent_is_renewed_and_completed_as_a_new_one_is(
    sandboxed: Web, bank: SandboxHandle
) -> None:
    admin = sandboxed.sign_in(ADMIN)
    linked = connect_gocardless(admin)
    ident = linked["id"]
    bank_of(bank.server).inject("expired")  # the bank's answer to an ended agreement
    ended = fetch(admin, ident)
    assert ended["state"] == "reauth_required", ended
    assert admin.get(f"{BASE}/{ident}").json()["state"] == "reauth_required"

    for email in (ACCOUNTANT, VIEWER, OUTSIDER):
        refused = renew(sandboxed.sign_in(email), ident)
        assert refused.status_code == 403, (email, refused.text)
    elsewhere = renew(admin, ident, company="Globex GmbH")  # not one of Globex's
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["code"] == "not_found"
    renewing = renew(admin, ident)
    assert renewing.status_code == 200, renewing.text
    data = renewing.json()
    assert set(data) == LINK_KEYS and data["renewal"] is True
    assert data["institution"] == "Nordwerk Bank"
    assert data["link"].startswith(f"{bank.url}/gocardless/")
    assert data["connection"]["id"] == ident
    assert data["connection"]["state"] == "reauth_required"  # until the consent is given
    stored = connection(sandboxed, ident)[0].credentials
    assert stored is not None
    secret = GoCardlessSecret.from_text(unseal(stored))
    assert secret.secret_key not in renewing.text and secret.secret_id not in renewing.text

    at_the_bank(data["link"])  # back to this server's return page by default
    done = send(admin, {"provider": "gocardless", "requisition": data["requisition"]})
    assert done.status_code == 200, done.text
    renewed = done.json()
    assert renewed["id"] == ident and renewed["state"] == "connected"
    assert renewed["warnings"] == [] and renewed["last_error"] is None
    assert journals(renewed) == journals(linked)
    assert set(journals(renewed)) == NORDWERK_ACCOUNTS
    again = fetch(admin, ident)  # the new consent's ids, the lines booked before: no twins
    assert again["state"] == "success" and again["new"] == 0, again
    assert again["duplicates"] > 0


def test_a_consent_close_to_its_end_is_renewed_while_the_connection_goes_on(
    sandboxed: Web, bank: SandboxHandle
) -> None:
    admin = sandboxed.sign_in(ADMIN)
    ident = connect_gocardless(admin)["id"]
    bad = renew(admin, ident, {"redirect": "ftp://books.example/back"})
    assert bad.status_code == 422 and "redirect" in bad.json()["error"]["message"]
    before = connection(sandboxed, ident)[0].credentials
    assert renew(admin, ident, {"colour": "red"}).status_code == 422
    assert connection(sandboxed, ident)[0].credentials == before  # nothing written

    own = renew(admin, ident, {"redirect": "https://books.example/back"},
                company="Acme Ltd")
    assert own.status_code == 200, own.text
    assert own.json()["connection"]["state"] == "connected"
    answer = httpx.get(own.json()["link"], follow_redirects=False, timeout=10)
    assert answer.headers["location"].startswith("https://books.example/back?ref=")
    meanwhile = fetch(admin, ident)  # the old consent still serves until completion
    assert meanwhile["state"] == "success", meanwhile
    done = send(admin, {"provider": "gocardless", "requisition": own.json()["reference"]})
    assert done.status_code == 200 and done.json()["state"] == "connected", done.text


def test_a_plaid_connection_waits_for_the_sign_in_then_is_back(
    sandboxed: Web, bank: SandboxHandle
) -> None:
    admin = sandboxed.sign_in(ADMIN)
    made, _ = connect_plaid(admin)
    ident = made["id"]
    plaid = PlaidBank.of(bank.server)
    plaid.require_login(required=True)
    assert fetch(admin, ident)["state"] == "reauth_required"

    waiting = renew(admin, ident)
    assert waiting.status_code == 200, waiting.text
    data = waiting.json()
    assert data["id"] == ident and data["state"] == "reauth_required"
    assert str(data["link_token"]).startswith("link-")
    assert set(data) == set(made) | {"link_token"}
    tokens = [item.access_token for item in plaid.items.values()]
    assert tokens and all(token not in waiting.text for token in tokens)
    refused = renew(admin, ident, {"redirect": "https://books.example/back"})
    assert refused.status_code == 422 and "not a field of Plaid" in refused.text

    plaid.require_login(required=False)
    back = renew(admin, ident)
    assert back.status_code == 200, back.text
    assert back.json()["state"] == "connected" and back.json()["link_token"] is None
    assert back.json()["next_refresh"] is not None
    assert fetch(admin, ident)["state"] == "success"


def test_a_simplefin_connection_is_connected_anew_never_renewed(
    web: Web, linked: ConnectionView
) -> None:
    admin = web.sign_in(ADMIN)
    refused = renew(admin, linked.id)
    assert refused.status_code == 409
    assert refused.json() == {"error": {
        "code": "conflict",
        "message": "A SimpleFIN connection is renewed by connecting the bank again."}}
    missing = renew(admin, linked.id + 1000)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
