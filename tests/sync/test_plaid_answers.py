"""Plaid answers the spec allows but the sandbox does not send, end to end.

The sandbox bank answers ``/transactions/sync`` over loopback HTTP as usual;
on the way back a page is edited as Plaid may write it.  The run must book
the bank's truth, or book nothing for the account and say why, keeping the
cursor, and the next run must catch up (docs/banking.md, "Plaid").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from booksync.banking.models import ProviderAccount, StatementLine
from booksync.providers.plaid import PlaidProvider
from booksync.sandbox.plaid_feed import plaid_id
from booksync.sync.run import RunResult, SyncRunner
from tests.sync.support import FAST_RETRY
from tests.sync.test_plaid_sync import PAGE, PlaidBooks, assert_books_match_bank, plaid

__all__ = ["plaid"]  # the fixture, shared with test_plaid_sync

Edit = Callable[[str, dict[str, Any]], dict[str, Any]]
"""An answer's new JSON from the request's path and the JSON the sandbox sent."""


class _Refused(Exception):
    """Raised by an edit: answer Plaid's error object instead of the page."""

    def __init__(self, status: int, error_type: str, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.body = {"error_type": error_type, "error_code": code,
                     "error_message": f"the sandbox's page refused ({code})",
                     "display_message": None, "request_id": "edited"}


class Rewriting(httpx.BaseTransport):
    """Real HTTP to the sandbox; each successful answer passed through ``edit``."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.edit: Edit | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        edit = self.edit
        if edit is None or response.status_code != 200:
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        try:
            edited = orjson.dumps(edit(request.url.path, orjson.loads(body)))
        except _Refused as refused:
            return httpx.Response(refused.status, json=refused.body)
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=edited)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def transport() -> Iterator[Rewriting]:
    found = Rewriting()
    yield found
    found.close()


def _sync(plaid: PlaidBooks, transport: Rewriting) -> RunResult:
    world = plaid.bank.world
    runner = SyncRunner(
        plaid.factory,
        providers=lambda _name: PlaidProvider(
            page_size=PAGE, client=httpx.Client(transport=transport, timeout=10)
        ),
        retry=FAST_RETRY,
        today=lambda: world.today,
    )
    return runner.run(plaid.connection_id)


def _business(plaid: PlaidBooks) -> str:
    world = plaid.bank.world
    return next(a for a in plaid.accounts if world.accounts[a].profile == "business")


def test_a_transaction_in_another_currency_books_nothing_for_its_account(
    plaid: PlaidBooks, transport: Rewriting
) -> None:
    """Plaid names each transaction's currency: a USD amount on a EUR account booked as
    EUR would be wrong money, so that account waits and says why; the cursor stays."""
    assert _sync(plaid, transport).state == "success"
    plaid.bank.world.advance(3)
    business = _business(plaid)
    before = plaid.books()

    def in_dollars(_path: str, page: dict[str, Any]) -> dict[str, Any]:
        for tx in page.get("added") or []:
            if tx["account_id"] == business and not tx["pending"]:
                tx["iso_currency_code"] = "USD"
                break
        return page

    transport.edit = in_dollars
    refused = _sync(plaid, transport)
    assert refused.state == "partial", refused.error
    assert "USD" in (refused.error or "")
    after = plaid.books()
    assert after["cursor"] == before["cursor"]
    mine = plaid.accounts[business]
    assert [r for r in after["lines"] if r[1] == mine] == [
        r for r in before["lines"] if r[1] == mine]
    transport.edit = None
    caught_up = _sync(plaid, transport)
    assert caught_up.state == "success", caught_up.error
    assert caught_up.new > 0
    assert_books_match_bank(plaid)


def test_a_credit_account_s_owed_balance_and_amounts_keep_the_books_right(
    plaid: PlaidBooks, transport: Rewriting
) -> None:
    """Plaid reports a credit account's balance as what is owed (positive) and, as for
    any account, money out as a positive amount: the same bank seen as a card account
    must give the same books as seen as a current account."""

    def as_credit(_path: str, body: dict[str, Any]) -> dict[str, Any]:
        for account in body.get("accounts") or []:
            account["type"], account["subtype"] = "credit", "credit card"
            balances = account["balances"]
            for key in ("current", "available"):
                if balances.get(key) is not None:
                    balances[key] = -balances[key]
        return body

    transport.edit = as_credit
    first = _sync(plaid, transport)
    assert first.state == "success", first.error
    plaid.bank.world.advance(3)
    later = _sync(plaid, transport)
    assert later.state == "success", later.error
    assert later.balance_difference is None
    assert_books_match_bank(plaid)


def test_added_and_removed_in_one_sync_and_a_removal_never_booked_change_nothing(
    plaid: PlaidBooks, transport: Rewriting
) -> None:
    """A transaction Plaid adds and withdraws between two runs is never booked nor
    reversed; a removed id booksync never booked is no reason to write anything."""
    assert _sync(plaid, transport).state == "success"
    business = _business(plaid)
    plaid.bank.world.advance(1)
    day = plaid.bank.world.today.isoformat()
    added = {"transaction_id": "added-then-removed", "account_id": business, "pending": False,
             "amount": 44.1, "date": day, "iso_currency_code": "EUR",
             "name": "CARD ADDED THEN WITHDRAWN"}

    def unknown_removal(path: str, page: dict[str, Any]) -> dict[str, Any]:
        if path.endswith("/transactions/sync"):
            page["added"] = [*(page.get("added") or []), added]
            page["removed"] = [*(page.get("removed") or []),
                               {"account_id": business, "transaction_id": "added-then-removed"},
                               {"account_id": business, "transaction_id": "never-booked-1"},
                               {"transaction_id": "never-booked-2"}]
        return page

    transport.edit = unknown_removal
    before = plaid.books()
    result = _sync(plaid, transport)
    assert result.state == "success", result.error
    assert result.reversed == 0
    with plaid.factory() as session:
        labels = set(session.scalars(select(StatementLine.label)))
    assert not any("WITHDRAWN" in label or "Withdrawn" in label for label in labels)
    assert len(plaid.books()["lines"]) == len(before["lines"]) + result.new
    assert_books_match_bank(plaid)


@pytest.mark.parametrize(
    ("status", "error_type", "code", "state"),
    [(400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED", "reauth_required"),
     (429, "RATE_LIMIT_EXCEEDED", "TRANSACTIONS_SYNC_LIMIT", "rate_limited")],
)
def test_an_error_on_a_later_page_keeps_the_books_and_the_cursor(
    plaid: PlaidBooks, transport: Rewriting, status: int, error_type: str, code: str,
    state: str,
) -> None:
    """A loop cut short on its second page saved nothing: the pages read are dropped."""
    assert _sync(plaid, transport).state == "success"
    plaid.bank.world.advance(30)  # changes enough for several pages
    before = plaid.books()
    pages = {"n": 0}

    def second_page_fails(path: str, page: dict[str, Any]) -> dict[str, Any]:
        if path.endswith("/transactions/sync"):
            pages["n"] += 1
            if pages["n"] == 2:
                raise _Refused(status, error_type, code)
        return page

    transport.edit = second_page_fails
    result = _sync(plaid, transport)
    assert result.state == state, result.error
    assert code in (result.error or "")
    assert pages["n"] >= 2
    assert plaid.books() == before


class Snapshot(Rewriting):
    """Plaid from the first cursor: the Item's transactions as they are now, so none
    withdrawn before is named (the sandbox replays its whole log of changes instead).
    The pages of such a loop are told by their cursors, handed out here."""

    def __init__(self) -> None:
        super().__init__()
        self.withdrawn: set[str] = set()
        self.fresh: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        cursor = orjson.loads(request.content or b"{}").get("cursor")
        if (response.status_code != 200 or not request.url.path.endswith("/transactions/sync")
                or (cursor and cursor not in self.fresh)):
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        page = orjson.loads(body)
        page["removed"] = []
        page["added"] = [t for t in page.get("added") or []
                         if t["transaction_id"] not in self.withdrawn]
        if page.get("has_more"):
            self.fresh.add(page["next_cursor"])
        return httpx.Response(200, headers={"Content-Type": "application/json"},
                              content=orjson.dumps(page))


@pytest.fixture
def snapshots() -> Iterator[Snapshot]:
    found = Snapshot()
    yield found
    found.close()


def test_a_withdrawal_while_an_account_was_unlinked_is_reversed_when_it_is_linked(
    plaid: PlaidBooks, snapshots: Snapshot,
) -> None:
    """Linking an account later fetches its history from the first cursor, whose answer
    names nothing withdrawn: the accounts synced already still go on from the saved
    cursor, so what the bank withdrew from them meanwhile is reversed, not kept."""
    transport = snapshots
    world = plaid.bank.world
    savings = next(a for a in plaid.accounts if world.accounts[a].profile == "savings")
    business = next(a for a in plaid.accounts if world.accounts[a].profile == "business")
    with plaid.factory.begin() as session:
        account = session.get(ProviderAccount, plaid.accounts[savings])
        assert account is not None
        journal, account.journal_id = account.journal_id, None
    assert _sync(plaid, transport).state == "success"
    tx_id = plaid_id(world.accounts[business].booked[-1])
    plaid.plaid.withdraw(business, tx_id)
    transport.withdrawn.add(tx_id)
    with plaid.factory.begin() as session:
        account = session.get(ProviderAccount, plaid.accounts[savings])
        assert account is not None and account.watermark is None
        account.journal_id = journal
    result = _sync(plaid, transport)
    assert result.state == "success", result.error
    assert result.reversed == 1
    assert tx_id in (result.error or "")
    with plaid.factory() as session:
        savings_lines = session.scalar(select(func.count()).where(
            StatementLine.provider_account_id == plaid.accounts[savings]))
    assert savings_lines
    assert_books_match_bank(plaid)
    again = _sync(plaid, transport)
    assert again.state == "success" and again.reversed == 0
    assert_books_match_bank(plaid)
