"""``reversed`` at the top of a run in the API (Fetch now's result, the run log) and in the
connection page's run log: a Plaid sandbox run after the bank withdrew a booked
transaction counts 1, an ordinary run 0; over loopback HTTP, on both databases.

docs/banking.md, "A synchronization run"; docs/web.md, "Connections API".
"""

from __future__ import annotations

import re

from booksync.sandbox import SandboxHandle
from tests.cli.test_sync_reversed import withdraw_latest
from tests.web.conftest import ADMIN, VIEWER, Web
from tests.web.test_renew_api import BASE, connect_plaid, fetch

pytest_plugins = ("tests.web.bank_fixtures",)

LOG = re.compile(r'<table class="list runs">(.*?)</table>', re.S)
ROW = re.compile(r'<tr data-run="(\d+)">(.*?)</tr>', re.S)
HEADS = re.compile(r'<th class="num">([^<]+)</th>')
NUMBERS = re.compile(r'<td class="num">([^<]*)</td>')


def test_a_withdrawn_booked_transaction_is_counted_reversed_in_the_api_and_the_log(
    sandboxed: Web, bank: SandboxHandle
) -> None:
    admin = sandboxed.sign_in(ADMIN)
    made, ordinary = connect_plaid(admin)
    assert ordinary["reversed"] == 0
    ident = made["id"]

    tx_id = withdraw_latest(bank)
    withdrawn = fetch(admin, ident)
    assert withdrawn["state"] == "success", withdrawn
    assert withdrawn["reversed"] == 1
    assert sum(a["reversed"] for a in withdrawn["accounts"]) == 1
    assert tx_id in withdrawn["error"]

    viewer = sandboxed.sign_in(VIEWER)
    log = viewer.get(f"{BASE}/{ident}/runs").json()["items"]
    assert [(r["run"], r["reversed"]) for r in log] == [
        (withdrawn["run"], 1), (ordinary["run"], 0)]

    found = LOG.search(viewer.get(f"/connections/{ident}").text)
    assert found, "the page shows its run log"
    page = found.group(1)
    heads = HEADS.findall(page)
    column = heads.index("Reversed")
    assert heads[column - 1] == "Reconciled"
    shown = {int(run): NUMBERS.findall(cells)[column] for run, cells in ROW.findall(page)}
    assert shown == {withdrawn["run"]: "1", ordinary["run"]: "0"}
