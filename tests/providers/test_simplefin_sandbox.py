"""SimpleFIN against the sandbox bank over real loopback HTTP (docs/architecture.md, "Errors").

The ordinary path and each fault kind the sandbox can inject, through real
sockets, headers and status codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from booksync.providers.base import Credentials, TransactionStatus, Window
from booksync.providers.errors import (
    PaymentRequired,
    ProviderError,
    ProviderProtocolError,
    RateLimited,
    ReauthRequired,
    SetupTokenRejected,
    TransientError,
)
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox.server import SandboxHandle, start


@pytest.fixture(scope="module")
def bank() -> Iterator[SandboxHandle]:
    handle = start(host="127.0.0.1", port=0, seed=7)
    yield handle
    handle.stop()


@pytest.fixture
def provider() -> Iterator[SimpleFINProvider]:
    with SimpleFINProvider(timeout=5.0) as simplefin:
        yield simplefin


@pytest.fixture
def creds(bank: SandboxHandle, provider: SimpleFINProvider) -> Credentials:
    token = httpx.get(f"{bank.url}/simplefin/create").text.strip()
    return provider.claim(token)


def _window(bank: SandboxHandle, days: int) -> Window:
    end = bank.world.today + dt.timedelta(days=1)
    return Window(end - dt.timedelta(days=days), end)


def test_claim_once_then_refused(bank: SandboxHandle, provider: SimpleFINProvider) -> None:
    token = httpx.get(f"{bank.url}/simplefin/create").text.strip()
    creds = provider.claim(token)
    assert creds.label == bank.url
    with pytest.raises(SetupTokenRejected, match="already claimed"):
        provider.claim(token)


def test_accounts_and_window_match_the_bank(
    bank: SandboxHandle, provider: SimpleFINProvider, creds: Credentials
) -> None:
    accounts = provider.list_accounts(creds)
    world = bank.world
    assert {a.id for a in accounts} == set(world.accounts)
    for account in accounts:
        assert account.balance is not None
        assert account.balance.as_of == world.balance_date(account.id)
        assert account.balance.amount == world.balance(account.id)
        assert account.iban == world.accounts[account.id].iban
    window = _window(bank, 100)  # two pieces
    batches = provider.fetch(creds, None, window, include_pending=True)
    assert {b.account_id for b in batches} == set(world.accounts)
    for batch in batches:
        truth = world.accounts[batch.account_id].booked_between(
            window.start, window.end - dt.timedelta(days=1)
        )
        assert [t.provider_transaction_id for t in batch.booked] == [t.id for t in truth]
        assert [t.booking_date for t in batch.booked] == [t.posted for t in truth]
        assert all(t.status is TransactionStatus.PENDING for t in batch.pending)
        assert batch.complete and batch.next_watermark == window.end


def test_filtered_fetch(
    bank: SandboxHandle, provider: SimpleFINProvider, creds: Credentials
) -> None:
    wanted = sorted(bank.world.accounts)[:1]
    batches = provider.fetch(creds, wanted, _window(bank, 30))
    assert [b.account_id for b in batches] == wanted
    assert all(not b.pending for b in batches)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("http_500", TransientError),
        ("rate_limit", RateLimited),
        ("malformed", ProviderProtocolError),
        ("payment_required", PaymentRequired),
        ("revoke", ReauthRequired),
    ],
)
def test_faults_map_into_the_error_tree(
    bank: SandboxHandle,
    provider: SimpleFINProvider,
    creds: Credentials,
    kind: str,
    error: type[ProviderError],
) -> None:
    bank.inject(kind)
    with pytest.raises(error) as caught:
        provider.fetch(creds, None, _window(bank, 10))
    password = creds.secret.split("@")[0].rsplit(":", 1)[1]
    assert password not in str(caught.value) and password not in repr(caught.value)
    if kind == "rate_limit":
        assert isinstance(caught.value, RateLimited) and caught.value.retry_after == 30
    if kind != "revoke":
        assert provider.fetch(creds, None, _window(bank, 10))  # the next run catches up


def test_timeout_is_transient(bank: SandboxHandle, creds: Credentials) -> None:
    bank.inject("timeout", delay=1.0)
    with SimpleFINProvider(timeout=0.2) as impatient, pytest.raises(TransientError):
        impatient.fetch(creds, None, _window(bank, 10))
