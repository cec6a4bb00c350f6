"""The Plaid provider against the sandbox bank over real loopback HTTP (docs/banking.md, "Plaid").

Linking, accounts, the cursor loop and each failure the sandbox can produce,
through real sockets, JSON bodies and status codes; the records it returns
are checked against the sandbox world.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest

from booksync.providers.base import Credentials, TransactionStatus, Window
from booksync.providers.errors import (
    InsecureURL,
    ProviderError,
    ProviderProtocolError,
    RateLimited,
    ReauthRequired,
    TransientError,
)
from booksync.providers.plaid import PlaidProvider
from booksync.providers.plaid_http import PlaidKeys
from booksync.providers.plaid_wire import load, parse_sync_page
from booksync.providers.registry import provider_for
from booksync.sandbox.plaid_bank import PlaidBank
from booksync.sandbox.plaid_feed import plaid_id
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World

TODAY = dt.date(2026, 3, 10)
SECRET = "plaid-provider-secret-9f8e7d"


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    with start(world=World(11, today=TODAY)) as handle:
        yield handle


@pytest.fixture
def keys(bank: SandboxHandle) -> PlaidKeys:
    return PlaidKeys("provider-tests", SECRET, f"{bank.url}/plaid")


@pytest.fixture
def provider(keys: PlaidKeys) -> Iterator[PlaidProvider]:
    with PlaidProvider(keys, timeout=5.0, page_size=25) as plaid:
        yield plaid


@pytest.fixture
def creds(provider: PlaidProvider) -> Credentials:
    return provider.exchange(provider.sandbox_public_token("ins_banque_du_lac"))


def _window(days: int = 30) -> Window:
    end = TODAY + dt.timedelta(days=7)
    return Window(TODAY - dt.timedelta(days=days), end)


def test_linking_exchanges_a_public_token_once(provider: PlaidProvider) -> None:
    token = provider.sandbox_public_token("ins_nordwerk")
    creds = provider.exchange(token)
    assert creds.provider == "plaid" and "secret=<hidden>" in repr(creds)
    stored = json.loads(creds.secret)
    assert stored["access_token"].startswith("access-sandbox-") and stored["item_id"]
    assert stored["client_id"] == "provider-tests" and stored["secret"] == SECRET
    with pytest.raises(ProviderError, match="INVALID_PUBLIC_TOKEN"):
        provider.exchange(token)
    with pytest.raises(ProviderError, match="INVALID_INSTITUTION"):
        provider.sandbox_public_token("ins_nowhere")
    session = provider.start_link(None, None, 90, 90)
    assert session.reference and session.reference.startswith("link-sandbox-")


def test_accounts_name_their_institution_currency_and_dated_balance(
    bank: SandboxHandle, provider: PlaidProvider, creds: Credentials
) -> None:
    accounts = {a.id: a for a in provider.list_accounts(creds)}
    world = bank.world
    lac = {a.id for a in world.accounts.values() if a.institution.id == "banque-du-lac"}
    assert set(accounts) == lac
    for account_id, account in accounts.items():
        truth = world.accounts[account_id]
        assert account.institution == "Banque du Lac"
        assert account.institution_id == "ins_banque_du_lac"
        assert account.currency == truth.currency
        assert account.name.startswith(truth.name) and "••" in account.name
        assert account.balance is not None
        assert account.balance.as_of == TODAY - dt.timedelta(days=1)  # the bank lags a day
        assert account.balance.amount == world.balance(account_id)


def test_the_first_sync_pages_through_and_keeps_the_window_s_history(
    bank: SandboxHandle, provider: PlaidProvider, creds: Credentials
) -> None:
    window = _window(30)
    batches = provider.fetch(creds, None, window, include_pending=True)
    world = bank.world
    cursors = {b.next_cursor for b in batches}
    assert len(cursors) == 1 and None not in cursors
    for batch in batches:
        account = world.accounts[batch.account_id]
        wanted = {
            (plaid_id(t), t.posted, account.decimal(t.amount))
            for t in account.booked
            if t.posted and t.posted >= window.start
        }
        got = {(t.provider_transaction_id, t.booking_date, t.amount) for t in batch.booked}
        assert got == wanted
        assert all(t.status is TransactionStatus.BOOKED for t in batch.booked)
        waiting = {t.id for t in account.pending.values() if t.linger_until is None}
        assert {t.provider_transaction_id for t in batch.pending} == waiting
        linked = {t.pending_link_id for t in batch.booked if t.pending_link_id}
        assert linked <= {t.from_pending for t in account.booked}
    # From the cursor: nothing new, then what the world did in three days.
    (cursor,) = cursors
    quiet = provider.fetch(creds, None, window, include_pending=True, cursor=cursor)
    assert all(not b.booked and not b.pending and not b.removed for b in quiet)
    world.advance(3)
    later = provider.fetch(creds, None, window, include_pending=True, cursor=cursor)
    assert any(b.booked for b in later)
    assert all(b.next_cursor != cursor for b in later)


def test_only_the_wanted_accounts_come_back_and_a_missing_one_is_said(
    bank: SandboxHandle, provider: PlaidProvider, creds: Credentials
) -> None:
    usd = next(a.id for a in bank.world.accounts.values() if a.currency == "USD")
    batches = provider.fetch(creds, [usd, "ACT-gone"], _window())
    assert [b.account_id for b in batches] == [usd, "ACT-gone"]
    assert batches[0].booked and not batches[0].pending  # pending only when asked
    assert all(t.currency == "USD" for t in batches[0].booked)
    assert [p.code for p in batches[1].problems] == ["missing-account"]
    assert provider.fetch(creds, [], _window()) == []


def test_a_mutation_during_pagination_restarts_from_the_first_cursor(
    bank: SandboxHandle, provider: PlaidProvider, creds: Credentials
) -> None:
    plaid = PlaidBank.of(bank.server)
    plaid.add_fault("mutation", page=2)
    plaid.add_fault("mutation", page=3)
    batches = provider.fetch(creds, None, _window())
    assert not plaid.faults
    clean = PlaidProvider(PlaidKeys("provider-tests", SECRET, f"{bank.url}/plaid"), page_size=25)
    with clean:
        again = clean.fetch(creds, None, _window())
    assert [len(b.booked) for b in batches] == [len(b.booked) for b in again]
    plaid.add_fault("mutation", count=3)
    with pytest.raises(TransientError, match="kept changing"):
        provider.fetch(creds, None, _window())


def test_errors_map_into_the_tree(
    bank: SandboxHandle, provider: PlaidProvider, creds: Credentials
) -> None:
    plaid = PlaidBank.of(bank.server)
    plaid.add_fault("http_500")
    with pytest.raises(TransientError, match="HTTP 500"):
        provider.fetch(creds, None, _window())
    plaid.add_fault("rate_limit")
    with pytest.raises(RateLimited) as limited:
        provider.fetch(creds, None, _window())
    assert limited.value.retry_after == 30
    for variant in ("not_json", "shape", "amount", "no_cursor"):
        plaid.add_fault("malformed", variant=variant)
        with pytest.raises(ProviderProtocolError, match="malformed"):
            provider.fetch(creds, None, _window())
    plaid.require_login()
    with pytest.raises(ReauthRequired, match="ITEM_LOGIN_REQUIRED"):
        provider.fetch(creds, None, _window())
    with pytest.raises(ReauthRequired):
        provider.list_accounts(creds)
    assert provider.update_link_token(creds).startswith("link-sandbox-")
    plaid.require_login(required=False)
    assert provider.list_accounts(creds)
    wrong = PlaidProvider(PlaidKeys("someone-else", "their-secret", f"{bank.url}/plaid"))
    stolen = Credentials("plaid", json.dumps({**json.loads(creds.secret),
                                              "client_id": "someone-else"}))
    with wrong, pytest.raises(ProviderError, match="INVALID_API_KEYS"):
        wrong.list_accounts(stolen)
    provider.revoke(creds)
    with pytest.raises(ReauthRequired, match="INVALID_ACCESS_TOKEN"):
        provider.list_accounts(creds)


def test_an_echoed_request_leaves_no_secret_in_the_error(
    bank: SandboxHandle, provider: PlaidProvider, creds: Credentials
) -> None:
    PlaidBank.of(bank.server).add_fault("echo")
    with pytest.raises(ProviderError) as caught:
        provider.fetch(creds, None, _window())
    text = str(caught.value) + repr(caught.value)
    access = json.loads(creds.secret)["access_token"]
    assert "you sent" in text
    assert SECRET not in text and access not in text


def test_keys_are_checked_before_any_request(bank: SandboxHandle) -> None:
    with pytest.raises(ProviderError, match="client id and a secret"):
        PlaidKeys("", "x", f"{bank.url}/plaid")
    with pytest.raises(InsecureURL):
        PlaidKeys("id", "secret", "http://plaid.example.com")
    with pytest.raises(ProviderError, match="cannot be read"):
        PlaidProvider().list_accounts(Credentials("plaid", "not json"))
    assert provider_for("plaid").name == "plaid"


def test_numbers_are_read_exactly_and_negated() -> None:
    body = json.dumps({
        "added": [{"transaction_id": "T1", "account_id": "A", "pending": False,
                   "date": "2026-03-01", "authorized_date": "2026-02-27", "name": "x"}],
        "modified": [], "removed": [{"transaction_id": "T0"}],
        "next_cursor": "c1", "has_more": False,
    })
    for text, expected in [
        ("0.100000000000000005551115123125", "-0.100000000000000005551115123125"),
        ("-12345678901234.5678", "12345678901234.5678"),
        ("4172E-2", "-41.72"),
        ("7", "-7"),
    ]:
        raw = body.replace('"name": "x"', f'"name": "x", "amount": {text}')
        page = parse_sync_page(load(raw.encode()), TODAY)
        ((account, tx),) = page.upserts
        assert account == "A" and str(tx.amount) == expected
        assert tx.booking_date == dt.date(2026, 3, 1)  # never shifted
        assert tx.value_date == dt.date(2026, 2, 27)
    assert page.removed == (("T0", None),)
    with pytest.raises(ProviderProtocolError, match="not a number"):
        parse_sync_page(load(body.replace('"name": "x"', '"amount": "1.00"').encode()), TODAY)
    with pytest.raises(ProviderProtocolError, match="non-number"):
        load(b'{"amount": NaN}')


def test_the_usual_shape_s_quick_read_equals_the_full_check(
    bank: SandboxHandle, keys: PlaidKeys, provider: PlaidProvider, creds: Credentials
) -> None:
    from booksync.providers.plaid_wire import _transaction

    bank.world.add_transactions(
        next(iter(bank.world.accounts)),
        [{"amount": "12.50", "description": "Refund", "payee": "Shop", "memo": "R-1"}],
    )
    access = json.loads(creds.secret)["access_token"]
    headers = {"PLAID-CLIENT-ID": keys.client_id, "PLAID-SECRET": SECRET}
    body = httpx.post(f"{bank.url}/plaid/transactions/sync", headers=headers,
                      json={"access_token": access, "count": 500}).content
    root = load(body)
    quick = parse_sync_page(root, TODAY, {})
    full = [_transaction(v, "t") for v in root["added"]]
    assert len(full) > 100
    assert list(quick.upserts) == full
