"""The scheduler (docs/banking.md): which connections are due, leases, workers.

Selection, leases and catch-up run on SQLite and PostgreSQL through a tiny
in-memory provider (the ``providers=`` seam), so only the claiming and the
sync engine are under test.  The ``--once`` CLI test goes end to end over
loopback HTTP to the sandbox bank.  The two-worker test is PostgreSQL's:
it proves ``FOR UPDATE SKIP LOCKED`` on the real server hands every due
connection to exactly one worker.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from booksync.banking.connections import create_connection, disconnect
from booksync.banking.models import Connection, SyncRun
from booksync.cli.main import run as cli
from booksync.db.engine import make_engine, session_factory
from booksync.ledger.companies import create_company
from booksync.ledger.models import Company
from booksync.providers.base import (
    Balance,
    Batch,
    Credentials,
    Provider,
    ProviderAccount,
    Transaction,
    TransactionStatus,
    Window,
)
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox.server import start
from booksync.sync.run import LEASE, SyncRunner
from booksync.sync.scheduler import Worker, claim_due

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
SECRET = "http://user-9f2c:pass-77aa1e@127.0.0.1:9/simplefin"


class Clock:
    """A settable clock shared by every thread of a test."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class FakeBank:
    """Three booked transactions per account per fetch; records who asked."""

    name = "simplefin"

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.delay = delay
        self.fail = fail
        self.calls = 0
        self._lock = threading.Lock()

    def fetch(
        self,
        credentials: Credentials,
        account_ids: Sequence[str] | None,
        window: Window,
        *,
        include_pending: bool = False,
        cursor: str | None = None,
    ) -> list[Batch]:
        with self._lock:
            self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the bank's adapter has a bug")
        booked = tuple(
            Transaction(
                f"T{i}",
                TransactionStatus.BOOKED,
                Decimal("12.50"),
                "EUR",
                window.start + dt.timedelta(days=i),
                f"Payment {i}",
                "{}",
            )
            for i in range(3)
        )
        return [
            Batch(
                account_id,
                window,
                booked,
                balance=Balance(Decimal("37.50"), window.start + dt.timedelta(days=3)),
                next_watermark=window.end,
            )
            for account_id in account_ids or ()
        ]


def _seam(bank: FakeBank) -> object:
    return lambda name: cast(Provider, bank)


def _connect(
    session: Session, company: Company, n: int = 1, *, share: bool = False, **values: object
) -> list[int]:
    """``n`` connections due at T0 (one linked account each), with ``values`` set.

    ``share``: every account after the first books into the first one's
    journal (a company's bank journal codes run out after 90 journals).
    """
    ids = []
    journal: dict[str, str] = {}
    for _ in range(n):
        connection = create_connection(
            session,
            company,
            Credentials("simplefin", SECRET, "test"),
            [ProviderAccount("ACC-1", "Checking", "EUR")],
            interval_seconds=3600,
            links=journal,
        )
        if share and not journal:
            linked = connection.accounts[0].journal
            assert linked is not None
            journal["ACC-1"] = linked.code
        connection.next_sync_at = T0 - dt.timedelta(minutes=5)
        for name, value in values.items():
            setattr(connection, name, value)
        ids.append(connection.id)
    session.commit()
    return ids



def _runs(session: Session) -> Counter[int]:
    session.expire_all()
    return Counter(session.scalars(select(SyncRun.connection_id).where(SyncRun.state == "success")))


