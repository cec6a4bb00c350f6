"""Shared builders and checks for the sync tests: a sandbox bank linked to a company.

Everything the checks compare comes from the bank's own truth
(``World.state()``) and from fresh database reads, never from expected
numbers written into a test.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.connections import create_connection
from booksync.banking.models import (
    Connection,
    PendingTransaction,
    ProviderAccount,
    StatementLine,
    StatementSource,
    SyncRun,
    TransactionAlias,
)
from booksync.ledger.companies import create_company
from booksync.ledger.models import Company, Entry, Journal, Line
from booksync.ledger.rates import set_rate
from booksync.money import exponent, parse_amount, to_minor
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox.server import SandboxHandle
from booksync.sync.run import RetryPolicy, RunResult, SyncRunner

TODAY = dt.date(2026, 3, 10)
RATES = {"USD": "0.92", "JPY": "0.0061"}
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01)
HISTORY_DAYS = 30
"""History of the test connections: a month keeps each first sync small and fast."""


def make_company(factory: sessionmaker[Session], name: str) -> int:
    """A company (EUR, DE) with USD and JPY rates: foreign journals book at EUR value."""
    with factory.begin() as session:
        company = create_company(session, name, "EUR", "DE")
        for currency, rate in RATES.items():
            set_rate(session, company, currency, dt.date(2000, 1, 1), rate)
        return company.id


def add_rates(session: Session, company: Company) -> None:
    for currency, rate in RATES.items():
        set_rate(session, company, currency, dt.date(2000, 1, 1), rate)


@dataclass
class Books:
    """One company's SimpleFIN connection to one sandbox bank."""

    bank: SandboxHandle
    factory: sessionmaker[Session]
    company_id: int
    connection_id: int
    accounts: dict[str, int]  # provider account id -> ProviderAccount.id
    provider_timeout: float = 5.0
    runs: list[RunResult] = field(default_factory=list)

    def provider(self) -> SimpleFINProvider:
        return SimpleFINProvider(timeout=self.provider_timeout)

    def runner(self, **options: Any) -> SyncRunner:
        world = self.bank.world
        options.setdefault("today", lambda: world.today)
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("providers", lambda _name: self.provider())
        return SyncRunner(self.factory, **options)

    def sync(self, before_commit: Callable[[], None] | None = None, **options: Any) -> RunResult:
        since = options.pop("since", None)
        result = self.runner(**options).run(
            self.connection_id, since=since, before_commit=before_commit
        )
        self.runs.append(result)
        return result


def connect(
    factory: sessionmaker[Session],
    company_id: int,
    bank: SandboxHandle,
    *,
    currencies: Sequence[str] | None = None,
    profiles: Sequence[str] | None = None,
    history_days: int = HISTORY_DAYS,
    include_pending: bool = True,
) -> Books:
    """Claim a setup token over HTTP, list the accounts and make the connection."""
    with SimpleFINProvider(timeout=5.0) as provider:
        credentials = provider.claim(bank.setup_token())
        remote = provider.list_accounts(credentials)
    if currencies is not None:
        remote = [a for a in remote if a.currency in currencies]
    if profiles is not None:
        world = bank.world
        remote = [a for a in remote if world.accounts[a.id].profile in profiles]
    with factory.begin() as session:
        company = session.get(Company, company_id)
        assert company is not None
        connection = create_connection(
            session,
            company,
            credentials,
            remote,
            history_days=history_days,
            include_pending=include_pending,
        )
        accounts = {a.provider_account_id: a.id for a in connection.accounts}
        return Books(bank, factory, company_id, connection.id, accounts)


# -- reading the books ---------------------------------------------------------


