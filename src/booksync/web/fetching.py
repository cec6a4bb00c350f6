"""**Fetch now**: a connection's run started from a page or the API, and its live progress.

A page's Fetch now starts the run in a thread of its own and answers at
once; the page then follows it as server-sent events (``event: progress``
as the run goes, a last ``event: result``, docs/web.md, "Fetch now").  The
API's fetch runs in the request and answers with the result.  Either way
the run is a :class:`~booksync.sync.run.SyncRunner` run through
:func:`booksync.app.sync.sync_connections`, so it holds the connection's
lease: two processes never run one connection at once, the second run ends
``busy`` at once.

Within one process, :class:`Fetches` keeps one :class:`FetchJob` per
connection: a second click while a run goes attaches to the same job
instead of starting another, and a watcher that comes late is told every
progress so far.  The registry belongs to the app (``app.state``), is
guarded by a lock, and each job by a condition variable, since runs,
requests and event streams are all threads.  A watcher in another process
than the run (several ``serve`` processes on PostgreSQL) follows the run
log instead: the running run's window, then its result once it is over.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from sqlalchemy import Engine

from booksync.app.context import open_books
from booksync.app.errors import user_error
from booksync.app.sync import sync_connections, sync_log
from booksync.banking.states import RUN_COUNTERS, RunState
from booksync.sync.run import RunProgress

log = logging.getLogger("booksync.web")

KEEP_FINISHED = 600.0
"""Seconds a finished job stays known, for a watcher that comes after the end."""
STREAM_LIMIT = 600.0
"""Seconds an event stream follows a run at most: a first sync of 100,000 transactions
takes seconds, and an open stream holds a server thread and delays its shutdown."""
HEARTBEAT = 15.0
"""Seconds between comments that keep an idle stream open through proxies."""
LOG_POLL = 0.5
"""Seconds between looks at the run log when the run is in another process."""
NEW_RUN_WAIT = 10.0
"""Seconds a watcher in another process waits for the run just started to appear."""

Event = tuple[str, dict[str, Any]]

__all__ = ["FetchJob", "Fetches", "events", "fetches", "run_shape", "sse"]


class FetchJob:
    """One run of one connection in this process: what it told so far and its result."""

    def __init__(self, connection: int) -> None:
        self.connection = connection
        self.started = time.monotonic()
        self._changed = threading.Condition()
        self._told: list[dict[str, Any]] = []
        self._result: dict[str, Any] | None = None
        self._ended: float | None = None

    def tell(self, progress: RunProgress) -> None:
        """The run's progress callback (called from the run's thread)."""
        with self._changed:
            self._told.append(progress.as_dict())
            self._changed.notify_all()

    def finish(self, result: dict[str, Any]) -> None:
        with self._changed:
            self._result = result
            self._ended = time.monotonic()
            self._changed.notify_all()

    @property
    def running(self) -> bool:
        with self._changed:
            return self._result is None

    def ended_before(self, moment: float) -> bool:
        with self._changed:
            return self._ended is not None and self._ended < moment

    def result(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The run's result, waiting up to ``timeout`` seconds for it."""
        with self._changed:
            self._changed.wait_for(lambda: self._result is not None, timeout)
            return self._result

    def after(
        self, seen: int, timeout: float
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Progress told after the first ``seen``, and the result if the run is over;
        waits up to ``timeout`` seconds for either."""
        with self._changed:
            self._changed.wait_for(
                lambda: len(self._told) > seen or self._result is not None, timeout
            )
            return self._told[seen:], self._result


class Fetches:
    """This process's jobs by connection id: at most one running per connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, FetchJob] = {}

    def current(self, connection: int) -> FetchJob | None:
        with self._lock:
            return self._jobs.get(connection)

    def claim(self, connection: int) -> tuple[FetchJob, bool]:
        """The connection's running job, or a new one: ``(job, new)``."""
        with self._lock:
            horizon = time.monotonic() - KEEP_FINISHED
            for ident in [i for i, j in self._jobs.items() if j.ended_before(horizon)]:
                del self._jobs[ident]
            job = self._jobs.get(connection)
            if job is not None and job.running:
                return job, False
            job = FetchJob(connection)
            self._jobs[connection] = job
            return job, True

    def start(self, engine: Engine, company: str, connection: int) -> tuple[FetchJob, bool]:
        """Start a run in a thread of its own, or attach to the one running."""
        job, new = self.claim(connection)
        if new:
            threading.Thread(
                target=execute, args=(job, engine, company),
                name=f"booksync-fetch-{connection}", daemon=True,
            ).start()
        return job, new


def fetches(request: Request) -> Fetches:
    """The app's registry (made with the app)."""
    found: Fetches = request.app.state.fetches
    return found


def _failed(connection: int, message: str) -> dict[str, Any]:
    return {"connection": connection, "run": None, "state": RunState.ERROR.value,
            **{c.name: 0 for c in RUN_COUNTERS}, "balance_difference": None, "error": message}


def execute(job: FetchJob, engine: Engine, company: str) -> dict[str, Any]:
    """Run the job's connection now (in the calling thread) and finish the job with
    the run's JSON shape; an error the run could not record becomes that shape too."""
    try:
        (result,) = sync_connections(engine, company, [job.connection], on_progress=job.tell)
        shape = run_shape(result.as_dict())
    except Exception as exc:
        known = user_error(exc)
        if known is None:
            log.exception("Fetch now of connection %d failed", job.connection)
            shape = _failed(job.connection, "the run stopped on an unexpected error")
        else:
            shape = _failed(job.connection, str(known))
    job.finish(shape)
    return shape


def run_shape(row: dict[str, Any]) -> dict[str, Any]:
    """A run's JSON shape (``booksync sync --json``) from a result or a log row."""
    return {
        "connection": row["connection"],
        "run": row["run"],
        "state": str(row["state"]),
        **{c.name: row[c.name] for c in RUN_COUNTERS},
        "balance_difference": row["balance_difference"],
        "error": row["error"],
        "accounts": row.get("accounts", []),
    }


def sse(event: str, data: Any) -> str:
    """One server-sent event; the JSON is one line, so it is one ``data:`` field."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def events(job: FetchJob | None, engine: Engine, company: str, connection: int,
           after: int | None = None) -> Iterator[str]:
    """The event stream of ``connection``'s run: this process's job when there is
    one, else the run log's, where a run newer than ``after`` (the newest the page
    knew) is waited for a few seconds; it ends after the ``result`` event.  With
    no run at all it sends ``event: idle`` and ends."""
    if job is not None:
        yield from _job_events(job)
    else:
        yield from _log_events(engine, company, connection, after)


def _job_events(job: FetchJob) -> Iterator[str]:
    seen = 0
    deadline = time.monotonic() + STREAM_LIMIT
    while time.monotonic() < deadline:
        told, result = job.after(seen, HEARTBEAT)
        for progress in told:
            yield sse("progress", progress)
        seen += len(told)
        if result is not None:
            yield sse("result", result)
            return
        if not told:
            yield ": waiting\n\n"
    yield sse("result", _failed(job.connection, "still running: reload the page later"))


def _latest(engine: Engine, company: str, connection: int) -> dict[str, Any] | None:
    with open_books(engine, company) as books:
        rows = sync_log(books, connection, limit=1).rows
    return rows[0] if rows else None


def _log_events(engine: Engine, company: str, connection: int, after: int | None
                ) -> Iterator[str]:
    """Follow the run log: the run in progress (in another process), then its end."""
    row = _latest(engine, company, connection)
    wait_new = time.monotonic() + NEW_RUN_WAIT
    while after is not None and time.monotonic() < wait_new and (
        row is None or int(row["run"]) <= after
    ):
        time.sleep(LOG_POLL)
        row = _latest(engine, company, connection)
    if row is None:
        yield sse("idle", {"connection": connection})
        return
    deadline = time.monotonic() + STREAM_LIMIT
    told = False
    last_beat = time.monotonic()
    while row is not None and row["state"] == RunState.RUNNING:
        if time.monotonic() >= deadline:
            break
        if not told:
            yield sse("progress", {
                "connection": connection, "run": row["run"], "phase": "running",
                "window_start": row["window_start"], "window_end": row["window_end"],
                **{c.name: row[c.name] for c in RUN_COUNTERS}, "account": None,
            })
            told = True
        time.sleep(LOG_POLL)
        if time.monotonic() - last_beat >= HEARTBEAT:
            last_beat = time.monotonic()
            yield ": waiting\n\n"
        row = _latest(engine, company, connection)
    if row is None:
        yield sse("idle", {"connection": connection})
        return
    yield sse("result", run_shape(row))
