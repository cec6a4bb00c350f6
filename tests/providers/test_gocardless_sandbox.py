"""The GoCardless provider against the sandbox bank over real loopback HTTP.

Linking, the wire rules held to the world's own truth, tokens (refreshed,
renewed), and each failure the sandbox can produce mapped to its error class
with a message that holds no secret.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from booksync.providers.base import Credentials, Window
from booksync.providers.errors import (
    ProviderError,
    ProviderProtocolError,
    RateLimited,
    ReauthRequired,
    TransientError,
)
from booksync.providers.gocardless import GoCardlessProvider, RequisitionNotLinked
from booksync.providers.gocardless_http import Secrets, clear_token_cache
from booksync.providers.gocardless_secret import GoCardlessSecret
from booksync.sandbox.gocardless import bank_of
from booksync.sandbox.gocardless_bank import GoCardlessBank
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World

TODAY = dt.date(2026, 3, 10)
SECRET_ID, SECRET_KEY = "gc-id-7Hq2", "gc-key-Vx9/+@wR"
ALL = "SANDBOXFINANCE_SFIN0000"


@pytest.fixture(autouse=True)
def _no_cached_tokens() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    with start(world=World(7, today=TODAY)) as handle:
        yield handle


def _noon(bank: SandboxHandle) -> dt.datetime:
    return dt.datetime.combine(bank.world.today, dt.time(12), dt.UTC)


@pytest.fixture
def provider(bank: SandboxHandle) -> Iterator[GoCardlessProvider]:
    secrets = Secrets.checked(f"{bank.url}/gocardless", SECRET_ID, SECRET_KEY)
    with GoCardlessProvider(secrets, timeout=5, clock=lambda: _noon(bank)) as gocardless:
        yield gocardless


def _gc(bank: SandboxHandle) -> GoCardlessBank:
    return bank_of(bank.server)


def _link(bank: SandboxHandle, provider: GoCardlessProvider, institution: str = ALL,
          access_days: int = 90) -> Credentials:
    started = provider.start(institution, "https://app.example/done", 30, access_days)
    answer = httpx.get(started.pending.link)
    assert answer.status_code == 302
    assert answer.headers["location"] == f"https://app.example/done?ref={started.pending.reference}"
    secret = GoCardlessSecret(f"{bank.url}/gocardless", SECRET_ID, SECRET_KEY, institution,
                              pending=started.pending)
    linked, _ = provider.linked(secret)
    return linked.credentials()


def _window(bank: SandboxHandle) -> Window:
    return Window(bank.world.today - dt.timedelta(days=30), bank.world.today + dt.timedelta(days=7))


def test_institutions_by_country(provider: GoCardlessProvider) -> None:
    german = provider.list_institutions("de")
    assert [(i.id, i.name, i.bic, i.country, i.provider) for i in german] == [
        ("NORDWERKBANK_NWBKDEFF", "Nordwerk Bank", "NWBKDEFF", "DE", "gocardless")]
    assert ALL in {i.id for i in provider.list_institutions()}
    with pytest.raises(ProviderError, match="HTTP 404"):
        provider.institution("NOSUCHBANK_XXXX0000")


def test_a_requisition_is_linked_only_once_the_user_gave_consent(
    bank: SandboxHandle, provider: GoCardlessProvider
) -> None:
    started = provider.start("BANQUEDULAC_BDLCFRPP", "https://app.example/done", 30, 400)
    assert started.agreement.access_valid_for_days == 180  # cut to what the bank grants
    secret = GoCardlessSecret(f"{bank.url}/gocardless", SECRET_ID, SECRET_KEY,
                              "BANQUEDULAC_BDLCFRPP", pending=started.pending)
    with pytest.raises(RequisitionNotLinked, match="status is CR") as waiting:
        provider.linked(secret)
    assert not waiting.value.ended and waiting.value.code == "conflict"
    refused = httpx.get(started.pending.link, params={"decision": "reject"})
    assert "error=UserCancelledSession" in refused.headers["location"]
    with pytest.raises(RequisitionNotLinked, match="status is RJ") as rejected:
        provider.linked(secret)
    assert rejected.value.ended


def test_accounts_and_transactions_are_the_worlds_own(
    bank: SandboxHandle, provider: GoCardlessProvider
) -> None:
    credentials = _link(bank, provider)
    accounts = provider.list_accounts(credentials)
    world = bank.world
    truth = {a["id"]: a for a in world.state()["accounts"]}
    assert len(accounts) == len(truth)
    window = _window(bank)
    for account in accounts:
        wid = _gc(bank).world_account(account.id)
        real = world.accounts[wid]
        assert (account.name, account.currency, account.iban) == (
            real.name, real.currency, real.iban)
        (batch,) = provider.fetch(credentials, [account.id], window, include_pending=True)
        expected = {
            t["id"]: t for t in truth[wid]["transactions"]
            if window.start <= dt.date.fromisoformat(t["posted"]) < window.end
        }
        got = {t.provider_transaction_id: t for t in batch.booked}
        assert set(got) == set(expected)
        for tx_id, tx in got.items():
            bank_tx = expected[tx_id]
            assert tx.booking_date == dt.date.fromisoformat(bank_tx["posted"])
            assert tx.amount == Decimal(bank_tx["amount"])
            assert tx.description == bank_tx["description"]
            assert tx.counterparty_name == bank_tx.get("payee")
            assert tx.reference == bank_tx.get("memo")
        assert {t.provider_transaction_id for t in batch.pending} == {
            p["id"] for p in truth[wid]["pending"]}
        assert batch.balance is not None
        assert batch.balance.amount == Decimal(truth[wid]["balance"])
        assert batch.balance.as_of == dt.date.fromisoformat(truth[wid]["balance_date"])


def test_tokens_are_refreshed_and_renewed(bank: SandboxHandle) -> None:
    ticks = [1_000_000.0]
    secrets = Secrets.checked(f"{bank.url}/gocardless", SECRET_ID, SECRET_KEY)
    provider = GoCardlessProvider(secrets, timeout=5, clock=lambda: _noon(bank),
                                  seconds=lambda: ticks[0])
    gc = _gc(bank)
    credentials = _link(bank, provider)
    window = _window(bank)
    assert (gc.calls["token/new"], gc.calls["token/refresh"]) == (1, 0)
    gc.expire_tokens("access")  # the server forgot the token: refused, refreshed, tried again
    provider.fetch(credentials, None, window)
    assert (gc.calls["token/new"], gc.calls["token/refresh"]) == (1, 1)
    ticks[0] += 86_400  # our clock says the access token is over: refreshed before the call
    provider.fetch(credentials, None, window)
    assert (gc.calls["token/new"], gc.calls["token/refresh"]) == (1, 2)
    gc.expire_tokens("both")  # the refresh token is refused too: a new pair
    provider.fetch(credentials, None, window)
    assert (gc.calls["token/new"], gc.calls["token/refresh"]) == (2, 3)
    ticks[0] += 31 * 86_400  # both over by our clock: straight to a new pair
    provider.fetch(credentials, None, window)
    assert (gc.calls["token/new"], gc.calls["token/refresh"]) == (3, 3)
    provider.close()


def test_a_rate_limit_says_how_long_to_wait(
    bank: SandboxHandle, provider: GoCardlessProvider
) -> None:
    credentials = _link(bank, provider, "NORDWERKBANK_NWBKDEFF")
    gc = _gc(bank)
    gc.inject("rate_limit", retry_after=90)  # one account's request: its part only
    one, other = provider.fetch(credentials, None, _window(bank))
    assert [p.code for p in one.problems] == ["rate-limited"] and not one.complete
    assert "try again in 90 seconds" in one.problems[0].message
    assert other.complete and not other.problems
    gc.inject("rate_limit", count=2, retry_after=90)  # every account's
    with pytest.raises(RateLimited, match="try again in 90 seconds") as injected:
        provider.fetch(credentials, None, _window(bank))
    assert injected.value.retry_after == 90
    gc.set_quota(1)
    provider.fetch(credentials, None, _window(bank))
    with pytest.raises(RateLimited) as quota:
        provider.fetch(credentials, None, _window(bank))
    assert quota.value.retry_after == 43_200
    bank.world.advance(1)
    provider.fetch(credentials, None, _window(bank))


def test_an_ended_consent_is_reauth_required(bank: SandboxHandle) -> None:
    stale = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
    secrets = Secrets.checked(f"{bank.url}/gocardless", SECRET_ID, SECRET_KEY)
    knows = GoCardlessProvider(secrets, timeout=5, clock=lambda: _noon(bank))
    unaware = GoCardlessProvider(secrets, timeout=5, clock=lambda: stale)
    credentials = _link(bank, knows, "NORDWERKBANK_NWBKDEFF", access_days=5)
    assert GoCardlessSecret.of(credentials).expires == stale + dt.timedelta(days=5)
    bank.world.advance(5)
    requests = bank_of(bank.server).calls.copy()
    with pytest.raises(ReauthRequired, match="ended on 2026-03-15"):
        knows.fetch(credentials, None, _window(bank))  # known before any request
    assert bank_of(bank.server).calls == requests
    with pytest.raises(ReauthRequired, match=r"End User Agreement \(EUA\) .* has expired"):
        unaware.fetch(credentials, None, _window(bank))  # the bank says so
    knows.close()
    unaware.close()


@pytest.mark.parametrize(
    ("kind", "variant", "error"),
    [
        ("malformed", "not_json", ProviderProtocolError),
        ("malformed", "wrong_shape", ProviderProtocolError),
        ("malformed", "float_amount", ProviderProtocolError),
        ("http_500", "", TransientError),
        ("expired", "", ReauthRequired),
    ],
)
def test_each_fault_maps_to_its_error(
    bank: SandboxHandle, provider: GoCardlessProvider, kind: str, variant: str,
    error: type[ProviderError],
) -> None:
    credentials = _link(bank, provider, "NORDWERKBANK_NWBKDEFF")
    if variant:
        _gc(bank).inject(kind, variant=variant)
    else:
        _gc(bank).inject(kind)
    with pytest.raises(error):
        provider.fetch(credentials, None, _window(bank))
    provider.fetch(credentials, None, _window(bank))  # the next answer is whole again


def test_echoed_secrets_and_tokens_are_masked(
    bank: SandboxHandle, provider: GoCardlessProvider
) -> None:
    credentials = _link(bank, provider, "NORDWERKBANK_NWBKDEFF")
    gc = _gc(bank)
    gc.inject("echo")
    with pytest.raises(ProviderError) as data_echo:
        provider.fetch(credentials, None, _window(bank))
    tokens = [t for t, (user, _) in gc.access.items() if user == SECRET_ID]
    assert tokens and "Authorization" in str(data_echo.value)
    gc.inject("echo", token=True)
    clear_token_cache()
    with pytest.raises(ReauthRequired) as token_echo:
        provider.fetch(credentials, None, _window(bank))
    assert "secret id and key" in str(token_echo.value)
    for shown in (str(data_echo.value), repr(data_echo.value), str(token_echo.value)):
        for secret in (SECRET_ID, SECRET_KEY, *tokens):
            assert secret not in shown, shown


def test_a_wrong_key_is_refused_without_being_shown(
    bank: SandboxHandle, provider: GoCardlessProvider
) -> None:
    provider.list_institutions("FR")  # the sandbox now knows this id with its key
    wrong = Secrets.checked(f"{bank.url}/gocardless", SECRET_ID, "another-key-Qw3")
    with GoCardlessProvider(wrong, timeout=5) as other, pytest.raises(ReauthRequired) as refused:
        other.list_institutions("FR")
    assert "HTTP 401" in str(refused.value) and "another-key-Qw3" not in str(refused.value)
    with pytest.raises(ProviderError, match="secret id and a secret key"):
        Secrets.checked(f"{bank.url}/gocardless", " ", SECRET_KEY)


def test_revoking_deletes_the_requisition(
    bank: SandboxHandle, provider: GoCardlessProvider
) -> None:
    credentials = _link(bank, provider, "NORDWERKBANK_NWBKDEFF")
    requisition = GoCardlessSecret.of(credentials).requisition
    assert requisition in _gc(bank).requisitions
    provider.revoke(credentials)
    assert requisition not in _gc(bank).requisitions
    provider.revoke(credentials)  # gone already: nothing to say
