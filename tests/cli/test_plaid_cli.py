"""``booksync connect plaid`` against the sandbox bank, on both databases.

docs/banking.md, "Plaid".

Connect in one step, synchronize with ``booksync sync``, lose the login, renew
and catch up; the keys and the access token never reach the output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from booksync.sandbox.plaid_bank import PlaidBank
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from tests.cli.clitools import Cli, one_error

SECRET = "cli-plaid-secret-5c4b3a"


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    with start(world=World(5)) as handle:  # today's world, as the CLI's window is
        yield handle


@pytest.fixture
def keyed(acme: Cli, monkeypatch: pytest.MonkeyPatch, bank: SandboxHandle) -> Cli:
    monkeypatch.setenv("BOOKSYNC_PLAID_CLIENT_ID", "cli-tests")
    monkeypatch.setenv("BOOKSYNC_PLAID_SECRET", SECRET)
    monkeypatch.setenv("BOOKSYNC_PLAID_URL", f"{bank.url}/plaid")
    return acme


def _tokens(bank: SandboxHandle) -> list[str]:
    return [i.access_token for i in PlaidBank.of(bank.server).items.values()]


def test_connect_sync_lose_the_login_renew_and_catch_up(
    keyed: Cli, bank: SandboxHandle
) -> None:
    code, out, err = keyed("connect", "plaid", "--sandbox-institution", "ins_nordwerk",
                           "--history-days", "20", "--json")
    assert code == 0, err
    connection = json.loads(out)
    assert connection["provider"] == "plaid" and connection["state"] == "connected"
    assert connection["institution"] == "Nordwerk Bank"
    assert len(connection["accounts"]) == 2
    ident = str(connection["id"])
    code, out, err = keyed("sync", ident, "--json")
    assert code == 0, err
    (first,) = json.loads(out)
    assert first["state"] == "success" and first["new"] > 0
    code, out, _ = keyed("institution", "list", "--json")
    listed = {(i["id"], i["provider"], i["bic"]) for i in json.loads(out)}
    assert ("ins_nordwerk", "plaid", "NWBKDEFF") in listed  # the sandbox's, with its BIC
    PlaidBank.of(bank.server).require_login()
    bank.world.advance(5)  # a weekend may pass without a booking
    code, out, _ = keyed("sync", ident, "--json")
    assert code == 1 and json.loads(out)[0]["state"] == "reauth_required"
    code, out, err = keyed("connect", "plaid", "--renew", ident)
    assert code == 0, err
    assert "update mode" in out and "link-sandbox-" in out
    PlaidBank.of(bank.server).require_login(required=False)
    code, out, err = keyed("connect", "plaid", "--renew", ident, "--json")
    assert code == 0, err
    renewed = json.loads(out)
    assert renewed["state"] == "connected" and renewed["link_token"] is None
    code, out, err = keyed("sync", ident, "--json")
    assert code == 0, err
    (caught_up,) = json.loads(out)
    assert caught_up["state"] == "success" and caught_up["new"] > 0, caught_up
    code, out, err = keyed("connection", "list", "--json")
    everything = out + err
    assert SECRET not in everything
    assert all(token not in everything for token in _tokens(bank))


def test_connect_plaid_refuses_what_it_cannot_use(
    acme: Cli, bank: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOOKSYNC_PLAID_CLIENT_ID", raising=False)
    monkeypatch.delenv("BOOKSYNC_PLAID_SECRET", raising=False)
    url = f"{bank.url}/plaid"
    one_error(acme("connect", "plaid", "--url", url), "--public-token")
    one_error(acme("connect", "plaid", "--public-token", "public-x", "--url", url),
              "client id and a secret")
    monkeypatch.setenv("BOOKSYNC_PLAID_CLIENT_ID", "cli-tests")
    monkeypatch.setenv("BOOKSYNC_PLAID_SECRET", SECRET)
    line = one_error(acme("connect", "plaid", "--public-token", "public-x", "--url", url),
                     "INVALID_PUBLIC_TOKEN")
    assert SECRET not in line
    one_error(acme("connect", "plaid", "--sandbox-institution", "ins_nordwerk", "--url", url,
                   "--link", "ACT-nope=BNK9"), "BNK9")
    assert _tokens(bank) == []  # nothing was exchanged for a connection it cannot make
    code, _, err = acme("bank-account", "create", "--account-number",
                        "DE89370400440532013000", "--bank", "Hausbank")
    assert code == 0, err
    one_error(acme("connect", "plaid", "--sandbox-institution", "ins_nordwerk", "--url", url,
                   "--link", "ACT-nope=BNK1", "--history-days", "20"), "ACT-nope")
    assert _tokens(bank) == []  # the Item was removed again at the bank
    code, out, _ = acme("connection", "list", "--json")
    assert code == 0 and json.loads(out) == []
