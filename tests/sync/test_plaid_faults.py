"""Plaid end to end when things go wrong: failed pages, mutations, lost logins, bad answers.

docs/banking.md, "Plaid".  The same connection and checks as
``test_plaid_sync``: each failure either writes nothing and keeps the cursor,
or is recovered from, and afterwards every transaction is booked once.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from booksync.app.connect_plaid import renew_plaid
from booksync.banking.models import Connection, StatementLine, SyncRun
from booksync.sync.outcome import RetryPolicy
from tests.sync.test_plaid_sync import SECRET, PlaidBooks, assert_books_match_bank, plaid

__all__ = ["plaid"]  # the fixture, shared with test_plaid_sync


def test_a_failure_on_page_three_saves_nothing_and_the_next_run_starts_over(
    plaid: PlaidBooks,
) -> None:
    plaid.plaid.add_fault("http_500", page=3)
    before = plaid.books()
    failed = plaid.sync(retry=RetryPolicy(attempts=1, base_delay=0))
    assert failed.state == "error"
    assert failed.error is not None and "HTTP 500" in failed.error
    assert plaid.books() == before  # no line, no pending, no cursor
    done = plaid.sync()
    assert done.state == "success", done.error
    assert_books_match_bank(plaid)
    # A later loop fails too: the saved cursor stays where the last good run left it.
    cursor = plaid.cursor()
    plaid.bank.world.advance(30)
    plaid.plaid.add_fault("http_500", page=2)
    before = plaid.books()
    assert plaid.sync(retry=RetryPolicy(attempts=1, base_delay=0)).state == "error"
    assert plaid.books() == before and plaid.cursor() == cursor
    assert plaid.sync().state == "success"
    assert_books_match_bank(plaid)


def test_a_mutation_during_pagination_restarts_the_loop_and_books_each_once(
    plaid: PlaidBooks,
) -> None:
    plaid.plaid.add_fault("mutation", page=2)
    result = plaid.sync()
    assert result.state == "success", result.error
    assert not plaid.plaid.faults  # the fault was met, and the loop started over
    assert_books_match_bank(plaid)
    # A real change while paging: the world moves between two pages.
    plaid.bank.world.advance(20)
    world = plaid.bank.world
    moved = {"done": False}
    original = plaid.plaid.sync

    def sync_then_move(*args: Any, **kwargs: Any) -> Any:
        answer = original(*args, **kwargs)
        if not moved["done"]:
            moved["done"] = True
            world.advance(1)
        return answer

    plaid.plaid.sync = sync_then_move  # type: ignore[method-assign]
    try:
        assert plaid.sync().state == "success"
    finally:
        del plaid.plaid.sync
    assert_books_match_bank(plaid)


def test_login_required_stops_the_connection_until_renewed_then_it_catches_up(
    plaid: PlaidBooks,
) -> None:
    assert plaid.sync().state == "success"
    cursor = plaid.cursor()
    plaid.plaid.require_login()
    plaid.bank.world.advance(3)
    failed = plaid.sync()
    assert failed.state == "reauth_required"
    assert failed.error is not None and "ITEM_LOGIN_REQUIRED" in failed.error
    with plaid.factory() as session:
        connection = session.get(Connection, plaid.connection_id)
        assert connection is not None
        assert connection.state == "reauth_required" and connection.next_sync_at is None
    assert plaid.cursor() == cursor
    assert plaid.sync().state == "error"  # a run refuses until the connection is renewed
    waiting = renew_plaid(plaid.engine, None, plaid.connection_id)
    assert waiting.link_token and waiting.connection.state == "reauth_required"
    plaid.plaid.require_login(required=False)  # the user signed in again in Link
    renewed = renew_plaid(plaid.engine, None, plaid.connection_id)
    assert renewed.link_token is None and renewed.connection.state == "connected"
    caught_up = plaid.sync()
    assert caught_up.state == "success", caught_up.error
    assert caught_up.new > 0
    assert_books_match_bank(plaid)


@pytest.mark.parametrize("variant", ["not_json", "shape", "amount", "no_cursor"])
def test_a_malformed_answer_writes_nothing(plaid: PlaidBooks, variant: str) -> None:
    plaid.plaid.add_fault("malformed", variant=variant)
    before = plaid.books()
    result = plaid.sync()
    assert result.state == "error"
    assert result.error is not None and "malformed" in result.error
    assert plaid.books() == before


@pytest.mark.parametrize("written", ["padded", "exponent"])
def test_amounts_written_any_way_json_allows_stay_exact(plaid: PlaidBooks, written: str) -> None:
    assert plaid.sync().state == "success"
    world = plaid.bank.world
    remote = next(a for a in plaid.accounts if world.accounts[a].profile == "business")
    world.add_transactions(
        remote,
        [
            {"amount": "1234567890.12", "description": "BIG TRANSFER IN"},
            {"amount": "-0.07", "description": "ROUNDING FEE"},
        ],
    )
    plaid.plaid.add_fault("amounts", variant=written)
    result = plaid.sync()
    assert result.state == "success", result.error
    assert not plaid.plaid.faults
    with plaid.factory() as session:
        amounts = {
            label: amount
            for label, amount in session.execute(
                select(StatementLine.label, StatementLine.amount).where(
                    StatementLine.label.in_(["BIG TRANSFER IN", "ROUNDING FEE"])
                )
            )
        }
    assert amounts == {"BIG TRANSFER IN": 123456789012, "ROUNDING FEE": -7}
    assert_books_match_bank(plaid)


def test_a_fraction_the_currency_cannot_hold_is_refused_not_rounded(plaid: PlaidBooks) -> None:
    assert plaid.sync().state == "success"
    plaid.bank.world.advance(5)
    plaid.plaid.add_fault("amounts", variant="excess")  # 41.720000001 and the like
    before = plaid.books()
    result = plaid.sync()
    assert result.state in ("error", "partial")  # the run, or the accounts that failed
    assert result.error is not None and "does not fit EUR" in result.error
    assert plaid.books() == before  # not a line, not the cursor
    assert plaid.sync().state == "success"  # the same changes, written plainly
    assert_books_match_bank(plaid)


def test_secrets_stay_out_of_errors_and_logs(
    plaid: PlaidBooks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    plaid.plaid.add_fault("echo")
    result = plaid.sync()
    assert result.state == "error"
    with plaid.factory() as session:
        item = next(iter(plaid.plaid.items.values()))
        stored = [
            r.error or ""
            for r in session.scalars(
                select(SyncRun).where(SyncRun.connection_id == plaid.connection_id)
            )
        ]
        connection = session.get(Connection, plaid.connection_id)
        assert connection is not None
        stored.append(connection.last_error or "")
    assert result.error is not None and "you sent" in result.error  # the echo came back
    for text in [result.error, *stored, caplog.text]:
        assert SECRET not in text
        assert item.access_token not in text
