"""The Online Synchronization pages: the list, a connection's page, its settings, Fetch
now with its live progress (server-sent events), the run log and Disconnect.

Runs go to the sandbox bank over real loopback HTTP, on SQLite and PostgreSQL;
what the pages say is checked against the database after each POST.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from booksync.app.connections import ConnectionView, connections, view
from booksync.app.context import open_books
from booksync.banking.connections import create_connection, disconnect, list_connections
from booksync.banking.models import Connection, ProviderAccount, SyncRun
from booksync.banking.states import ConnectionState, RunCounts, RunState
from booksync.db.base import utcnow
from booksync.db.engine import session_factory
from booksync.ledger.journals import create_bank_journal
from booksync.ledger.models import Company, Journal
from booksync.providers.base import Credentials, Window
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.sandbox import SandboxHandle
from booksync.sync.run import RunProgress
from booksync.web.fetching import Fetches
from tests.web.conftest import ACCOUNTANT, ADMIN, OUTSIDER, VIEWER, Client, Web
from tests.web.connected import connection_row, parse_events

pytest_plugins = ("tests.web.bank_fixtures",)

SignIn = Callable[[str], Client]


def _registry(web: Web) -> Fetches:
    found = getattr(web.app.state, "fetches", None)
    if not isinstance(found, Fetches):
        found = Fetches()
        web.app.state.fetches = found
    return found


def _set(web: Web, ident: int, **values: object) -> None:
    with session_factory(web.engine).begin() as session:
        session.execute(update(Connection).where(Connection.id == ident).values(**values))


# -- the list ---------------------------------------------------------------------------


def test_the_list_shows_each_connection_with_its_state_accounts_and_schedule(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    page = sign_in(VIEWER).get("/connections")
    assert page.status_code == 200
    for label in ("Online Synchronization", "State", "Last refresh", "Next refresh", "Interval"):
        assert label in page.text
    assert '<span class="badge connected">Connected</span>' in page.text
    assert f'href="/connections/{linked.id}"' in page.text
    assert linked.institution and linked.institution in page.text
    for account in linked.accounts:
        assert f"{account.name} <span class=\"muted\">({account.currency})</span> → " \
               f"{account.journal}" in page.text
    assert "12h" in page.text and "never" in page.text and "due now" in page.text


@pytest.mark.parametrize(("state", "label"), [
    (ConnectionState.ERROR, "Error"),
    (ConnectionState.DISCONNECTED, "Not connected"),
    (ConnectionState.REAUTH_REQUIRED, "Re-authorization needed"),
])
def test_each_state_is_shown_in_words(
    web: Web, sign_in: SignIn, linked: ConnectionView, state: ConnectionState, label: str
) -> None:
    _set(web, linked.id, state=state, last_error="the bank said no")
    page = sign_in(VIEWER).get("/connections")
    assert f'<span class="badge {state.value}">{label}</span>' in page.text
    assert "Connected<" not in page.text
    assert "the bank said no" in page.text


def test_consent_ending_within_two_weeks_is_warned_of(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    client = sign_in(VIEWER)
    _set(web, linked.id, consent_expires_at=utcnow() + dt.timedelta(days=20))
    assert "Consent expires" not in client.get("/connections").text
    _set(web, linked.id, consent_expires_at=utcnow() + dt.timedelta(days=5, hours=2))
    assert "Consent expires in 5 days." in client.get("/connections").text
    assert "Consent expires in 5 days." in client.get(f"/connections/{linked.id}").text


def _mixed(web: Web) -> dict[str, int]:
    """Acme's connections in every shape the list draws: one with
    no account (no institution: its label shows), one disconnected, one awaiting
    re-authorization (consent ending, two accounts, manual only), one in error whose
    account lost its journal but has a balance; and one of Globex."""
    made: dict[str, int] = {}
    with session_factory(web.engine).begin() as session:
        acme, globex = session.get(Company, web.company.id), session.get(Company, web.other.id)
        assert acme is not None and globex is not None

        def add(name: str, company: Company, *accounts: RemoteAccount) -> Connection:
            keys = Credentials("simplefin", f"https://k@{name}.example/simplefin", f"{name} host")
            made[name] = create_connection(session, company, keys, list(accounts)).id
            return session.get_one(Connection, made[name])

        add("bare", acme)
        disconnect(add("gone", acme, RemoteAccount("g1", "Gone current", "EUR",
                                                   institution="Gone Bank")))
        renew = add("renew", acme,
                    RemoteAccount("r2", "Renew savings", "USD", institution="Renew Bank"),
                    RemoteAccount("r1", "Renew current", "EUR", institution="Renew Bank"))
        renew.state, renew.last_error = ConnectionState.REAUTH_REQUIRED, "consent renewal needed"
        renew.consent_expires_at = utcnow() + dt.timedelta(days=5, hours=2)
        renew.auto_sync, renew.interval_seconds = False, 1800
        loose = add("loose", acme, RemoteAccount("l1", "Loose account", "EUR"))
        loose.state, loose.last_error = ConnectionState.ERROR, "the bank timed out"
        loose.last_refresh = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
        (account,) = loose.accounts
        account.journal_id, account.balance = None, 123456
        account.balance_date, account.last_sync = dt.date(2026, 3, 1), loose.last_refresh
        add("globex", globex, RemoteAccount("o1", "Globex current", "EUR",
                                            institution="Globex Bank"))
    return made


def test_the_list_is_what_view_gives_for_each_connection_of_the_company(web: Web) -> None:
    made = _mixed(web)
    listed = {}
    for name in ("Acme Ltd", "Globex GmbH"):
        with open_books(web.engine, name) as books:
            listed[name] = connections(books)
            assert listed[name] == tuple(view(c) for c in list_connections(books.session,
                                                                           books.company))
    assert [c.id for c in listed["Globex GmbH"]] == [made.pop("globex")]
    assert [c.id for c in listed["Acme Ltd"]] == sorted(made.values())
    by_id = {c.id: c for c in listed["Acme Ltd"]}
    assert by_id[made["bare"]].accounts == () and by_id[made["bare"]].institution == "bare host"
    assert [a.name for a in by_id[made["renew"]].accounts] == ["Renew savings",
                                                               "Renew current"]
    (loose,) = by_id[made["loose"]].accounts
    assert loose.journal is None and loose.balance == Decimal("1234.56")
    assert {c.state for c in listed["Acme Ltd"]} == set(ConnectionState)
    with open_books(web.engine, "Acme Ltd") as books:  # what the session holds is read too
        books.session.get_one(Connection, made["bare"]).label = "renamed host"
        assert connections(books)[0].institution == "renamed host"


def test_the_list_draws_each_shape_of_connection(web: Web, sign_in: SignIn) -> None:
    made = _mixed(web)
    page = sign_in(VIEWER).get("/connections").text
    rows = {int(row.split('"')[0]): row for row in page.split('<tr data-connection="')[1:]}
    assert list(rows) == sorted(v for k, v in made.items() if k != "globex")
    assert "Globex" not in page
    bare, gone, renew, loose = (rows[made[k]] for k in ("bare", "gone", "renew", "loose"))
    assert ">bare host</a>" in bare and '<span class="muted">none</span>' in bare
    assert '<span class="badge connected">Connected</span>' in bare and "due now" in bare
    assert '<span class="badge disconnected">Not connected</span>' in gone
    assert "Gone current" in gone and "<td>never</td>" in gone
    assert '<span class="badge reauth_required">Re-authorization needed</span>' in renew
    assert '<div class="warning">Consent expires in 5 days.</div>' in renew
    assert '<div class="error">consent renewal needed</div>' in renew
    assert "after renewal" in renew and '30m <span class="muted">(auto-sync off)</span>' in renew
    assert renew.index("Renew savings") < renew.index("Renew current")
    assert 'Loose account <span class="muted">(EUR)</span> → no journal' in loose
    assert '<span class="badge error">Error</span>' in loose and "2026-03-02 08:30 UTC" in loose
    assert '<div class="error">the bank timed out</div>' in loose
    assert "Consent expires" not in bare + gone + loose


def test_the_outsider_sees_no_connection_of_acme(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    client = sign_in(OUTSIDER)
    page = client.get("/connections")
    assert page.status_code == 200 and "No bank is connected yet." in page.text
    assert linked.institution not in page.text
    for path in (f"/connections/{linked.id}", f"/connections/{linked.id}/events",
                 "/connections?company=Acme Ltd"):
        assert client.get(path).status_code == 404, path
    for action in ("fetch", "settings", "disconnect"):
        answer = client.post(f"/connections/{linked.id}/{action}",
                             data={"csrf": client.csrf, "interval": "4h", "confirm": "yes"})
        assert answer.status_code in (403, 404), action  # settings/disconnect need an admin
    assert connection_row(web.engine, linked.id).state == ConnectionState.CONNECTED


def test_pages_need_a_signed_in_user(web: Web) -> None:
    answer = web.client().get("/connections")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


# -- a connection's page and its settings -----------------------------------------------


def test_a_viewer_reads_the_page_but_gets_no_fetch_now_settings_or_disconnect(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    client = sign_in(VIEWER)
    page = client.get(f"/connections/{linked.id}")
    assert page.status_code == 200
    assert "Fetch now" not in page.text
    assert "Save settings" not in page.text and "Disconnect</button>" not in page.text
    assert "<fieldset disabled>" in page.text
    assert "Run log" in page.text and "No run yet." in page.text
    for action, data in (("fetch", {}), ("settings", {"interval": "4h"}),
                         ("disconnect", {"confirm": "yes"})):
        answer = client.post(f"/connections/{linked.id}/{action}",
                             data={"csrf": client.csrf, **data})
        assert answer.status_code == 403, action
    with session_factory(web.engine)() as session:
        assert session.scalar(select(SyncRun.id)) is None


def test_only_an_admin_changes_the_settings(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    form = {"interval": "4h", "auto_sync": "on"}  # pending and auto-reconcile unticked
    accountant = sign_in(ACCOUNTANT)
    page = accountant.get(f"/connections/{linked.id}")
    assert "Fetch now" in page.text and "Save settings" not in page.text
    refused = accountant.post(f"/connections/{linked.id}/settings",
                              data={"csrf": accountant.csrf, **form})
    assert refused.status_code == 403
    assert connection_row(web.engine, linked.id).interval_seconds == 12 * 3600

    admin = sign_in(ADMIN)
    page = admin.get(f"/connections/{linked.id}")
    for label in ("Save settings", "4 h", "12 h", "daily", "Auto-sync", "Pending transactions",
                  "Auto-reconcile", "Disconnect"):
        assert label in page.text, label
    saved = admin.post(f"/connections/{linked.id}/settings", data={"csrf": admin.csrf, **form})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/connections/{linked.id}?done=saved"
    row = connection_row(web.engine, linked.id)
    assert (row.interval_seconds, row.auto_sync, row.include_pending, row.auto_reconcile) == (
        4 * 3600, True, False, False)
    after = admin.get(saved.headers["location"])
    assert "Settings saved." in after.text
    assert '<option value="4h" selected>4 h</option>' in after.text

    bad = admin.post(f"/connections/{linked.id}/settings",
                     data={"csrf": admin.csrf, "interval": "5m"})
    assert bad.status_code == 422 and "at least 15 minutes" in bad.text
    assert connection_row(web.engine, linked.id).interval_seconds == 4 * 3600


def test_an_admin_books_an_account_in_another_journal_until_it_has_lines(
    web: Web, sign_in: SignIn, linked: ConnectionView, bank: SandboxHandle
) -> None:
    account = next(a for a in linked.accounts if a.currency == "EUR")
    with session_factory(web.engine).begin() as session:
        company = session.get(Company, web.company.id)
        assert company is not None
        spare = create_bank_journal(session, company, "Spare EUR").code
    admin = sign_in(ADMIN)
    form = {"csrf": admin.csrf, "interval": "12h", "auto_sync": "on", "pending": "on",
            "auto_reconcile": "on", "account": [account.provider_account_id],
            "journal": [spare]}
    page = admin.get(f"/connections/{linked.id}")
    assert f'<option value="{spare}">{spare}</option>' in page.text
    other = next(a for a in linked.accounts if a.currency == "EUR" and a is not account)
    assert f'<option value="{other.journal}">' not in page.text.split(
        f'aria-label="Journal of {account.name}"')[1].split("</select>")[0]
    assert admin.post(f"/connections/{linked.id}/settings", data=form).status_code == 303

    def journal_of() -> str:
        with session_factory(web.engine)() as session:
            return str(session.scalar(
                select(Journal.code).join(ProviderAccount, ProviderAccount.journal_id == Journal.id)
                .where(ProviderAccount.provider_account_id == account.provider_account_id)))

    assert journal_of() == spare
    accountant = sign_in(ACCOUNTANT)
    assert accountant.post(f"/connections/{linked.id}/fetch",
                           data={"csrf": accountant.csrf}).status_code == 303
    parse_events(accountant.get(f"/connections/{linked.id}/events").text)
    form["journal"] = [account.journal or ""]
    refused = admin.post(f"/connections/{linked.id}/settings", data=form)
    assert refused.status_code == 409 and "its lines stay there" in refused.text
    assert journal_of() == spare


# -- Fetch now ----------------------------------------------------------------------------


def test_fetch_now_streams_the_window_and_counts_then_the_result(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    client = sign_in(ACCOUNTANT)
    started = client.post(f"/connections/{linked.id}/fetch",
                          data={"csrf": client.csrf, "next": "https://elsewhere.example/"})
    assert started.status_code == 303
    assert started.headers["location"] == f"/connections/{linked.id}"
    with client.stream("GET", f"/connections/{linked.id}/events") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        text = "".join(answer.iter_text())
    stream = parse_events(text)
    names = [name for name, _ in stream.events]
    assert names[-1] == "result" and names.count("result") == 1
    progress = stream.named("progress")
    assert progress[0]["phase"] == "fetching"
    assert progress[0]["fetched"] == 0 and progress[0]["run"] > 0
    window = (progress[0]["window_start"], progress[0]["window_end"])
    assert all((p["window_start"], p["window_end"]) == window for p in progress)
    booked = [p for p in progress if p["phase"] == "booking" and p["account"]]
    assert len(booked) == len(linked.accounts)
    assert [p["new"] for p in booked] == sorted(p["new"] for p in booked)  # they add up
    (result,) = stream.named("result")
    assert result["state"] == "success" and result["error"] is None
    assert result["new"] > 0 and result["new"] == booked[-1]["new"]
    assert result["fetched"] == booked[-1]["fetched"] > 0
    with session_factory(web.engine)() as session:
        run = session.get(SyncRun, result["run"])
        assert run is not None and run.state == RunState.SUCCESS
        assert (run.new, run.fetched, str(run.window_start)) == (
            result["new"], result["fetched"], window[0])
    page = client.get(f"/connections/{linked.id}")
    assert f'<tr data-run="{result["run"]}">' in page.text
    assert f'<td class="num">{result["new"]}</td>' in page.text
    assert "success" in page.text and window[0] in page.text


def test_a_failed_run_ends_the_stream_with_its_error(
    web: Web, sign_in: SignIn, linked: ConnectionView, bank: SandboxHandle
) -> None:
    bank.inject("revoke")
    client = sign_in(ADMIN)
    answer = client.post(f"/connections/{linked.id}/fetch", data={"csrf": client.csrf},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 202
    assert answer.json() == {"connection": linked.id, "started": True,
                             "events": f"/connections/{linked.id}/events"}
    (result,) = parse_events(client.get(answer.json()["events"]).text).named("result")
    assert result["state"] == "reauth_required" and result["new"] == 0 and result["error"]
    assert connection_row(web.engine, linked.id).state == ConnectionState.REAUTH_REQUIRED
    page = client.get(f"/connections/{linked.id}")
    assert "Re-authorization needed" in page.text and "reauth required" in page.text


def test_a_second_click_while_running_attaches_to_the_same_run(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    registry = _registry(web)
    job, new = registry.claim(linked.id)  # a run of this process, still going
    assert new
    client = sign_in(ACCOUNTANT)
    answer = client.post(f"/connections/{linked.id}/fetch", data={"csrf": client.csrf},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 202 and answer.json()["started"] is False
    assert registry.current(linked.id) is job
    page = client.get(f"/connections/{linked.id}")
    assert "data-running" in page.text and "A run is in progress" in page.text
    window = Window(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    job.tell(RunProgress(linked.id, 7, "fetching", window))
    job.tell(RunProgress(linked.id, 7, "booking", window, RunCounts(fetched=4, new=3)))

    def finish() -> None:
        time.sleep(0.3)
        job.finish({"connection": linked.id, "run": 7, "state": "success", "fetched": 4,
                    "new": 3, "duplicates": 1, "pending": 0, "updated": 0, "reconciled": 0,
                    "balance_difference": None, "error": None})

    threading.Thread(target=finish).start()
    stream = parse_events(client.get(f"/connections/{linked.id}/events").text)
    assert [n for n, _ in stream.events] == ["progress", "progress", "result"]
    assert stream.named("progress")[1]["new"] == 3
    assert stream.named("progress")[1]["window_start"] == "2026-03-01"
    assert stream.named("result")[0]["duplicates"] == 1
    with session_factory(web.engine)() as session:
        assert session.scalar(select(SyncRun.id)) is None  # the click started nothing


def test_a_run_of_another_process_is_followed_in_the_run_log(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    client = sign_in(VIEWER)
    assert parse_events(client.get(f"/connections/{linked.id}/events").text).events == [
        ("idle", {"connection": linked.id})]
    now = utcnow()
    with session_factory(web.engine).begin() as session:
        run = SyncRun(company_id=web.company.id, connection_id=linked.id, trigger="manual",
                      started_at=now, window_start=dt.date(2026, 2, 1),
                      window_end=dt.date(2026, 3, 1), state=RunState.RUNNING)
        session.add(run)
        session.flush()
        run_id = run.id
        session.execute(update(Connection).where(Connection.id == linked.id).values(
            claimed_by="worker:elsewhere", claimed_until=now + dt.timedelta(minutes=1)))
    assert "A run is in progress" in client.get(f"/connections/{linked.id}").text

    def other_process_ends_it() -> None:
        time.sleep(1.0)
        with session_factory(web.engine).begin() as session:
            session.execute(update(SyncRun).where(SyncRun.id == run_id).values(
                state=RunState.SUCCESS, new=12, fetched=15, duplicates=3,
                finished_at=utcnow()))

    threading.Thread(target=other_process_ends_it).start()
    stream = parse_events(client.get(f"/connections/{linked.id}/events").text)
    assert [n for n, _ in stream.events] == ["progress", "result"]
    assert stream.named("progress")[0]["window_start"] == "2026-02-01"
    assert stream.named("result")[0] == {
        "connection": linked.id, "run": run_id, "state": "success", "fetched": 15, "new": 12,
        "duplicates": 3, "pending": 0, "updated": 0, "reconciled": 0, "reversed": 0,
        "balance_difference": None, "error": None, "accounts": []}


def test_fetch_now_is_refused_for_a_disconnected_connection(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    _set(web, linked.id, state=ConnectionState.DISCONNECTED, credentials=None)
    client = sign_in(ACCOUNTANT)
    assert "Fetch now" not in client.get(f"/connections/{linked.id}").text
    answer = client.post(f"/connections/{linked.id}/fetch", data={"csrf": client.csrf})
    assert answer.status_code == 409 and "disconnected" in answer.text


def test_fetch_now_needs_the_csrf_token(web: Web, sign_in: SignIn,
                                        linked: ConnectionView) -> None:
    client = sign_in(ACCOUNTANT)
    assert client.post(f"/connections/{linked.id}/fetch", data={}).status_code == 403
    assert _registry(web).current(linked.id) is None


# -- Disconnect ---------------------------------------------------------------------------


def test_an_admin_disconnects_after_confirming(
    web: Web, sign_in: SignIn, linked: ConnectionView
) -> None:
    accountant = sign_in(ACCOUNTANT)
    assert accountant.post(f"/connections/{linked.id}/disconnect",
                           data={"csrf": accountant.csrf, "confirm": "yes"}).status_code == 403
    admin = sign_in(ADMIN)
    unconfirmed = admin.post(f"/connections/{linked.id}/disconnect", data={"csrf": admin.csrf})
    assert unconfirmed.status_code == 422 and "Tick the confirmation" in unconfirmed.text
    assert connection_row(web.engine, linked.id).state == ConnectionState.CONNECTED
    done = admin.post(f"/connections/{linked.id}/disconnect",
                      data={"csrf": admin.csrf, "confirm": "yes"})
    assert done.status_code == 303
    row = connection_row(web.engine, linked.id)
    assert row.state == ConnectionState.DISCONNECTED and row.credentials is None
    page = admin.get(done.headers["location"])
    assert "Disconnected" in page.text and "Not connected" in page.text
    assert "Fetch now" not in page.text and "Save settings" not in page.text
