"""How a run ends: its row closed, its connection's state, schedule and lease set.

A run that booked closes inside its booking transaction
(:meth:`booksync.sync.run.SyncRunner` calls :meth:`RunCloser.close` before
that commit).  A failed run is recorded by :meth:`RunCloser.fail` in a
transaction of its own, retried while the database refuses writes, so a run
never stays ``running`` after its process has given up on it; the books are
untouched.  docs/banking.md, "A synchronization run" (the outcomes) and
"Leases and the worker".

What a failure does to the connection: ``reauth_required`` stops its
scheduled runs until the user connects again; ``rate_limited`` keeps its
state and waits for the provider's ``Retry-After``; any other failure makes
it ``error``, retried within the hour (sooner if its interval is shorter).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection, SyncRun
from booksync.banking.states import FINISHED_OK, ConnectionState, RunState
from booksync.sync.outcome import CLOSE_RETRIES, ERROR_RETRY, RunResult

log = logging.getLogger(__name__)

__all__ = ["RunCloser"]


class RunCloser:
    """Closes the runs of one holder of leases (a runner, so a worker thread)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        worker: str,
        clock: Callable[[], dt.datetime],
        sleep: Callable[[float], None],
    ) -> None:
        self.factory = factory
        self.worker = worker
        self.clock = clock
        self.sleep = sleep

    def close(
        self,
        session: Session,
        connection: Connection,
        run: SyncRun,
        state: RunState,
        error: str | None,
        now: dt.datetime,
        *,
        reschedule: bool,
        connection_state: ConnectionState | None = None,
        retry_in: dt.timedelta | None = None,
    ) -> None:
        """End ``run`` with ``state``; release the lease and reschedule while ours."""
        run.state = state
        run.error = error
        run.finished_at = now
        if connection.claimed_by != self.worker:
            return  # taken over: the connection is the new holder's to change
        if connection_state:
            connection.state = connection_state
        if error or state in FINISHED_OK:
            connection.last_error = error
        connection.claimed_until = None  # release the lease
        connection.claimed_by = None
        waits_for_user = connection.state == ConnectionState.REAUTH_REQUIRED
        if reschedule and connection.auto_sync and not waits_for_user:
            step = retry_in or dt.timedelta(seconds=connection.interval_seconds)
            connection.next_sync_at = now + step
        elif waits_for_user:
            connection.next_sync_at = None

    def fail(
        self,
        connection_id: int,
        run_id: int,
        state: RunState,
        message: str,
        *,
        retry_in: dt.timedelta | None = None,
    ) -> RunResult:
        """Record a failed run in its own transaction; the books are untouched.

        The database may refuse the write (SQLite busy with another process's
        long write): each try is a fresh transaction, with growing pauses, and
        only if all fail is the run left for the next claim to close.
        """
        for pause in (*CLOSE_RETRIES, None):
            try:
                self._record(connection_id, run_id, state, message, retry_in)
                break
            except DBAPIError as exc:
                if pause is None:
                    log.warning("sync run %s could not be closed: %s", run_id, exc.orig)
                    break
                log.info("sync run %s: closing it waits for the database", run_id)
                self.sleep(pause)
        return RunResult(connection_id, run_id, state, error=message)

    def _record(
        self,
        connection_id: int,
        run_id: int,
        state: RunState,
        message: str,
        retry_in: dt.timedelta | None,
    ) -> None:
        now = self.clock()
        with self.factory.begin() as session:
            connection = session.get(Connection, connection_id, populate_existing=True)
            run = session.get(SyncRun, run_id, populate_existing=True)
            assert connection is not None and run is not None
            if run.state != RunState.RUNNING:
                return  # already closed by the run that took the connection over
            connection_state: ConnectionState | None = None  # rate limited: as it was
            if state == RunState.REAUTH_REQUIRED:
                connection_state = ConnectionState.REAUTH_REQUIRED
            elif state != RunState.RATE_LIMITED:
                connection_state = ConnectionState.ERROR
                retry_in = min(ERROR_RETRY, dt.timedelta(seconds=connection.interval_seconds))
            self.close(
                session,
                connection,
                run,
                state,
                message,
                now,
                reschedule=True,
                connection_state=connection_state,
                retry_in=retry_in,
            )
