"""``/api/v1/connections``: list, one, change, fetch, run log and disconnect, for every
role, in the command line's JSON shapes; runs go to the sandbox bank over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select, update

from booksync.app.connections import ConnectionView
from booksync.banking.models import Connection, ProviderAccount, SyncRun
from booksync.banking.states import ConnectionState
from booksync.db.base import utcnow
from booksync.db.engine import session_factory
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company
from booksync.sandbox import SandboxHandle
from booksync.users.tokens import create_token
from booksync.web.fetching import Fetches
from tests.helpers import ACCOUNT_KEYS, CONNECTION_KEYS
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.connected import connect_acme, connection_row

pytest_plugins = ("tests.web.bank_fixtures",)

SignIn = Callable[[str], Client]
BASE = "/api/v1/connections"
RUN_KEYS = {"connection", "run", "state", "fetched", "new", "duplicates", "pending", "updated",
            "reconciled", "reversed", "balance_difference", "error", "accounts"}
LOG_KEYS = RUN_KEYS | {"trigger", "started_at", "finished_at", "window_start", "window_end"}


def _headers(client: Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.csrf}


def _runs(web: Web) -> int:
    with session_factory(web.engine)() as session:
        return int(session.scalar(select(func.count()).select_from(SyncRun)) or 0)


def test_the_list_pages_with_a_cursor_in_the_shape_of_connection_list(
    web: Web, sign_in: SignIn, linked: ConnectionView, bank: SandboxHandle
) -> None:
    second = connect_acme(web, bank)
    client = sign_in(VIEWER)
    first_page = client.get(BASE, params={"limit": 1})
    assert first_page.status_code == 200
    body = first_page.json()
    assert [c["id"] for c in body["items"]] == [linked.id] and body["next"]
    (item,) = body["items"]
    assert set(item) == CONNECTION_KEYS and item["state"] == "connected"
    assert item["interval"] == "12h" and item["institution"] == linked.institution
    assert {frozenset(a) for a in item["accounts"]} == {frozenset(ACCOUNT_KEYS)}
    assert [a["journal"] for a in item["accounts"]] == [a.journal for a in linked.accounts]
    last = client.get(BASE, params={"limit": 1, "cursor": body["next"]}).json()
    assert [c["id"] for c in last["items"]] == [second.id] and last["next"] is None
    whole = client.get(BASE).json()
    assert [c["id"] for c in whole["items"]] == [linked.id, second.id] and whole["next"] is None
    bad = client.get(BASE, params={"cursor": "nonsense"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"


def test_the_outsider_never_sees_acmes_connections(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    client = sign_in(OUTSIDER)
    assert client.get(BASE).json() == {"items": [], "next": None}
    assert client.get(BASE, params={"company": "Acme Ltd"}).status_code == 404
    for method, path in (("GET", f"{BASE}/{linked.id}"), ("GET", f"{BASE}/{linked.id}/runs"),
                         ("POST", f"{BASE}/{linked.id}/fetch")):
        answer = client.request(method, path, headers=_headers(client))
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found"
        assert str(linked.institution) not in answer.text
    assert _runs(web) == 0


def test_one_connection_and_a_missing_one(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    client = sign_in(VIEWER)
    one = client.get(f"{BASE}/{linked.id}")
    assert one.status_code == 200 and set(one.json()) == CONNECTION_KEYS
    assert one.json()["id"] == linked.id
    missing = client.get(f"{BASE}/999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get(f"{BASE}/abc").status_code == 422
    assert web.client().get(BASE).status_code == 401


def test_only_an_admin_changes_settings(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    change = {"interval": "4h", "pending": False, "auto_reconcile": False}
    for role in (VIEWER, ACCOUNTANT):
        client = sign_in(role)
        answer = client.patch(f"{BASE}/{linked.id}", json=change, headers=_headers(client))
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert connection_row(web.engine, linked.id).interval_seconds == 12 * 3600
    admin = sign_in(ADMIN)
    answer = admin.patch(f"{BASE}/{linked.id}", json=change, headers=_headers(admin))
    assert answer.status_code == 200, answer.text
    assert answer.json()["interval"] == "4h" and answer.json()["auto_reconcile"] is False
    assert answer.json()["auto_sync"] is True  # left out: kept
    row = connection_row(web.engine, linked.id)
    assert (row.interval_seconds, row.include_pending, row.auto_reconcile, row.auto_sync) == (
        4 * 3600, False, False, True)
    for wrong, words in (({"interval": "5m"}, "at least 15 minutes"),
                         ({"colour": "blue"}, "colour"),
                         ({"accounts": {"ACT-none": "BNK1"}}, "has no account")):
        refused = admin.patch(f"{BASE}/{linked.id}", json=wrong, headers=_headers(admin))
        assert refused.status_code in (404, 422), wrong
        assert words in refused.json()["error"]["message"]
    assert connection_row(web.engine, linked.id).interval_seconds == 4 * 3600
    without_csrf = admin.patch(f"{BASE}/{linked.id}", json=change)
    assert without_csrf.status_code == 403


def test_patch_books_an_account_in_another_journal_of_its_currency(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    account = next(a for a in linked.accounts if a.currency == "USD")
    with session_factory(web.engine).begin() as session:
        company = session.get(Company, web.company.id)
        assert company is not None
        usd = create_bank_journal(session, company, "Dollars", "USD").code
        eur = create_bank_journal(session, company, "Euros").code
    admin = sign_in(ADMIN)
    wrong = admin.patch(f"{BASE}/{linked.id}", headers=_headers(admin),
                        json={"accounts": {account.provider_account_id: eur}})
    assert wrong.status_code == 422 and "is not in USD" in wrong.json()["error"]["message"]
    first, second = [a for a in linked.accounts if a.currency == "EUR"][:2]
    taken = admin.patch(f"{BASE}/{linked.id}", headers=_headers(admin),
                        json={"accounts": {first.provider_account_id: second.journal}})
    assert taken.status_code == 409
    assert f"already takes the lines of account {second.name!r}" in taken.json()["error"][
        "message"]
    moved = admin.patch(f"{BASE}/{linked.id}", headers=_headers(admin),
                        json={"accounts": {account.provider_account_id: usd}})
    assert moved.status_code == 200
    assert {a["provider_account_id"]: a["journal"] for a in moved.json()["accounts"]}[
        account.provider_account_id] == usd
    with session_factory(web.engine)() as session:
        assert session.scalar(select(ProviderAccount.journal_id).where(
            ProviderAccount.provider_account_id == account.provider_account_id)) is not None


def test_fetch_runs_now_and_answers_with_the_result(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    viewer = sign_in(VIEWER)
    assert viewer.post(f"{BASE}/{linked.id}/fetch", headers=_headers(viewer)).status_code == 403
    assert _runs(web) == 0
    client = sign_in(ACCOUNTANT)
    answer = client.post(f"{BASE}/{linked.id}/fetch", headers=_headers(client))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert set(result) == RUN_KEYS
    assert result["state"] == "success" and result["new"] > 0 and result["error"] is None
    assert result["accounts"] and sum(a["new"] for a in result["accounts"]) == result["new"]
    assert all(a["state"] == "success" for a in result["accounts"])
    with session_factory(web.engine)() as session:
        run = session.get(SyncRun, result["run"])
        assert run is not None and (run.state, run.new, run.fetched) == (
            "success", result["new"], result["fetched"])
    again = client.post(f"{BASE}/{linked.id}/fetch", headers=_headers(client)).json()
    assert again["state"] == "success" and again["new"] == 0
    assert again["duplicates"] > 0

    log = client.get(f"{BASE}/{linked.id}/runs", params={"limit": 1})
    assert log.status_code == 200
    (newest,) = log.json()["items"]
    assert set(newest) == LOG_KEYS and newest["run"] == again["run"]
    assert newest["trigger"] == "manual" and newest["window_start"]
    older = client.get(f"{BASE}/{linked.id}/runs",
                       params={"limit": 1, "cursor": log.json()["next"]}).json()
    assert [r["run"] for r in older["items"]] == [result["run"]] and older["next"] is None


def test_fetch_while_a_run_goes_is_a_conflict(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    registry = web.app.state.fetches = Fetches()
    job, _ = registry.claim(linked.id)  # a Fetch now of this process, still going
    client = sign_in(ADMIN)
    busy = client.post(f"{BASE}/{linked.id}/fetch", headers=_headers(client))
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "conflict"
    assert "in progress" in busy.json()["error"]["message"]
    job.finish({})
    with session_factory(web.engine).begin() as session:  # another process holds the lease
        session.execute(update(Connection).where(Connection.id == linked.id).values(
            claimed_by="worker:elsewhere", claimed_until=utcnow() + dt.timedelta(minutes=1)))
    elsewhere = client.post(f"{BASE}/{linked.id}/fetch", headers=_headers(client))
    assert elsewhere.status_code == 409
    assert "being synchronized by another run" in elsewhere.json()["error"]["message"]
    assert _runs(web) == 0


def test_a_bearer_token_fetches_without_csrf_and_delete_disconnects(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    with session_factory(web.engine).begin() as session:
        _, token = create_token(session, ACCOUNTANT, "script")
    bearer = web.client()
    auth = {"Authorization": f"Bearer {token}"}
    answer = bearer.post(f"{BASE}/{linked.id}/fetch", headers=auth)
    assert answer.status_code == 200 and answer.json()["state"] == "success"
    refused = bearer.delete(f"{BASE}/{linked.id}", headers=auth)
    assert refused.status_code == 403
    admin = sign_in(ADMIN)
    done = admin.delete(f"{BASE}/{linked.id}", headers=_headers(admin))
    assert done.status_code == 200
    assert done.json()["connection"]["state"] == "disconnected"
    assert set(done.json()) == {"connection", "warning"}
    row = connection_row(web.engine, linked.id)
    assert row.state == ConnectionState.DISCONNECTED and row.credentials is None
    after = bearer.post(f"{BASE}/{linked.id}/fetch", headers=auth)
    assert after.status_code == 409 and "disconnected" in after.json()["error"]["message"]
    change = admin.patch(f"{BASE}/{linked.id}", json={"interval": "4h"}, headers=_headers(admin))
    assert change.status_code == 422


def test_the_schema_describes_every_operation(web: Web) -> None:
    schema = web.client().get("/api/openapi.json").json()
    operations = {
        (method.upper(), path): op for path, item in schema["paths"].items()
        if path.startswith(BASE) for method, op in item.items()
    }
    ours = {
        ("GET", BASE), ("GET", f"{BASE}/{{connection_id}}"),
        ("PATCH", f"{BASE}/{{connection_id}}"), ("DELETE", f"{BASE}/{{connection_id}}"),
        ("POST", f"{BASE}/{{connection_id}}/fetch"), ("GET", f"{BASE}/{{connection_id}}/runs"),
    }
    assert ours <= set(operations)
    for key in ours:
        assert operations[key]["summary"] and "200" in operations[key]["responses"]
    fetch = operations[("POST", f"{BASE}/{{connection_id}}/fetch")]
    assert "409" in fetch["responses"]
    assert "RunResultOut" in str(fetch["responses"]["200"])
