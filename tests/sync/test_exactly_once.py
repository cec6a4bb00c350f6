"""The exactly-once property (issue 3, "Tests"): random bank histories and sync runs.

Hypothesis interleaves the bank's movements (new transactions, pending ones
that book later under a new id, id changes, late back-dated postings,
same-day same-amount pairs, days passing with the sandbox's own activity)
with sync runs, some of them crashed between fetch and commit. After a final
successful sync, on SQLite and on PostgreSQL:

- every booked bank transaction is on exactly one statement line, with its
  date and amount (an id change keeps its one line);
- no pending transaction is booked;
- each journal's balance equals the bank's balance at the bank's as-of date.

Each example gets a fresh sandbox world and a fresh company.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from booksync.money import format_minor
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from booksync.sync.run import RunAborted
from tests.sync.support import (
    TODAY,
    Books,
    assert_exactly_once,
    assert_ledger_consistent,
    assert_pending_staged,
    connect,
    make_company,
)

AMOUNTS = (-1250, -1250, 4000, -725)
"""Minor units drawn from a small pool, so same amounts meet near each other."""


@dataclass(frozen=True)
class Step:
    kind: str
    account: int = 0
    amount: int = 0
    days: int = 0
    pick: int = 0


_account = st.integers(0, 2)
_amount = st.sampled_from(AMOUNTS)
STEPS = st.one_of(
    st.builds(Step, st.just("new"), _account, _amount),
    st.builds(Step, st.just("pending"), _account, _amount, st.integers(1, 3)),
    st.builds(Step, st.just("book_pending"), _account, pick=st.integers(0, 20)),
    st.builds(
        Step, st.just("change_id"), _account, days=st.integers(0, 12), pick=st.integers(0, 50)
    ),
    st.builds(Step, st.just("late"), _account, _amount, st.integers(1, 8)),
    st.builds(Step, st.just("pair"), _account, _amount),
    st.builds(Step, st.just("advance"), days=st.integers(1, 4)),
    st.builds(Step, st.just("sync")),
    st.builds(Step, st.just("crash"), pick=st.integers(0, 1)),
)


def _crash_abort() -> None:
    raise RunAborted("crash between fetch and commit")


def _crash_other() -> None:
    raise RuntimeError("the process died between fetch and commit")


def _apply(step: Step, bank: SandboxHandle, books: Books, accounts: list[str]) -> None:
    world = bank.world
    account_id = accounts[step.account % len(accounts)]
    account = world.accounts[account_id]
    amount = format_minor(step.amount * 10 ** max(account.exponent - 2, 0), account.exponent)
    today = world.today
    if step.kind == "new":
        world.add_transactions(account_id, [{"amount": amount, "description": "NEW"}])
    elif step.kind == "pending":
        world.add_transactions(
            account_id,
            [
                {
                    "amount": amount,
                    "description": "CARD",
                    "pending": True,
                    "book_after_days": step.days,
                }
            ],
        )
    elif step.kind == "book_pending":
        waiting = [t for t in account.pending.values() if t.linger_until is None]
        if waiting:
            world.book_pending(account_id, waiting[step.pick % len(waiting)].id)
    elif step.kind == "change_id":
        since = today - dt.timedelta(days=step.days)
        recent = account.booked_between(since, today)
        if recent:
            world.change_id(account_id, recent[step.pick % len(recent)].id)
    elif step.kind == "late":
        posted = (today - dt.timedelta(days=step.days)).isoformat()
        world.add_transactions(
            account_id, [{"amount": amount, "description": "LATE", "posted": posted}]
        )
    elif step.kind == "pair":
        spec = {"amount": amount, "description": "PARKING PAIR"}
        world.add_transactions(account_id, [spec, dict(spec)])
    elif step.kind == "advance":
        world.advance(step.days)
    elif step.kind == "sync":
        result = books.sync()
        assert result.state == "success", result.error
    elif step.kind == "crash":
        crash = (_crash_abort, _crash_other)[step.pick % 2]
        result = books.sync(before_commit=crash)
        assert result.state == "error"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 10_000), steps=st.lists(STEPS, min_size=1, max_size=14))
def test_every_booked_transaction_is_in_the_journal_exactly_once(
    factory: sessionmaker[Session], seed: int, steps: list[Step]
) -> None:
    bank = start(world=World(seed, today=TODAY, history_days=30))
    try:
        company_id = make_company(factory, f"Exactly once {uuid.uuid4().hex[:12]}")
        books = connect(factory, company_id, bank, profiles=("business", "jpy"), history_days=12)
        accounts = sorted(books.accounts)
        for step in steps:
            _apply(step, bank, books, accounts)
        final = books.sync()
        assert final.state == "success", final.error
        assert_exactly_once(factory, books)
        assert_pending_staged(factory, books)
        assert_ledger_consistent(factory, books)
    finally:
        bank.stop()
