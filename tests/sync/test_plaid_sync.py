"""Plaid end to end: the sandbox bank over loopback HTTP, a real database, the real run.

Each test connects the sandbox's Nordwerk Bank through the Plaid use case
(``booksync.app.connect_plaid``), runs the sync engine with the Plaid provider
(small pages, so a history takes several), and checks the books against the
bank's truth: the world's transactions, and what the sandbox's Plaid view
shows (docs/banking.md, "Plaid").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from booksync.app.connect_plaid import connect_plaid
from booksync.banking.models import (
    Connection,
    PendingTransaction,
    ProviderAccount,
    StatementLine,
    StatementSource,
    SyncRun,
    TransactionAlias,
)
from booksync.ledger.models import Company
from booksync.money import parse_amount, to_minor
from booksync.providers.plaid import PlaidProvider
from booksync.providers.plaid_http import PlaidKeys
from booksync.sandbox.plaid_bank import PlaidBank
from booksync.sandbox.plaid_feed import plaid_id
from booksync.sandbox.server import SandboxHandle
from booksync.sync.outcome import RetryPolicy
from booksync.sync.run import RunResult, SyncRunner
from tests.sync.support import FAST_RETRY, HISTORY_DAYS, snapshot

CLIENT, SECRET = "booksync-test", "plaid-test-secret-0123456789"
PAGE = 40


@dataclass
class PlaidBooks:
    """A company's Plaid connection to the sandbox's Nordwerk Bank."""

    bank: SandboxHandle
    factory: sessionmaker[Session]
    engine: Engine
    connection_id: int
    accounts: dict[str, int]  # provider account id -> ProviderAccount.id
    company_id: int

    @property
    def plaid(self) -> PlaidBank:
        return PlaidBank.of(self.bank.server)

    def sync(self, retry: RetryPolicy = FAST_RETRY) -> RunResult:
        world = self.bank.world
        runner = SyncRunner(
            self.factory,
            providers=lambda _name: PlaidProvider(page_size=PAGE, timeout=10),
            retry=retry,
            today=lambda: world.today,
        )
        return runner.run(self.connection_id)

    def cursor(self) -> str | None:
        with self.factory() as session:
            connection = session.get(Connection, self.connection_id)
            assert connection is not None
            return connection.sync_cursor

    def books(self) -> dict[str, Any]:
        """What a run writes, for comparing before and after a failed run."""
        found = snapshot(self.factory, self)  # type: ignore[arg-type]
        found.pop("last_refresh")
        return {**found, "cursor": self.cursor()}


@pytest.fixture
def plaid(
    factory: sessionmaker[Session], engine: Engine, company: Company, bank: SandboxHandle
) -> PlaidBooks:
    view = connect_plaid(
        engine,
        None,
        keys=PlaidKeys(CLIENT, SECRET, f"{bank.url}/plaid"),
        sandbox_institution="ins_nordwerk",
        interval_seconds=3600,
        history_days=HISTORY_DAYS,
        include_pending=True,
        links={},
    )
    with factory() as session:
        connection = session.get(Connection, view.id)
        assert connection is not None
        accounts = {a.provider_account_id: a.id for a in connection.accounts}
    return PlaidBooks(bank, factory, engine, view.id, accounts, company.id)


# -- the bank's truth ---------------------------------------------------------------


def _minor(text: str, currency: str = "EUR") -> int:
    return to_minor(parse_amount(text), 0 if currency == "JPY" else 2)


def _first_start(plaid: PlaidBooks) -> dt.date:
    with plaid.factory() as session:
        start = session.scalar(
            select(SyncRun.window_start)
            .where(SyncRun.connection_id == plaid.connection_id, SyncRun.state == "success")
            .order_by(SyncRun.id)
            .limit(1)
        )
    assert start is not None
    return start


def assert_books_match_bank(plaid: PlaidBooks) -> None:
    """Each booked bank transaction since the first window is on exactly one line, under
    its Plaid id; no pending id is booked; the staged pending list is the bank's; and
    each journal adds up to the balance Plaid reports at its as-of date."""
    start = _first_start(plaid)
    world = plaid.bank.world
    withdrawn = plaid.plaid.withdrawn
    with plaid.factory() as session:
        for remote, account_id in plaid.accounts.items():
            account = world.accounts[remote]
            booked = [t for t in account.booked if t.posted and t.posted >= start]
            wanted = Counter((plaid_id(t), t.posted, t.amount) for t in booked)
            aliases = {
                tid: line
                for tid, line in session.execute(
                    select(TransactionAlias.transaction_id, TransactionAlias.statement_line_id)
                    .join(StatementSource, StatementSource.id == TransactionAlias.source_id)
                    .where(StatementSource.provider_account_id == account_id)
                )
            }
            rows = {
                r.id: r
                for r in session.execute(
                    select(StatementLine).where(StatementLine.provider_account_id == account_id)
                ).scalars()
            }
            got = Counter(
                (r.provider_transaction_id, r.date, r.amount)
                for r in rows.values()
                if not r.is_opening and not r.provider_transaction_id.startswith("~")
            )
            assert got == wanted, f"{account.name}: missing {wanted - got}, extra {got - wanted}"
            assert all(aliases[plaid_id(t)] for t in booked)
            pending = {t.id for t in account.pending.values()}
            pending |= {t.from_pending for t in account.booked if t.from_pending}
            assert not pending & set(aliases), f"{account.name}: a pending id was booked"
            staged = Counter(
                (tid, amount)
                for tid, amount in session.execute(
                    select(PendingTransaction.transaction_id, PendingTransaction.amount).where(
                        PendingTransaction.provider_account_id == account_id
                    )
                )
            )
            waiting = Counter(
                (t.id, t.amount) for t in account.pending.values() if t.linger_until is None
            )
            assert staged == waiting, f"{account.name}: staged {staged} != bank {waiting}"
            as_of = world.balance_date(remote)
            taken = sum(w.amount for (a, _), w in withdrawn.items() if a == remote
                        and w.posted <= as_of)
            total = sum(r.amount for r in rows.values() if r.date <= as_of)
            assert total == account.balance(as_of) - taken, f"{account.name}: balance"


def _run_row(plaid: PlaidBooks, run_id: int | None) -> SyncRun:
    with plaid.factory() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        session.expunge(run)
        return run


# -- the tests ----------------------------------------------------------------------


def test_each_posted_transaction_is_booked_once_and_the_cursor_moves_on(
    plaid: PlaidBooks,
) -> None:
    assert plaid.cursor() is None
    first = plaid.sync()
    assert first.state == "success", first.error
    assert first.new > PAGE  # the history took several pages
    assert_books_match_bank(plaid)
    cursor = plaid.cursor()
    assert cursor
    again = plaid.sync()
    assert (again.state, again.new, again.fetched) == ("success", 0, 0)
    assert plaid.cursor() == cursor  # nothing new: the same position
    plaid.bank.world.advance(4)
    later = plaid.sync()
    assert later.state == "success", later.error
    assert later.new > 0
    assert plaid.cursor() != cursor
    assert_books_match_bank(plaid)


def test_a_pending_payment_then_its_posting_is_one_line(plaid: PlaidBooks) -> None:
    world = plaid.bank.world
    remote = next(a for a in plaid.accounts if world.accounts[a].profile == "business")
    (pending_id,) = world.add_transactions(
        remote,
        [{"amount": "-87.65", "description": "CARD HOTEL LAC", "pending": True,
          "book_after_days": 1}],
    )
    assert plaid.sync().state == "success"
    with plaid.factory() as session:
        staged = set(session.scalars(select(PendingTransaction.transaction_id)))
    assert pending_id in staged
    world.advance(1)
    posted = next(t for t in world.accounts[remote].booked if t.from_pending == pending_id)
    result = plaid.sync()
    assert result.state == "success", result.error
    with plaid.factory() as session:
        lines = session.execute(
            select(StatementLine.provider_transaction_id, StatementLine.amount).where(
                StatementLine.label == "CARD HOTEL LAC"
            )
        ).all()
        staged = set(session.scalars(select(PendingTransaction.transaction_id)))
    assert lines == [(posted.id, -8765)]
    assert pending_id not in staged
    assert_books_match_bank(plaid)


def test_a_withdrawn_booked_transaction_is_reversed_never_deleted(plaid: PlaidBooks) -> None:
    assert plaid.sync().state == "success"
    world = plaid.bank.world
    remote = next(a for a in plaid.accounts if world.accounts[a].profile == "business")
    victim = world.accounts[remote].booked[-1]
    tx_id = plaid_id(victim)
    with plaid.factory() as session:
        original = session.execute(
            select(StatementLine.id, StatementLine.amount, StatementLine.entry_id).where(
                StatementLine.provider_transaction_id == tx_id
            )
        ).one()
    plaid.plaid.withdraw(remote, tx_id)
    result = plaid.sync()
    assert result.state == "success", result.error
    run = _run_row(plaid, result.run)
    assert run.reversed == 1
    assert result.error is not None and "withdrew 1 booked transaction" in result.error
    assert tx_id in result.error
    with plaid.factory() as session:
        kept = session.get(StatementLine, original.id)
        assert kept is not None and kept.amount == original.amount  # never deleted
        counter = session.execute(
            select(StatementLine).where(
                StatementLine.provider_transaction_id == f"~withdrawn:{tx_id}"
            )
        ).scalar_one()
        assert counter.amount == -original.amount
        assert "Withdrawn by the bank" in counter.label
        assert f"line {original.id}" in counter.label
        assert counter.entry_id != original.entry_id
    assert_books_match_bank(plaid)
    again = plaid.sync()
    assert again.state == "success" and _run_row(plaid, again.run).reversed == 0
    with plaid.factory() as session:
        counters = session.scalar(
            select(func.count()).where(StatementLine.provider_transaction_id.like("~withdrawn:%"))
        )
    assert counters == 1


def test_a_modified_booked_transaction_keeps_its_one_line(plaid: PlaidBooks) -> None:
    assert plaid.sync().state == "success"
    world = plaid.bank.world
    remote = next(a for a in plaid.accounts if world.accounts[a].profile == "business")
    tx_id = plaid_id(world.accounts[remote].booked[-1])
    before = plaid.books()
    plaid.plaid.rename(remote, tx_id, "CARD KIOSK (merchant name cleaned up)")
    result = plaid.sync()
    assert (result.state, result.new, result.duplicates) == ("success", 0, 1)
    after = plaid.books()
    assert after["lines"] == before["lines"] and after["cursor"] != before["cursor"]
    assert_books_match_bank(plaid)


def test_an_account_linked_later_gets_its_history(plaid: PlaidBooks) -> None:
    world = plaid.bank.world
    savings = next(a for a in plaid.accounts if world.accounts[a].profile == "savings")
    with plaid.factory.begin() as session:
        account = session.get(ProviderAccount, plaid.accounts[savings])
        assert account is not None
        journal, account.journal_id = account.journal_id, None
    assert plaid.sync().state == "success"
    world.advance(3)
    assert plaid.sync().state == "success"
    with plaid.factory.begin() as session:
        account = session.get(ProviderAccount, plaid.accounts[savings])
        assert account is not None and account.watermark is None
        account.journal_id = journal
    before = plaid.books()["lines"]
    result = plaid.sync()  # from the first cursor: the savings account's whole window
    assert result.state == "success", result.error
    with plaid.factory() as session:
        booked = session.scalar(select(func.count()).where(
            StatementLine.provider_account_id == plaid.accounts[savings],
            StatementLine.is_opening.is_(False)))
    assert result.new == booked > 0  # the other account's lines: nothing new, nothing again
    assert len(plaid.books()["lines"]) == len(before) + booked + 1  # and the opening
    assert_books_match_bank(plaid)