def _worker(engine: Engine, clock: Clock, bank: FakeBank, **options: object) -> Worker:
    return Worker(
        session_factory(engine),
        clock=clock,
        providers=_seam(bank),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


# -- selection ---------------------------------------------------------------


def test_claim_takes_only_due_connections(
    engine: Engine, session: Session, company: Company
) -> None:
    due = _connect(session, company)[0]
    failed = _connect(session, company, state="error")[0]
    expired = _connect(session, company, claimed_until=T0 - HOUR, claimed_by="dead-worker")[0]
    _connect(session, company, next_sync_at=T0 + HOUR)  # not due yet
    _connect(session, company, auto_sync=False)
    _connect(session, company, state="reauth_required")
    _connect(session, company, next_sync_at=None)
    _connect(session, company, claimed_until=T0 + HOUR, claimed_by="other-worker")
    gone = session.get(Connection, _connect(session, company)[0])
    assert gone is not None
    disconnect(gone)
    gone.next_sync_at = T0 - HOUR  # even if a stale due time were left behind
    session.commit()

    claimed = claim_due(session_factory(engine), "w1", 100, T0)

    assert claimed == sorted([due, failed, expired])
    session.expire_all()
    for ident in claimed:
        row = session.get(Connection, ident)
        assert row is not None and row.claimed_by == "w1"
        assert row.claimed_until == T0 + LEASE
    assert claim_due(session_factory(engine), "w2", 100, T0) == []


def test_claim_limit_takes_the_oldest_first(
    engine: Engine, session: Session, company: Company
) -> None:
    ids = _connect(session, company, 4)
    for age, ident in enumerate(ids):
        row = session.get(Connection, ident)
        assert row is not None
        row.next_sync_at = T0 - dt.timedelta(minutes=age)
    session.commit()
    factory = session_factory(engine)

    assert claim_due(factory, "w1", 2, T0) == sorted(ids[2:])
    assert claim_due(factory, "w2", 5, T0) == sorted(ids[:2])
    assert claim_due(factory, "w3", 5, T0) == []
    assert claim_due(factory, "w3", 0, T0) == []


# -- leases ------------------------------------------------------------------


def test_a_workers_lease_is_respected(engine: Engine, session: Session, company: Company) -> None:
    (ident,) = _connect(session, company)
    factory = session_factory(engine)
    bank = FakeBank()
    clock = Clock()
    assert claim_due(factory, "w1", 1, T0) == [ident]

    def runner(worker: str) -> SyncRunner:
        return SyncRunner(factory, providers=_seam(bank), worker=worker, clock=clock)  # type: ignore[arg-type]

    manual = runner("manual").run(ident)
    assert manual.state == "busy" and manual.run is None
    assert runner("w2").run(ident, leased=True).state == "busy"
    assert bank.calls == 0

    assert runner("w1").run(ident, leased=True, trigger="schedule").state == "success"
    session.expire_all()
    row = session.get(Connection, ident)
    assert row is not None and row.claimed_by is None and row.claimed_until is None
    assert row.next_sync_at == T0 + HOUR
    # Released: a manual sync may run it now, a leased one may not.
    assert runner("w1").run(ident, leased=True).state == "busy"
    assert runner("manual").run(ident).state == "success"


# -- catch-up ----------------------------------------------------------------


def test_after_downtime_one_catch_up_run(
    engine: Engine, session: Session, company: Company
) -> None:
    """Ten days of missed hourly periods make one run, then the normal rhythm."""
    (ident,) = _connect(session, company, next_sync_at=T0 - dt.timedelta(days=10))
    clock = Clock()
    bank = FakeBank()
    worker = _worker(engine, clock, bank, concurrency=2)

    results = worker.run_once()
    assert [(r.connection, r.state) for r in results] == [(ident, "success")]
    assert worker.run_once() == []
    session.expire_all()
    row = session.get(Connection, ident)
    assert row is not None and row.next_sync_at == T0 + HOUR

    clock.now = T0 + dt.timedelta(minutes=59)
    assert worker.run_once() == []
    clock.now = T0 + HOUR
    assert [r.state for r in worker.run_once()] == ["success"]
    assert _runs(session) == {ident: 2}
    kinds = set(session.scalars(select(SyncRun.trigger)))
    assert kinds == {"schedule"}


def test_an_unexpected_failure_releases_the_lease(
    engine: Engine, session: Session, company: Company
) -> None:
    ids = _connect(session, company, 2)
    worker = _worker(engine, Clock(), FakeBank(fail=True), worker_id="w1")

    results = worker.run_once()

    assert sorted(r.connection for r in results) == ids
    assert {r.state for r in results} == {"error"}
    assert all("RuntimeError" in (r.error or "") for r in results)
    session.expire_all()
    for ident in ids:
        row = session.get(Connection, ident)
        assert row is not None and row.claimed_by is None and row.claimed_until is None
        assert row.next_sync_at == T0 + HOUR  # not retried in a tight loop


# -- the loop ----------------------------------------------------------------


def test_worker_polls_and_stops_on_sigterm(
    engine: Engine, session: Session, company: Company
) -> None:
    (ident,) = _connect(session, company)
    worker = _worker(engine, Clock(), FakeBank(), poll_interval=0.05)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    before = signal.getsignal(signal.SIGTERM)
    timer.start()
    try:
        with worker.stop_on_signals():
            results = worker.run_forever()
    finally:
        timer.cancel()
    assert worker.stopping
    assert [r.connection for r in results] == [ident]
    assert signal.getsignal(signal.SIGTERM) is before


class TickingClock(Clock):
    """Two hours later at every look: the connection is due again at each claim."""

    def __call__(self) -> dt.datetime:
        self.now += 2 * HOUR
        return self.now


def test_a_long_running_worker_keeps_a_bounded_history(
    engine: Engine, session: Session, company: Company
) -> None:
    """Weeks of runs in a few seconds: counted, but only the last ``keep`` results retained."""
    (ident,) = _connect(session, company)
    worker = _worker(engine, TickingClock(), FakeBank(), poll_interval=0.01, keep=5)

    def stop_after_many() -> None:
        while worker.runs < 40 and not worker.stopping:
            time.sleep(0.01)
        worker.stop()

    stopper = threading.Thread(target=stop_after_many)
    stopper.start()
    timer = threading.Timer(120, worker.stop)  # a guard, should the loop never get there
    timer.start()
    try:
        results = worker.run_forever()
    finally:
        timer.cancel()
        stopper.join(10)
    assert worker.runs >= 40
    assert worker.failed == 0
    assert 1 <= len(results) <= 5
    assert len(worker._results) <= 5  # what the worker holds between runs, not just a copy
    assert {r.connection for r in results} == {ident}


def test_worker_once_cli_over_the_sandbox_bank(
    db_url: str, session: Session, company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    """``booksync worker --once`` syncs every due connection over real HTTP, then exits."""
    with start(port=0, seed=11) as bank, SimpleFINProvider(timeout=10) as simplefin:
        credentials = simplefin.claim(bank.setup_token())
        remote = simplefin.list_accounts(credentials)[:2]
        for account in remote:
            create_connection(session, company, credentials, [account])
        session.commit()

        code = cli(["--db", db_url, "worker", "--once", "--concurrency", "2"])

    out = capsys.readouterr()
    assert code == 0, out.err
    assert len(_runs(session)) == 2
    run_lines = [line for line in out.err.splitlines() if " run " in line and "success" in line]
    assert len(run_lines) == 2
    assert credentials.secret not in out.err + out.out
    password = credentials.secret.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert password not in out.err + out.out
    session.expire_all()
    assert {c.claimed_by for c in session.scalars(select(Connection))} == {None}
    # Nothing is due any more: a second drain runs nothing.
    assert cli(["--db", db_url, "worker", "--once"]) == 0
    assert len(_runs(session)) == 2


# -- two workers on PostgreSQL -------------------------------------------------


def test_two_workers_on_postgresql_run_each_connection_once_per_due_time(
    backend: str, db_url: str
) -> None:
    """100 due connections, two workers with their own engines: each runs once.

    Two due times: the clock then moves past the interval and everything is
    due again.  Each worker has two threads, so four claimers race.
    """
    if backend != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED between workers is PostgreSQL's")
    setup = make_engine(db_url)
    with session_factory(setup)() as session:
        company = create_company(session, "Acme Ltd", "EUR", "DE")
        session.commit()
        ids = _connect(session, company, 100, share=True)
    clock = Clock()
    bank = FakeBank(delay=0.002)
    engines = [make_engine(db_url), make_engine(db_url)]
    workers = [
        _worker(e, clock, bank, worker_id=f"w{n}", concurrency=2) for n, e in enumerate(engines)
    ]
    try:
        for round_ in range(2):
            ran: list[list[int]] = [[], []]

            def drain(n: int, out: list[list[int]] = ran) -> None:
                out[n] = [r.connection for r in workers[n].run_once() if r.ok]

            threads = [threading.Thread(target=drain, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert not set(ran[0]) & set(ran[1]), "a connection ran on both workers"
            assert sorted(ran[0] + ran[1]) == ids, "each connection runs exactly once"
            assert ran[0] and ran[1], "both workers took part"
            with session_factory(setup)() as session:
                assert _runs(session) == dict.fromkeys(ids, round_ + 1)
            clock.now += HOUR + dt.timedelta(minutes=1)
    finally:
        for e in [*engines, setup]:
            e.dispose()
    assert bank.calls == 200
