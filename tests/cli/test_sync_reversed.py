"""``reversed`` at the top of a run's JSON (``booksync sync --json``, ``sync log --json``)
and in their tables: a Plaid sandbox run after the bank withdrew a booked transaction
counts 1, an ordinary run 0; the sandbox bank over loopback HTTP, on both databases.

docs/banking.md, "A synchronization run".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from booksync.sandbox.plaid_bank import PlaidBank
from booksync.sandbox.plaid_feed import plaid_id
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from tests.cli.clitools import Cli, ok_json


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    with start(world=World(5)) as handle:  # today's world, as the CLI's window is
        yield handle


def withdraw_latest(bank: SandboxHandle) -> str:
    """The bank takes back the latest booked transaction of its one Plaid Item (Plaid
    then reports it ``removed``); its id."""
    (item,) = PlaidBank.of(bank.server).items.values()
    account = next(a for a in item.feed.account_ids if bank.world.account(a).booked)
    tx_id = plaid_id(bank.world.account(account).booked[-1])
    PlaidBank.of(bank.server).withdraw(account, tx_id)
    return tx_id


def test_a_withdrawn_booked_transaction_is_counted_reversed_beside_the_other_counts(
    acme: Cli, bank: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOKSYNC_PLAID_URL", f"{bank.url}/plaid")
    connected = ok_json(acme, "connect", "plaid", "--sandbox-institution", "ins_nordwerk",
                        "--history-days", "20")
    ident = str(connected["id"])
    (ordinary,) = ok_json(acme, "sync", ident)
    assert ordinary["state"] == "success" and ordinary["new"] > 0
    assert ordinary["reversed"] == 0

    tx_id = withdraw_latest(bank)
    (withdrawn,) = ok_json(acme, "sync", ident)
    assert withdrawn["state"] == "success", withdrawn
    assert withdrawn["reversed"] == 1
    assert sum(a["reversed"] for a in withdrawn["accounts"]) == 1
    assert tx_id in withdrawn["error"]
    keys = list(withdrawn)
    assert keys.index("reversed") == keys.index("reconciled") + 1

    log = ok_json(acme, "sync", "log", ident)
    assert [(r["run"], r["reversed"]) for r in log] == [
        (withdrawn["run"], 1), (ordinary["run"], 0)]
    (quiet,) = ok_json(acme, "sync", ident)  # a second removal of it reverses nothing
    assert quiet["reversed"] == 0

    code, out, err = acme("sync", "log", ident)
    assert code == 0, err
    heading = next(line for line in out.splitlines() if "Fetched" in line)
    assert "Rec." in heading and "Rev." in heading
    code, out, err = acme("sync", ident)
    assert code == 0 and "Reversed" in out, err
