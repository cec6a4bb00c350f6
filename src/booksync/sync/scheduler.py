"""Scheduling: which connections are due, who runs them, and the worker loop.

docs/banking.md, "Leases and the worker".  Each connection stores ``interval_seconds`` and
``next_sync_at``; a worker *claims* due connections by setting the lease
(``claimed_until``/``claimed_by``) in ONE ``UPDATE ... WHERE id IN
(subquery) RETURNING id`` statement, then runs each through
:class:`~booksync.sync.run.SyncRunner` with ``leased=True`` (the runner
accepts the lease its own worker id holds, and still refuses one held by
anybody else, so a manual ``booksync sync`` never runs beside a worker).

- PostgreSQL: the subquery is ``SELECT ... FOR UPDATE SKIP LOCKED``, so
  workers on several machines sharing the database never take the same
  connection and never wait for each other's rows.  A row another worker
  claimed and committed meanwhile is re-checked against the WHERE clause
  (READ COMMITTED re-evaluation) and dropped, because its lease is no longer
  free.
- SQLite: the same statement without the locking clause; SQLite admits one
  writer at a time, so the single UPDATE is atomic by itself.

After downtime a connection runs once: the runner sets ``next_sync_at`` to
the run's finish plus the interval, never "previous due time plus
interval", so missed periods are not replayed one by one.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection
from booksync.banking.states import DUE_STATES, RUN_COUNTERS, RunState, RunTrigger
from booksync.db.base import utcnow
from booksync.db.errors import locked_message
from booksync.providers.base import Provider
from booksync.providers.registry import provider_for
from booksync.sync.lease import holder_id, lease_length
from booksync.sync.run import ERROR_RETRY, RetryPolicy, RunResult, SyncRunner

__all__ = ["DUE_STATES", "Worker", "claim_due", "default_worker_id", "release"]

log = logging.getLogger("booksync.worker")


def default_worker_id() -> str:
    """``host:pid:random``: unique per worker process, readable in ``claimed_by``."""
    return holder_id()


def claim_due(
    factory: sessionmaker[Session],
    worker_id: str,
    limit: int,
    now: dt.datetime,
    *,
    due_by: dt.datetime | None = None,
) -> list[int]:
    """Lease up to ``limit`` due connections to ``worker_id`` and return their ids.

    Due means: auto-sync on, state connected or error, ``next_sync_at`` at or
    before ``due_by`` (default ``now``), and no live lease.  Oldest due first,
    so a backlog drains in order.  Commits before returning: the lease must
    be visible to other workers before any network call starts.
    """
    if limit < 1:
        return []
    cutoff = due_by or now
    due = (
        select(Connection.id)
        .where(
            Connection.auto_sync.is_(True),
            Connection.state.in_(DUE_STATES),
            Connection.next_sync_at <= cutoff,
            or_(Connection.claimed_until.is_(None), Connection.claimed_until < now),
        )
        .order_by(Connection.next_sync_at, Connection.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL, omitted on SQLite
        .scalar_subquery()
    )
    with factory.begin() as session:
        rows = session.execute(
            update(Connection)
            .where(Connection.id.in_(due))
            .values(claimed_until=now + lease_length(), claimed_by=worker_id)
            .returning(Connection.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(row[0] for row in rows)


def release(
    factory: sessionmaker[Session], connection_id: int, worker_id: str, retry_at: dt.datetime
) -> bool:
    """Give back a lease after a run died of an unexpected error.

    Without this the connection would wait for the lease to expire; with a
    later ``next_sync_at`` it is not retried in a tight loop either.  Only
    the holder's own lease is released.
    """
    with factory.begin() as session:
        done = session.execute(
            update(Connection)
            .where(Connection.id == connection_id, Connection.claimed_by == worker_id)
            .values(claimed_until=None, claimed_by=None, next_sync_at=retry_at)
            .returning(Connection.id)
            .execution_options(synchronize_session=False)
        ).first()
    return done is not None


def _describe(exc: BaseException) -> str:
    """A one-line reason without SQL parameters (they could hold sealed credentials)."""
    locked = locked_message(exc)
    if locked:
        return locked
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig).strip().splitlines()
        return f"{type(exc.orig).__name__}: {text[0] if text else ''}"
    return type(exc).__name__


class Worker:
    """Claims due connections and runs them on ``concurrency`` threads.

    Each thread owns its :class:`SyncRunner` (and so its sessions and its
    provider clients): sessions are never shared between threads.  Each
    thread claims one connection at a time, so a lease is only ever held by
    a run that is about to start, and a slow bank delays nobody else.

    A worker runs for weeks: it counts its runs (``runs``, ``failed``) and
    keeps only the last ``keep`` results, so its memory stays flat.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        worker_id: str | None = None,
        concurrency: int = 1,
        poll_interval: float = 30.0,
        providers: Callable[[str], Provider] = provider_for,
        retry: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        keep: int = 100,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.factory = factory
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.providers = providers
        self.retry = retry
        self.clock = clock
        self.sleep = sleep
        self._stop = threading.Event()
        self.keep = keep
        self._results: deque[RunResult] = deque(maxlen=keep)
        self.runs = 0
        self.failed = 0
        self._lock = threading.Lock()

    # -- control ---------------------------------------------------------

    def stop(self) -> None:
        """Finish the runs in progress, claim nothing more, then return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @contextmanager
    def stop_on_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM stop gracefully; a second one interrupts at once.

        Only the main thread may install handlers; elsewhere this does nothing.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("worker %s: stopping after the runs in progress", self.worker_id)
            self.stop()
            for sig, old in previous.items():
                signal.signal(sig, old)

        for sig in previous:
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    # -- running ---------------------------------------------------------

    def run_once(self) -> list[RunResult]:
        """Drain what is due now, then return every run's result (the drain's, all of them).

        "Now" is fixed when the drain starts: a connection rescheduled during
        the drain (a short rate-limit wait) waits for the next drain.
        """
        return self._run(once=True)

    def run_forever(self) -> list[RunResult]:
        """Run until :meth:`stop`; poll every ``poll_interval`` seconds when idle.

        Returns the last ``keep`` results; ``runs`` and ``failed`` count them all.
        """
        return self._run(once=False)

    def _run(self, *, once: bool) -> list[RunResult]:
        # A drain is bounded by what is due when it starts; a loop is not.
        self._results = deque(maxlen=None if once else self.keep)
        self.runs = self.failed = 0
        due_by = self.clock() if once else None
        threads = [
            threading.Thread(
                target=self._loop,
                args=(due_by, once),
                name=f"booksync-worker-{n}",
                daemon=True,  # a second Ctrl-C must not wait for a hung bank
            )
            for n in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short joins keep the main thread responsive to signals
        return list(self._results)

    def _loop(self, due_by: dt.datetime | None, once: bool) -> None:
        runner = SyncRunner(
            self.factory,
            providers=self.providers,
            retry=self.retry,
            worker=self.worker_id,
            clock=self.clock,
            sleep=self.sleep,
        )
        while not self._stop.is_set():
            try:
                claimed = claim_due(self.factory, self.worker_id, 1, self.clock(), due_by=due_by)
            except Exception as exc:  # the database went away: say so, wait, retry
                log.warning("worker %s: claiming failed: %s", self.worker_id, _describe(exc))
                claimed = []
                if once:
                    return
            if not claimed:
                if once:
                    return
                self._stop.wait(self.poll_interval)
                continue
            for connection_id in claimed:
                self._run_one(runner, connection_id)

    def _run_one(self, runner: SyncRunner, connection_id: int) -> None:
        started = time.perf_counter()
        try:
            result = runner.run(connection_id, trigger=RunTrigger.SCHEDULE, leased=True)
        except Exception as exc:  # contain it: one broken run must not stop the worker
            reason = _describe(exc)
            log.error("connection %d: the run failed unexpectedly: %s", connection_id, reason)
            log.debug("connection %d: the unexpected error", connection_id, exc_info=True)
            retry_at = self.clock() + ERROR_RETRY
            try:
                release(self.factory, connection_id, self.worker_id, retry_at)
            except Exception as again:
                log.warning(
                    "connection %d: lease not released: %s", connection_id, _describe(again)
                )
            result = RunResult(connection_id, None, RunState.ERROR, error=reason)
        elapsed = time.perf_counter() - started
        with self._lock:
            self._results.append(result)
            self.runs += 1
            self.failed += not result.ok
        log.info(
            "connection %d run %s: %s %s in %.2fs%s",
            result.connection,
            result.run if result.run is not None else "-",
            result.state,
            " ".join(f"{c.name}={getattr(result, c.name)}" for c in RUN_COUNTERS),
            elapsed,
            f" ({result.error})" if result.error else "",
        )