def snapshot(factory: sessionmaker[Session], books: Books) -> dict[str, Any]:
    """Everything a run may write for the connection, as comparable values."""
    ids = list(books.accounts.values())
    with factory() as session:
        lines = session.execute(
            select(
                StatementLine.id,
                StatementLine.provider_account_id,
                StatementLine.date,
                StatementLine.amount,
                StatementLine.provider_transaction_id,
                StatementLine.entry_id,
                StatementLine.is_opening,
            )
            .where(StatementLine.provider_account_id.in_(ids))
            .order_by(StatementLine.id)
        ).all()
        entries = session.execute(
            select(Entry.id, Entry.state, Entry.number)
            .where(Entry.company_id == books.company_id)
            .order_by(Entry.id)
        ).all()
        entry_lines = session.scalar(
            select(func.count(Line.id)).where(Line.company_id == books.company_id)
        )
        aliases = session.execute(
            select(
                StatementSource.provider_account_id,
                TransactionAlias.transaction_id,
                TransactionAlias.statement_line_id,
            )
            .join(StatementSource, StatementSource.id == TransactionAlias.source_id)
            .where(StatementSource.provider_account_id.in_(ids))
            .order_by(StatementSource.provider_account_id, TransactionAlias.transaction_id)
        ).all()
        pending = sorted(
            session.execute(
                select(
                    PendingTransaction.provider_account_id,
                    PendingTransaction.transaction_id,
                    PendingTransaction.date,
                    PendingTransaction.amount,
                ).where(PendingTransaction.provider_account_id.in_(ids))
            ).all(),
            key=repr,
        )
        accounts = session.execute(
            select(
                ProviderAccount.id,
                ProviderAccount.watermark,
                ProviderAccount.balance,
                ProviderAccount.balance_date,
                ProviderAccount.balance_difference,
                ProviderAccount.last_sync,
            )
            .where(ProviderAccount.id.in_(ids))
            .order_by(ProviderAccount.id)
        ).all()
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        return {
            "lines": [tuple(r) for r in lines],
            "entries": [tuple(r) for r in entries],
            "entry_lines": entry_lines,
            "aliases": [tuple(r) for r in aliases],
            "pending": [tuple(r) for r in pending],
            "accounts": [tuple(r) for r in accounts],
            "last_refresh": connection.last_refresh,
        }


def connection_row(factory: sessionmaker[Session], books: Books) -> Connection:
    with factory() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        session.expunge(connection)
        return connection


def run_row(factory: sessionmaker[Session], run_id: int | None) -> SyncRun:
    assert run_id is not None
    with factory() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        session.expunge(run)
        return run


def first_window_start(factory: sessionmaker[Session], books: Books) -> dt.date:
    """Where the first successful run began: older bank history is in the opening line."""
    with factory() as session:
        start = session.scalar(
            select(SyncRun.window_start)
            .where(SyncRun.connection_id == books.connection_id, SyncRun.state == "success")
            .order_by(SyncRun.id)
            .limit(1)
        )
    assert start is not None, "no successful run yet"
    return start


# -- the checks ------------------------------------------------------------------


def _minor(amount: str, currency: str) -> int:
    return to_minor(parse_amount(amount), exponent(currency))


def bank_truth(books: Books) -> dict[str, dict[str, Any]]:
    """The bank's accounts (only the linked ones) from ``World.state()``."""
    state = books.bank.world.state(list(books.accounts))
    return {a["id"]: a for a in state["accounts"]}


