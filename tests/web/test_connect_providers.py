"""**Connect** through GoCardless and Plaid on "Add a bank account", GoCardless's way
back from the bank, **Renew**, and ``POST /api/v1/connections`` for both providers.

The sandbox bank runs over real loopback HTTP and speaks both protocols; its
GoCardless consent page is fetched as a browser would follow its link, and its
redirect is followed back into the app.  Without the sandbox the server's own
keys come from its environment, here pointed at the same sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from booksync.app.sandbox_catalogue import seed_sandbox_protocols
from booksync.banking.institutions import upsert_institutions
from booksync.banking.models import Connection, Institution, ProviderAccount
from booksync.banking.secrets import unseal
from booksync.banking.states import ConnectionState
from booksync.db.engine import session_factory
from booksync.providers.base import Institution as ProviderInstitution
from booksync.providers.gocardless_http import clear_token_cache
from booksync.providers.gocardless_secret import GoCardlessSecret
from booksync.providers.plaid import PlaidProvider
from booksync.providers.plaid_http import PlaidKeys
from booksync.sandbox import SandboxHandle
from booksync.sandbox.plaid_bank import PlaidBank
from booksync.web.api.connecting import return_url
from tests.web.conftest import ACCOUNTANT, ADMIN, VIEWER, Client, Web

pytest_plugins = ("tests.web.bank_fixtures",)

NORDWERK_GC, NORDWERK_PLAID = "NORDWERKBANK_NWBKDEFF", "ins_nordwerk"
NORDWERK_ACCOUNTS = {"Geschäftskonto", "Tagesgeld"}
GC_ENV = ("BOOKSYNC_GOCARDLESS_SECRET_ID", "BOOKSYNC_GOCARDLESS_SECRET_KEY",
          "BOOKSYNC_GOCARDLESS_URL")
PLAID_ENV = ("BOOKSYNC_PLAID_CLIENT_ID", "BOOKSYNC_PLAID_SECRET", "BOOKSYNC_PLAID_URL")
BUTTON = re.compile(r'<a class="button primary" href="([^"]+)" rel="noreferrer">Continue to ')


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No provider keys from the machine's environment, and no tokens kept between tests."""
    for name in GC_ENV + PLAID_ENV:
        monkeypatch.delenv(name, raising=False)
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def served(sandboxed: Web) -> Web:
    """The ``--sandbox`` app with the sandbox's banks under every protocol it speaks,
    as the app lists them once it seeds them all at start (idempotent here)."""
    with session_factory(sandboxed.engine).begin() as session:
        seed_sandbox_protocols(session)
    return sandboxed


def post_form(client: Client, url: str, **fields: str) -> httpx.Response:
    answer: httpx.Response = client.post(url, data={**fields, "csrf": client.csrf})
    return answer


def send(client: Client, body: dict[str, Any], url: str = "/api/v1/connections"
         ) -> httpx.Response:
    answer: httpx.Response = client.post(url, json=body,
                                         headers={"X-CSRF-Token": client.csrf})
    return answer


def connection(web: Web, ident: int) -> tuple[Connection, list[ProviderAccount]]:
    """The connection and its accounts, read back (detached)."""
    with session_factory(web.engine)() as session:
        found = session.get(Connection, ident)
        assert found is not None
        accounts = list(found.accounts)
        for row in (found, *accounts):
            session.expunge(row)
        return found, accounts


def set_state(web: Web, ident: int, state: ConnectionState) -> None:
    with session_factory(web.engine).begin() as session:
        found = session.get(Connection, ident)
        assert found is not None
        found.state = state


def consent_link(client: Client, location: str) -> str:
    """The bank's link on the consent page ``location`` names."""
    assert re.fullmatch(r"/connections/\d+/consent", location), location
    page = client.get(location)
    assert page.status_code == 200, page.text
    found = BUTTON.search(page.text)
    assert found, "a button to the bank's consent page"
    return found.group(1).replace("&amp;", "&")


