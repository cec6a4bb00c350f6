"""Batches of changes from a cursor-based provider, through a real sync run and database.

What a cursor provider's batch asks of the importer (docs/banking.md, "A
synchronization run"): a withdrawn booked transaction is reversed by a
counter-line, once, never deleted; withdrawn or posted pending ones leave the
staged list while the others stay; and no line is claimed as an orphan.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.connections import create_connection
from booksync.banking.models import Connection, PendingTransaction, StatementLine, SyncRun
from booksync.ledger.models import Company, Entry
from booksync.providers.base import (
    Balance,
    Batch,
    Credentials,
    Provider,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.providers.plaid import CAPABILITIES
from booksync.sync.run import RunResult, SyncRunner
from tests.sync.support import FAST_RETRY

TODAY = dt.date(2026, 3, 10)


def tx(tx_id: str, day: int, amount: str, *, pending: bool = False, link: str | None = None,
       alt: tuple[str, ...] = ()) -> Transaction:
    date = TODAY - dt.timedelta(days=day)
    return Transaction(
        tx_id,
        TransactionStatus.PENDING if pending else TransactionStatus.BOOKED,
        Decimal(amount),
        "EUR",
        date,
        f"Payment {tx_id}",
        json.dumps({"id": tx_id, "amount": amount}),
        alternative_ids=alt,
        pending_link_id=link,
    )


class Changes:
    """A cursor provider that answers what the test scripts, one cursor step a fetch."""

    name = "plaid"
    capabilities = CAPABILITIES

    def __init__(self) -> None:
        self.booked: list[Transaction] = []
        self.pending: list[Transaction] = []
        self.removed: list[str] = []
        self.balance = "0.00"
        self.cursors: list[str | None] = []

    def fetch(self, credentials: Credentials, account_ids: list[str] | None, window: Window, *,
              include_pending: bool = False, cursor: str | None = None) -> list[Batch]:
        self.cursors.append(cursor)
        step = f"c{len(self.cursors)}"
        return [Batch("ACC-1", window, booked=tuple(self.booked), pending=tuple(self.pending),
                      balance=Balance(Decimal(self.balance), TODAY), next_cursor=step,
                      removed=tuple(self.removed))]

    def then(self, booked: list[Transaction] = [], pending: list[Transaction] = [],  # noqa: B006
             removed: list[str] = [], balance: str | None = None) -> None:  # noqa: B006
        self.booked, self.pending, self.removed = list(booked), list(pending), list(removed)
        self.balance = balance or self.balance


class Harness:
    def __init__(self, factory: sessionmaker[Session], company: Company) -> None:
        self.factory = factory
        self.provider = Changes()
        with factory.begin() as session:
            connection = create_connection(
                session, session.merge(company),
                Credentials("plaid", '{"access_token": "access-x"}'),
                [RemoteAccount("ACC-1", "Checking", "EUR")], history_days=30,
            )
            self.connection_id = connection.id

    def sync(self) -> RunResult:
        runner = SyncRunner(self.factory, providers=lambda _n: cast(Provider, self.provider),
                            retry=FAST_RETRY, today=lambda: TODAY)
        result = runner.run(self.connection_id)
        assert result.state == "success", result.error
        return result

    def lines(self) -> list[tuple[str | None, int, str]]:
        with self.factory() as session:
            return [
                (r.provider_transaction_id, r.amount, r.label)
                for r in session.scalars(select(StatementLine).order_by(StatementLine.id))
                if not r.is_opening
            ]

    def staged(self) -> set[str | None]:
        with self.factory() as session:
            return set(session.scalars(select(PendingTransaction.transaction_id)))

    def reversed(self, result: RunResult) -> int:
        with self.factory() as session:
            run = session.get(SyncRun, result.run)
            assert run is not None
            return run.reversed


@pytest.fixture
def harness(factory: sessionmaker[Session], company: Company) -> Harness:
    return Harness(factory, company)


def test_a_withdrawn_booked_line_gets_one_counter_line(harness: Harness) -> None:
    harness.provider.then([tx("A", 3, "-25.00", alt=("A-old",)), tx("B", 2, "100.00")],
                          balance="75.00")
    harness.sync()
    with harness.factory() as session:
        line_a = session.scalars(
            select(StatementLine).where(StatementLine.provider_transaction_id == "A")
        ).one()
        line_id, entry_id = line_a.id, line_a.entry_id
    harness.provider.then(removed=["A"], balance="100.00")
    result = harness.sync()
    assert harness.reversed(result) == 1
    assert result.state == "success" and result.error is not None and "(A)" in result.error
    assert harness.lines() == [
        ("A", -2500, "Payment A"),
        ("B", 10000, "Payment B"),
        ("~withdrawn:A", 2500, f"Withdrawn by the bank, reverses line {line_id}: Payment A"),
    ]
    with harness.factory() as session:
        assert session.get(Entry, entry_id) is not None  # the posted entry stays
        counter = session.scalars(
            select(StatementLine).where(StatementLine.provider_transaction_id == "~withdrawn:A")
        ).one()
        assert counter.date == TODAY  # the bank's balance date: the books add up to it
        entry = session.get(Entry, counter.entry_id)
        assert entry is not None and entry.state == "posted"
        connection = session.get(Connection, harness.connection_id)
        assert connection is not None and connection.sync_cursor == "c2"
        difference = session.scalar(select(SyncRun.balance_difference).where(
            SyncRun.id == result.run))
        assert not difference
    # The same removal again, or by another id of the line, or of an unknown id: nothing.
    for removed in (["A"], ["A-old"], ["never-booked"]):
        harness.provider.then(removed=removed)
        again = harness.sync()
        assert harness.reversed(again) == 0 and again.error is None
    assert len(harness.lines()) == 3


def test_pending_ones_leave_the_staged_list_only_when_settled(harness: Harness) -> None:
    harness.provider.then(pending=[tx("P1", 1, "-5.00", pending=True),
                                   tx("P2", 1, "-6.00", pending=True),
                                   tx("P3", 1, "-7.00", pending=True)])
    harness.sync()
    assert harness.staged() == {"P1", "P2", "P3"}
    harness.provider.then(pending=[tx("P4", 0, "-8.00", pending=True)])
    harness.sync()  # changes only: the others stay staged
    assert harness.staged() == {"P1", "P2", "P3", "P4"}
    harness.provider.then(
        booked=[tx("T1", 0, "-5.00", link="P1")],
        pending=[tx("P3", 1, "-7.50", pending=True)],  # changed while pending
        removed=["P2"],
    )
    result = harness.sync()
    assert harness.staged() == {"P3", "P4"}
    assert harness.reversed(result) == 0
    with harness.factory() as session:
        amount = session.scalar(
            select(PendingTransaction.amount).where(PendingTransaction.transaction_id == "P3")
        )
    assert amount == -750
    assert [line[0] for line in harness.lines()] == ["T1"]


def test_changes_claim_no_orphan_lines(harness: Harness) -> None:
    harness.provider.then([tx("A", 4, "-9.99")])
    harness.sync()
    # A new transaction of the same amount two days later is another payment, even
    # though the earlier line's id did not come back (only changes come).
    harness.provider.then([tx("B", 2, "-9.99")])
    result = harness.sync()
    assert (result.new, result.updated) == (1, 0)
    assert [line[0] for line in harness.lines()] == ["A", "B"]
    assert harness.provider.cursors == [None, "c1"]