def assert_exactly_once(factory: sessionmaker[Session], books: Books) -> None:
    """Every booked bank transaction since the first window is on exactly one line.

    Per account, from the bank's truth:

    - the lines (opening line aside) and the bank's booked transactions dated
      from the first run's window start have the same count and the same
      multiset of ``(date, amount)``: an id change keeps its one line, a
      pending transaction booked under a new id is one line;
    - every current bank id is an alias of a line with that transaction's
      date and amount, no two bank transactions share a line;
    - no id of a pending authorisation (still pending, or the one a booking
      replaced) is an alias: pending is never booked;
    - the journal's balance (sum of its lines) at the bank's as-of date is the
      bank's reported balance, and the run stored a zero difference.
    """
    start = first_window_start(factory, books)
    truth = bank_truth(books)
    with factory() as session:
        for remote_id, account_id in books.accounts.items():
            bank = truth[remote_id]
            currency = bank["currency"]
            booked = [
                t for t in bank["transactions"] if dt.date.fromisoformat(t["posted"]) >= start
            ]
            expected = Counter(
                (dt.date.fromisoformat(t["posted"]), _minor(t["amount"], currency)) for t in booked
            )
            rows = session.execute(
                select(
                    StatementLine.id,
                    StatementLine.date,
                    StatementLine.amount,
                    StatementLine.label,
                    StatementLine.is_opening,
                ).where(StatementLine.provider_account_id == account_id)
            ).all()
            openings = [r for r in rows if r.is_opening]
            lines = {r.id: (r.date, r.amount) for r in rows if not r.is_opening}
            labelled = {r.id: (r.date, r.amount, r.label) for r in rows}
            assert len(openings) <= 1, f"{bank['name']}: more than one opening line"
            assert all(o.date < start for o in openings)
            got = Counter(lines.values())
            assert sum(got.values()) == len(booked), (
                f"{bank['name']}: {sum(got.values())} lines for {len(booked)} bank transactions"
            )
            assert got == expected, (
                f"{bank['name']}: missing {expected - got}, extra {got - expected}"
            )
            alias_rows = session.execute(
                select(TransactionAlias.transaction_id, TransactionAlias.statement_line_id)
                .join(StatementSource, StatementSource.id == TransactionAlias.source_id)
                .where(StatementSource.provider_account_id == account_id)
            ).all()
            alias = {tid: line for tid, line in alias_rows}
            used: dict[int, str] = {}
            for t in booked:
                # The current id, or an id the bank used before (a change outside the
                # fetched window is never seen, and need not be: nothing refetches it).
                current = alias.get(t["id"])
                former = {alias[i] for i in t["former_ids"] if i in alias}
                owners = {current} if current is not None else former
                assert len(owners) == 1, (
                    f"{bank['name']}: bank transaction {t['id']} is on {len(owners)} lines"
                )
                (line_id,) = owners
                # A former id may sit on another line only when that line cannot be told
                # apart (same date, amount and label): the bank changed the ids of identical
                # transactions and gave no link between old and new, so either pairing is
                # the same books.
                for other in former - owners:
                    assert labelled[other] == labelled[line_id], (
                        f"{bank['name']}: bank transaction {t['id']} is on 2 distinct lines"
                    )
                assert lines[line_id] == (
                    dt.date.fromisoformat(t["posted"]),
                    _minor(t["amount"], currency),
                ), f"{bank['name']}: {t['id']} sits on a line of another date or amount"
                assert line_id not in used, (
                    f"{bank['name']}: {t['id']} and {used[line_id]} share one line"
                )
                used[line_id] = t["id"]
            pending_ids = {p["id"] for p in bank["pending"]}
            pending_ids |= {t["from_pending"] for t in bank["transactions"] if t["from_pending"]}
            assert not pending_ids & set(alias), f"{bank['name']}: a pending id was booked"
            as_of = dt.date.fromisoformat(bank["balance_date"])
            books_balance = sum(r.amount for r in rows if r.date <= as_of)
            assert books_balance == _minor(bank["balance"], currency), (
                f"{bank['name']}: journal {books_balance} vs bank {bank['balance']} on {as_of}"
            )
            account = session.get(ProviderAccount, account_id)
            assert account is not None
            assert account.balance == _minor(bank["balance"], currency)
            assert account.balance_date == as_of
            assert account.balance_difference == 0


def assert_pending_staged(factory: sessionmaker[Session], books: Books) -> None:
    """The staged pending rows are exactly the bank's visible pending list in the window."""
    truth = bank_truth(books)
    with factory() as session:
        for remote_id, account_id in books.accounts.items():
            bank = truth[remote_id]
            staged = Counter(
                session.execute(
                    select(PendingTransaction.transaction_id, PendingTransaction.amount).where(
                        PendingTransaction.provider_account_id == account_id
                    )
                ).all()
            )
            expected = Counter(
                (p["id"], _minor(p["amount"], bank["currency"])) for p in bank["pending"]
            )
            assert staged == expected, f"{bank['name']}: pending {staged} != bank {expected}"


def assert_ledger_consistent(factory: sessionmaker[Session], books: Books) -> None:
    """Every bank entry is posted and balanced; the bank ledger account matches the lines."""
    with factory() as session:
        for remote_id, account_id in books.accounts.items():
            account = session.get(ProviderAccount, account_id)
            assert account is not None and account.journal_id is not None
            journal = session.get(Journal, account.journal_id)
            assert journal is not None
            entries = session.scalars(select(Entry).where(Entry.journal_id == journal.id)).all()
            line_entries = set(
                session.scalars(
                    select(StatementLine.entry_id).where(
                        StatementLine.provider_account_id == account_id
                    )
                )
            )
            assert {e.id for e in entries} == line_entries, f"{remote_id}: entries without lines"
            for entry in entries:
                assert entry.state == "posted", f"entry {entry.id} is {entry.state}"
                debit = sum(ln.debit for ln in entry.lines)
                credit = sum(ln.credit for ln in entry.lines)
                assert debit == credit and debit > 0, f"entry {entry.id} does not balance"
                assert all(ln.posted for ln in entry.lines)
            bank_lines = session.execute(
                select(Line.debit, Line.credit, Line.amount_currency).where(
                    Line.account_id == journal.default_account_id
                )
            ).all()
            statement_total = session.scalar(
                select(func.coalesce(func.sum(StatementLine.amount), 0)).where(
                    StatementLine.provider_account_id == account_id
                )
            )
            if journal.currency_code is None:
                ledger = sum(d - c for d, c, _ in bank_lines)
            else:
                ledger = sum(a or 0 for _, _, a in bank_lines)
            assert ledger == statement_total, f"{remote_id}: ledger {ledger} != {statement_total}"


def total_decimal(values: Iterable[str]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))
