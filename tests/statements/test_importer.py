"""StatementImporter through a sync run, with a scripted provider for what the sandbox never sends.

Blank ids, alternative ids, incomplete answers, amounts that do not fit the
currency, balances that disagree with the books.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.connections import create_connection
from booksync.banking.models import (
    ProviderAccount,
    StatementLine,
    StatementSource,
    TransactionAlias,
)
from booksync.ledger.models import Company
from booksync.providers.base import (
    Balance,
    Batch,
    Credentials,
    Problem,
    Provider,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.base import ProviderAccount as RemoteAccount
from booksync.providers.simplefin import CAPABILITIES
from booksync.sync.run import RunResult, SyncRunner
from tests.sync.support import FAST_RETRY

TODAY = dt.date(2026, 3, 10)
SECRET = "http://user:hunter2-secret@127.0.0.1:9/simplefin"


class ScriptedProvider:
    """Answers each fetch with the batches the test set, for the window asked."""

    name = "simplefin"
    capabilities = CAPABILITIES

    def __init__(self) -> None:
        self.answer: list[tuple[str, Sequence[Transaction], Balance | None, bool]] = []

        self.problems: tuple[Problem, ...] = ()
        self.fill_missing = True  # accounts the test did not script answer empty

    def fetch(
        self,
        credentials: Credentials,
        account_ids: Sequence[str] | None,
        window: Window,
        *,
        include_pending: bool = False,
        cursor: str | None = None,
    ) -> list[Batch]:
        answer = list(self.answer)
        if self.fill_missing:
            scripted = {a for a, *_ in answer}
            answer += [(a, (), None, True) for a in account_ids or () if a not in scripted]
        return [
            Batch(
                account,
                window,
                booked=tuple(t for t in txs if t.status is TransactionStatus.BOOKED),
                pending=tuple(t for t in txs if t.status is TransactionStatus.PENDING),
                balance=balance,
                next_watermark=window.end if complete else None,
                problems=self.problems,
            )
            for account, txs, balance, complete in answer
        ]


def booked(
    tx_id: str | None, day: int, amount: str, text: str = "Payment", alt: tuple[str, ...] = ()
) -> Transaction:
    date = TODAY - dt.timedelta(days=day)
    raw = json.dumps({"id": tx_id, "amount": amount, "posted": str(date), "text": text})
    return Transaction(
        tx_id,
        TransactionStatus.BOOKED,
        Decimal(amount),
        "EUR",
        date,
        text,
        raw,
        alternative_ids=alt,
    )


def balance(amount: str, day: int = 0) -> Balance:
    return Balance(Decimal(amount), TODAY - dt.timedelta(days=day))


class Harness:
    def __init__(self, factory: sessionmaker[Session], company: Company) -> None:
        self.factory = factory
        self.provider = ScriptedProvider()
        with factory.begin() as session:
            connection = create_connection(
                session,
                session.merge(company),
                Credentials("simplefin", SECRET),
                [RemoteAccount("ACC-1", "Main", "EUR"), RemoteAccount("ACC-2", "Second", "EUR")],
                history_days=30,
            )
            self.connection_id = connection.id
            self.accounts = {a.provider_account_id: a.id for a in connection.accounts}

    def sync(self) -> RunResult:
        runner = SyncRunner(
            self.factory,
            providers=lambda _name: cast(Provider, self.provider),
            retry=FAST_RETRY,
            today=lambda: TODAY,
        )
        return runner.run(self.connection_id)

    def lines(self, remote: str = "ACC-1") -> list[tuple[dt.date, int, bool]]:
        with self.factory() as session:
            rows = session.execute(
                select(StatementLine.date, StatementLine.amount, StatementLine.is_opening)
                .where(StatementLine.provider_account_id == self.accounts[remote])
                .order_by(StatementLine.id)
            ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def account(self, remote: str = "ACC-1") -> ProviderAccount:
        with self.factory() as session:
            account = session.get(ProviderAccount, self.accounts[remote])
            assert account is not None
            session.expunge(account)
            return account


@pytest.fixture
def harness(factory: sessionmaker[Session], company: Company) -> Harness:
    return Harness(factory, company)


def test_identical_idless_payments_stay_two_and_are_not_booked_again(harness: Harness) -> None:
    twins = [booked(None, 2, "-4.50", "PARKING"), booked(None, 2, "-4.50", "PARKING")]
    harness.provider.answer = [("ACC-1", twins, None, True), ("ACC-2", [], None, True)]
    first = harness.sync()
    assert first.state == "success", first.error
    assert first.new == 2
    assert harness.lines() == [(TODAY - dt.timedelta(days=2), -450, False)] * 2
    again = harness.sync()
    assert (again.new, again.duplicates) == (0, 2)
    assert len(harness.lines()) == 2
    harness.provider.answer[0] = (
        "ACC-1",
        [*twins, booked(None, 2, "-4.50", "PARKING")],
        None,
        True,
    )
    third = harness.sync()
    assert (third.new, third.duplicates) == (1, 2)  # a third identical one is new


def test_alternative_ids_add_aliases_instead_of_duplicates(harness: Harness) -> None:
    harness.provider.answer = [("ACC-1", [booked("A", 1, "10.00")], None, True)]
    assert harness.sync().new == 1
    harness.provider.answer = [
        ("ACC-1", [booked("A-new-rule", 1, "10.00", alt=("A",))], None, True)
    ]
    result = harness.sync()
    assert (result.new, result.duplicates, result.updated) == (0, 1, 1)
    with harness.factory() as session:
        ids = set(
            session.scalars(
                select(TransactionAlias.transaction_id)
                .join(StatementSource, StatementSource.id == TransactionAlias.source_id)
                .where(StatementSource.provider_account_id == harness.accounts["ACC-1"])
            )
        )
    assert ids == {"A", "A-new-rule"}
    assert len(harness.lines()) == 1


def test_an_incomplete_answer_books_nothing_and_keeps_the_watermark(harness: Harness) -> None:
    harness.provider.answer = [
        ("ACC-1", [booked("A", 1, "10.00")], balance("10.00"), False),
        ("ACC-2", [booked("B", 1, "5.00")], balance("5.00"), True),
    ]
    result = harness.sync()
    assert result.state == "partial"
    assert result.error is not None and "incomplete" in result.error
    assert harness.lines("ACC-1") == []
    assert harness.account("ACC-1").watermark is None
    assert len(harness.lines("ACC-2")) == 1
    assert harness.account("ACC-2").watermark == TODAY + dt.timedelta(days=1)


def test_an_account_missing_from_the_answer_is_reported(harness: Harness) -> None:
    harness.provider.fill_missing = False
    harness.provider.answer = [("ACC-2", [], None, True)]
    result = harness.sync()
    assert result.state == "partial"
    assert result.error is not None and "Main: the bank sent no data" in result.error


def test_problems_of_a_complete_answer_are_recorded_and_the_rest_booked(harness: Harness) -> None:
    harness.provider.problems = (Problem("act.", "one account is slow today", "ACC-1"),)
    harness.provider.answer = [("ACC-1", [booked("A", 1, "1.00")], None, True)]
    result = harness.sync()
    assert result.state == "partial"
    assert result.error is not None and "one account is slow today" in result.error
    assert result.new == 1


def test_an_amount_that_does_not_fit_the_currency_writes_nothing_of_its_account(
        harness: Harness) -> None:
    """The account with the bad amount books nothing; the connection's other account
    books its line (docs/banking.md, "A synchronization run")."""
    harness.provider.answer = [
        ("ACC-2", [booked("OK", 1, "1.00")], None, True),
        ("ACC-1", [booked("A", 1, "1.00"), booked("B", 1, "1.001")], None, True),
    ]
    result = harness.sync()
    assert result.state == "partial", result.error
    assert result.error is not None and "does not fit EUR" in result.error
    assert harness.lines("ACC-1") == [] and len(harness.lines("ACC-2")) == 1


def test_opening_line_and_a_later_balance_difference(harness: Harness) -> None:
    txs = [booked("A", 5, "30.00"), booked("B", 3, "-10.00"), booked("C", 0, "7.00")]
    harness.provider.answer = [("ACC-1", txs, balance("120.00", day=1), True)]
    first = harness.sync()
    assert first.state == "success", first.error
    lines = harness.lines()
    opening = [ln for ln in lines if ln[2]]
    # 120.00 at the as-of date = opening + 30.00 - 10.00 (C is after the as-of date).
    assert [ln[1] for ln in opening] == [10000]
    assert opening[0][0] < TODAY - dt.timedelta(days=30)
    assert harness.account().balance_difference == 0
    # The bank now says 115.00 for the same date: the books hold 120.00.
    harness.provider.answer = [("ACC-1", txs, balance("115.00", day=1), True)]
    second = harness.sync()
    assert second.state == "success"
    assert second.balance_difference == "-5.00"
    assert harness.account().balance_difference == -500
    assert len(harness.lines()) == len(lines)


def test_no_balance_means_no_opening_line(harness: Harness) -> None:
    harness.provider.answer = [("ACC-1", [booked("A", 2, "3.00")], None, True)]
    assert harness.sync().state == "success"
    assert harness.lines() == [(TODAY - dt.timedelta(days=2), 300, False)]