def at_the_bank(link: str, decision: str | None = None) -> str:
    """Follow the link as the browser does; the bank's redirect back, made relative."""
    answer = httpx.get(link, params={"decision": decision} if decision else None,
                       follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    assert back.startswith("https://testserver/connections/gocardless/return?"), back
    return back.removeprefix("https://testserver")


def connect_gocardless(client: Client, institution: str = NORDWERK_GC) -> tuple[int, str]:
    """**Connect** a GoCardless row, give consent: the connection and the way back."""
    started = post_form(client, f"/institutions/gocardless/{institution}")
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    ident = int(location.split("/")[2])
    return ident, at_the_bank(consent_link(client, location))


# -- the catalogue -------------------------------------------------------------------


def test_each_sandbox_bank_is_listed_under_each_protocol_with_its_connect(served: Web) -> None:
    admin = served.sign_in(ADMIN).get("/institutions").text
    rows = re.findall(r'data-institution="([^"]+)" data-provider="([^"]+)">\s*<td>([^<]+)', admin)
    assert [(p, n) for _, p, n in rows if n == "Nordwerk Bank"] == [
        ("simplefin", "Nordwerk Bank"), ("gocardless", "Nordwerk Bank"),
        ("plaid", "Nordwerk Bank")]
    assert len(rows) == 1 + 3 * 3  # SimpleFIN Bridge, then three banks thrice
    assert 'action="/institutions/sandbox/nordwerk"' in admin
    assert f'action="/institutions/gocardless/{NORDWERK_GC}"' in admin
    assert f'action="/institutions/plaid/{NORDWERK_PLAID}"' in admin
    for via in ("via SimpleFIN", "via GoCardless", "via Plaid"):
        assert admin.count(via) >= 3, via
    assert " disabled" not in admin  # the sandbox needs no keys of the server's
    viewer = served.sign_in(VIEWER).get("/institutions").text
    assert "via GoCardless" not in viewer and "/institutions/gocardless/" not in viewer


def test_without_keys_the_page_says_so_beside_a_disabled_connect(
    web: Web, session: Session
) -> None:
    upsert_institutions(session, [
        ProviderInstitution("SOMEBANK_SOMEDEFF", "Some Bank", "SOMEDEFF", "DE", "gocardless"),
        ProviderInstitution("ins_42", "Other Bank", None, "US", "plaid"),
    ])
    session.commit()
    admin = web.sign_in(ADMIN)
    page = admin.get("/institutions").text
    assert "set BOOKSYNC_GOCARDLESS_SECRET_ID and BOOKSYNC_GOCARDLESS_SECRET_KEY" in page
    assert "set BOOKSYNC_PLAID_CLIENT_ID and BOOKSYNC_PLAID_SECRET" in page
    assert page.count('class="primary" disabled>Connect</button>') == 2
    refused = post_form(admin, "/institutions/gocardless/SOMEBANK_SOMEDEFF")
    assert refused.status_code == 422
    assert "no GoCardless keys" in refused.text and "Traceback" not in refused.text
    form = admin.get("/institutions/plaid").text
    assert "no Plaid keys" in form and 'class="primary" disabled>Connect' in form
    tried = post_form(admin, "/institutions/plaid", public_token="public-sandbox-abc123")
    assert tried.status_code == 422 and "no Plaid keys" in tried.text
    assert "public-sandbox-abc123" not in tried.text
    with session_factory(web.engine)() as check:
        assert check.scalar(select(Connection.id)) is None


# -- GoCardless ----------------------------------------------------------------------


def test_gocardless_connects_through_the_banks_consent_page_and_back(
    served: Web, bank: SandboxHandle
) -> None:
    admin = served.sign_in(ADMIN)
    assert admin.post(f"/institutions/gocardless/{NORDWERK_GC}").status_code == 403  # no CSRF
    ident, back = connect_gocardless(admin)
    waiting, accounts = connection(served, ident)
    assert waiting.provider == "gocardless" and waiting.state == ConnectionState.DISCONNECTED
    assert accounts == [] and waiting.credentials is not None
    secret = GoCardlessSecret.from_text(unseal(waiting.credentials))
    assert secret.url == f"{bank.url}/gocardless"
    assert "ref=booksync-" in back

    done = admin.get(back)
    assert done.status_code == 303
    assert done.headers["location"] == f"/connections/{ident}?done=linked"
    page = admin.get(done.headers["location"]).text
    assert "Connected 2 accounts." in page
    for name in NORDWERK_ACCOUNTS:
        assert name in page
    linked, accounts = connection(served, ident)
    assert linked.state == ConnectionState.CONNECTED and linked.consent_expires_at is not None
    assert {a.name for a in accounts} == NORDWERK_ACCOUNTS
    assert all(a.journal_id is not None for a in accounts)
    assert linked.institution_id is not None
    with session_factory(served.engine)() as session:  # the catalogue's row, not a copy
        assert session.scalar(select(Institution.provider_institution_id).where(
            Institution.id == linked.institution_id)) == NORDWERK_GC
    for shown in (page, back, done.headers["location"]):
        assert secret.secret_key not in shown and secret.secret_id not in shown
    again = admin.get(back)  # nothing waits for that reference any more
    assert again.status_code == 404 and "waits for this answer" in again.text


def test_the_way_back_completes_only_what_the_same_company_started(served: Web) -> None:
    admin = served.sign_in(ADMIN)
    ident, back = connect_gocardless(admin)
    elsewhere = admin.get(back + "&company=Globex GmbH")
    assert elsewhere.status_code == 404
    assert connection(served, ident)[0].state == ConnectionState.DISCONNECTED
    for email in (ACCOUNTANT, VIEWER):
        assert served.sign_in(email).get(back).status_code == 403
    assert admin.get("/connections/gocardless/return?ref=booksync-unknown").status_code == 404
    assert admin.get("/connections/gocardless/return").status_code == 422
    assert admin.get(back).headers["location"] == f"/connections/{ident}?done=linked"


def test_a_refused_consent_is_said_on_the_connection_and_an_unfinished_one_waits(
    served: Web,
) -> None:
    admin = served.sign_in(ADMIN)
    started = post_form(admin, f"/institutions/gocardless/{NORDWERK_GC}")
    location = started.headers["location"]
    ident = int(location.split("/")[2])
    link = consent_link(admin, location)
    waiting, _ = connection(served, ident)
    assert waiting.credentials is not None
    reference = GoCardlessSecret.from_text(unseal(waiting.credentials)).pending
    assert reference is not None
    early = admin.get(f"/connections/gocardless/return?ref={reference.reference}")
    assert early.headers["location"] == f"/connections/{ident}?done=unfinished"
    assert "has not given access yet" in admin.get(early.headers["location"]).text
    assert connection(served, ident)[0].credentials is not None  # still waiting

    back = at_the_bank(link, decision="reject")
    refused = admin.get(back)
    assert refused.headers["location"] == f"/connections/{ident}?done=refused"
    page = admin.get(refused.headers["location"]).text
    assert "The bank did not give access" in page
    assert "Last error" in page and "RJ" in page
    gone, accounts = connection(served, ident)
    assert gone.credentials is None and accounts == []
    assert admin.get(f"/connections/{ident}/consent").status_code == 409


def test_without_the_sandbox_gocardless_uses_the_servers_secrets(
    web: Web, session: Session, bank: SandboxHandle, outbound: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_sandbox_protocols(session)
    session.commit()
    monkeypatch.setenv("BOOKSYNC_GOCARDLESS_SECRET_ID", "server-secret-id-7Qw")
    monkeypatch.setenv("BOOKSYNC_GOCARDLESS_SECRET_KEY", "server-secret-key-Zr4+")
    monkeypatch.setenv("BOOKSYNC_GOCARDLESS_URL", f"{bank.url}/gocardless")
    admin = web.sign_in(ADMIN)
    ident, back = connect_gocardless(admin)
    stored = connection(web, ident)[0].credentials
    assert stored is not None
    assert GoCardlessSecret.from_text(unseal(stored)).secret_id == "server-secret-id-7Qw"
    done = admin.get(back)
    assert done.headers["location"] == f"/connections/{ident}?done=linked"
    page = admin.get(done.headers["location"]).text
    assert "Connected 2 accounts." in page and "server-secret-key-Zr4+" not in page


# -- Plaid ---------------------------------------------------------------------------


def test_plaid_connects_a_sandbox_bank_in_one_click(served: Web) -> None:
    admin = served.sign_in(ADMIN)
    done = post_form(admin, f"/institutions/plaid/{NORDWERK_PLAID}")
    assert done.status_code == 303
    ident = int(done.headers["location"].rsplit("/", 1)[1])
    linked, accounts = connection(served, ident)
    assert linked.provider == "plaid" and linked.state == ConnectionState.CONNECTED
    assert len(accounts) == 2 and all(a.journal_id is not None for a in accounts)
    with session_factory(served.engine)() as session:  # the catalogue's row, not a copy
        assert session.scalar(select(Institution.provider_institution_id).where(
            Institution.id == linked.institution_id)) == NORDWERK_PLAID
    page = admin.get(done.headers["location"]).text
    assert "<h1>Nordwerk Bank</h1>" in page
    for account in accounts:
        assert account.name in page
    assert post_form(admin, "/institutions/plaid/atlantis").status_code == 404


def test_plaid_with_a_public_token_uses_the_servers_keys_and_never_shows_it(
    web: Web, bank: SandboxHandle, outbound: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = PlaidKeys("server-client-4Kx", "server-plaid-secret-9Lp", f"{bank.url}/plaid")
    monkeypatch.setenv("BOOKSYNC_PLAID_CLIENT_ID", keys.client_id)
    monkeypatch.setenv("BOOKSYNC_PLAID_SECRET", keys.secret)
    monkeypatch.setenv("BOOKSYNC_PLAID_URL", keys.base_url)
    with PlaidProvider(keys) as plaid:
        token = plaid.sandbox_public_token(NORDWERK_PLAID)  # what Plaid Link hands back
    admin = web.sign_in(ADMIN)
    form = admin.get("/institutions/plaid")
    assert "Public token" in form.text and " disabled" not in form.text
    done = post_form(admin, "/institutions/plaid", public_token=token)
    assert done.status_code == 303, done.text
    ident = int(done.headers["location"].rsplit("/", 1)[1])
    assert len(connection(web, ident)[1]) == 2
    again = post_form(admin, "/institutions/plaid", public_token=token)  # used once only
    assert again.status_code >= 400 and 'class="error"' in again.text
    for answer in (done, again, admin.get(done.headers["location"])):
        assert token not in answer.text and keys.secret not in answer.text
    assert post_form(admin, "/institutions/plaid", public_token=" ").status_code == 422


# -- Renew ---------------------------------------------------------------------------


def test_renew_gocardless_asks_the_bank_again_and_keeps_the_journals(served: Web) -> None:
    admin = served.sign_in(ADMIN)
    ident, back = connect_gocardless(admin)
    admin.get(back)
    journals = {a.journal_id for a in connection(served, ident)[1]}
    assert "Renew" not in admin.get(f"/connections/{ident}").text  # connected: no need
    set_state(served, ident, ConnectionState.REAUTH_REQUIRED)
    page = admin.get(f"/connections/{ident}").text
    assert f'action="/connections/{ident}/renew"' in page and ">Renew</button>" in page
    accountant = served.sign_in(ACCOUNTANT)
    assert ">Renew</button>" not in accountant.get(f"/connections/{ident}").text
    assert post_form(accountant, f"/connections/{ident}/renew").status_code == 403

    renewing = post_form(admin, f"/connections/{ident}/renew")
    assert renewing.status_code == 303
    assert "needs your consent again" in admin.get(renewing.headers["location"]).text
    done = admin.get(at_the_bank(consent_link(admin, renewing.headers["location"])))
    assert done.headers["location"] == f"/connections/{ident}?done=renewed"
    assert "Renewed: 2 accounts synchronized as before" in admin.get(
        done.headers["location"]).text
    renewed, accounts = connection(served, ident)
    assert renewed.state == ConnectionState.CONNECTED
    assert {a.journal_id for a in accounts} == journals


def test_renew_plaid_waits_for_the_sign_in_then_puts_the_connection_back(
    served: Web, bank: SandboxHandle
) -> None:
    admin = served.sign_in(ADMIN)
    done = post_form(admin, f"/institutions/plaid/{NORDWERK_PLAID}")
    ident = int(done.headers["location"].rsplit("/", 1)[1])
    PlaidBank.of(bank.server).require_login(required=True)
    set_state(served, ident, ConnectionState.REAUTH_REQUIRED)
    assert ">Renew</button>" in admin.get(f"/connections/{ident}").text
    waiting = post_form(admin, f"/connections/{ident}/renew")
    assert waiting.headers["location"] == f"/connections/{ident}?done=sign-in"
    page = admin.get(waiting.headers["location"]).text
    assert "Plaid still needs the account holder to sign in again" in page
    assert "link-" not in page  # the update-mode link token is not shown
    assert connection(served, ident)[0].state == ConnectionState.REAUTH_REQUIRED
    PlaidBank.of(bank.server).require_login(required=False)
    back = post_form(admin, f"/connections/{ident}/renew")
    assert back.headers["location"] == f"/connections/{ident}?done=renewed"
    assert connection(served, ident)[0].state == ConnectionState.CONNECTED


def test_a_simplefin_connection_is_not_renewed_but_connected_again(
    served: Web, linked: Any
) -> None:
    admin = served.sign_in(ADMIN)
    set_state(served, linked.id, ConnectionState.REAUTH_REQUIRED)
    assert ">Renew</button>" not in admin.get(f"/connections/{linked.id}").text
    refused = post_form(admin, f"/connections/{linked.id}/renew")
    assert refused.status_code == 409 and "connecting the bank again" in refused.text


# -- the API ---------------------------------------------------------------------------


def test_the_api_connects_through_plaid_and_gocardless(served: Web, bank: SandboxHandle) -> None:
    admin = served.sign_in(ADMIN)
    plaid = send(admin, {"provider": "plaid", "sandbox_institution": "Nordwerk Bank"})
    assert plaid.status_code == 201, plaid.text
    assert plaid.json()["provider"] == "plaid" and len(plaid.json()["accounts"]) == 2

    started = send(admin, {"provider": "gocardless", "institution": NORDWERK_GC})
    assert started.status_code == 201, started.text
    data = started.json()
    assert data["connection"]["state"] == "disconnected" and data["renewal"] is False
    assert data["link"].startswith(f"{bank.url}/gocardless/")
    assert started.headers["location"] == f"/api/v1/connections/{data['connection']['id']}"
    at_the_bank(data["link"])
    done = send(admin, {"provider": "gocardless", "requisition": data["requisition"]})
    assert done.status_code == 200, done.text
    linked = done.json()
    assert linked["state"] == "connected" and linked["warnings"] == []
    assert {a["name"] for a in linked["accounts"]} == NORDWERK_ACCOUNTS
    stored = connection(served, linked["id"])[0].credentials
    assert stored is not None
    secret = GoCardlessSecret.from_text(unseal(stored))
    for answer in (started, done):
        assert secret.secret_key not in answer.text and secret.secret_id not in answer.text

    own = send(admin, {"provider": "gocardless", "institution": NORDWERK_GC,
                       "redirect": "https://books.example/back"})
    assert own.status_code == 201
    assert httpx.get(own.json()["link"], timeout=10).headers["location"].startswith(
        "https://books.example/back?ref=")


@pytest.mark.parametrize("body, words", [
    ({"provider": "gocardless"}, "either institution"),
    ({"provider": "gocardless", "institution": "X", "requisition": "Y"}, "either institution"),
    ({"provider": "gocardless", "setup_token": "abc"}, "not a field of GoCardless"),
    ({"provider": "plaid"}, "either public_token"),
    ({"provider": "plaid", "institution": "X"}, "not a field of Plaid"),
    ({"provider": "plaid", "public_token": "abc"}, "no Plaid keys"),
    ({"provider": "gocardless", "institution": "SOMEBANK_X"}, "no GoCardless keys"),
    ({"provider": "simplefin", "public_token": "abc"}, "not a field of SimpleFIN"),
    ({"provider": "dropbox", "setup_token": "abc"}, "`gocardless` or `plaid`"),
])
def test_the_api_refuses_what_a_provider_does_not_take(
    web: Web, body: dict[str, Any], words: str
) -> None:
    answer = send(web.sign_in(ADMIN), body)
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["error"]["message"]
    assert "abc" not in answer.text
    with session_factory(web.engine)() as session:
        assert session.scalar(select(Connection.id)) is None


@pytest.mark.parametrize("scheme, host, query, expected", [
    ("http", "books.example", b"", "https://books.example/connections/gocardless/return"),
    ("https", "books.example:8443", b"company=Acme+Ltd",
     "https://books.example:8443/connections/gocardless/return?company=Acme+Ltd"),
    ("http", "127.0.0.1:8000", b"", "http://127.0.0.1:8000/connections/gocardless/return"),
])
def test_the_way_back_is_https_but_on_a_loopback_address(
    scheme: str, host: str, query: bytes, expected: str
) -> None:
    request = Request({"type": "http", "scheme": scheme, "method": "POST", "path": "/",
                       "root_path": "", "query_string": query,
                       "headers": [(b"host", host.encode())], "server": None})
    assert return_url(request) == expected
