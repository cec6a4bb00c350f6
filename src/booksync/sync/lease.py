"""A connection's lease: which run may work on it, kept alive while the run works.

``claimed_by`` names the holder (``kind:host:pid:random``, unique per process)
and ``claimed_until`` when the lease ends unless renewed.  The lease is short
(:data:`LEASE`, a minute) and a :class:`Heartbeat` thread renews it every
quarter of that while the run fetches, so a run whose process died (``kill
-9``, a power cut) frees its connection within about a minute; the next run
closes the abandoned run as an error that says why.  ``booksync sync --force``
takes a live lease over at once.  The run's final transaction first checks
that it still holds the lease (:func:`confirm`), so a run that was taken
over books nothing.  See docs/banking.md ("Leases").
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection, SyncRun
from booksync.banking.states import RunState
from booksync.db.base import utcnow

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=60)
"""How long a lease lasts unless renewed; read at each claim (tests shorten it)."""
BEATS_PER_LEASE = 4

ABANDONED = "interrupted: the process running it stopped before the run ended"
TAKEN_OVER = "interrupted: taken over with `booksync sync --force`"
LOST = (
    "the run stopped: another run took its connection over (`booksync sync --force`, "
    "or its lease ran out); it booked nothing"
)


class LeaseLost(Exception):
    """The run no longer holds its connection's lease: it must not book anything."""


def lease_length() -> dt.timedelta:
    return LEASE


def holder_id(kind: str | None = None) -> str:
    """``[kind:]host:pid:random``: unique per process, readable in ``claimed_by``."""
    base = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return f"{kind}:{base}" if kind else base


@dataclass(frozen=True, slots=True)
class Holder:
    """Who held a lease: its name, until when, and the run it had open."""

    name: str | None
    until: dt.datetime | None
    run: int | None
    since: dt.datetime | None

    def describe(self) -> str:
        who = self.name or "nobody"
        if self.run is not None and self.since is not None:
            return f"{who}, whose run {self.run} started at {self.since.isoformat()}"
        if self.until is not None:
            return f"{who}, leased until {self.until.isoformat()}"
        return who


def holder(session: Session, connection_id: int) -> Holder:
    """The connection's current lease holder and its open run, if any."""
    row = session.execute(
        select(Connection.claimed_by, Connection.claimed_until).where(
            Connection.id == connection_id
        )
    ).first()
    running = session.execute(
        select(SyncRun.id, SyncRun.started_at)
        .where(SyncRun.connection_id == connection_id, SyncRun.state == RunState.RUNNING)
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).first()
    return Holder(
        row.claimed_by if row else None,
        row.claimed_until if row else None,
        running.id if running else None,
        running.started_at if running else None,
    )


def claim(
    session: Session,
    connection_id: int,
    name: str,
    now: dt.datetime,
    *,
    leased: bool = False,
    force: bool = False,
) -> tuple[Connection | None, Holder | None]:
    """Take the lease; returns the connection (None: another run holds it) and,
    when ``force`` took it from someone, who that was.

    ``leased``: the scheduler already gave ``name`` the lease
    (:func:`booksync.sync.scheduler.claim_due`); it is renewed only while
    ``name`` still holds it.  Runs the previous holder left ``running`` are
    closed as errors saying why.
    """
    previous = holder(session, connection_id) if force else None
    if force:
        allowed = Connection.id == connection_id
    elif leased:
        allowed = Connection.claimed_by == name
    else:
        allowed = or_(Connection.claimed_until.is_(None), Connection.claimed_until < now)
    claimed = session.execute(
        update(Connection)
        .where(Connection.id == connection_id, allowed)
        .values(claimed_until=now + lease_length(), claimed_by=name)
        .returning(Connection.id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        return None, None
    live = previous is not None and previous.until is not None and previous.until >= now
    reason = TAKEN_OVER if live else ABANDONED
    session.execute(
        update(SyncRun)
        .where(SyncRun.connection_id == connection_id, SyncRun.state == RunState.RUNNING)
        .values(state=RunState.ERROR, finished_at=now, error=reason)
        .execution_options(synchronize_session=False)
    )
    took = previous if previous is not None and (previous.name or previous.run) else None
    return session.get(Connection, connection_id, populate_existing=True), took


def busy_message(session: Session, connection_id: int) -> str:
    who = holder(session, connection_id).describe()
    return (
        f"the connection is being synchronized by another run ({who}); wait for it, "
        f"or take it over with `booksync sync --force {connection_id}`"
    )


def renew(session: Session, connection_id: int, name: str, now: dt.datetime) -> bool:
    """Extend the lease while ``name`` holds it; False when it went to someone else."""
    renewed = session.execute(
        update(Connection)
        .where(Connection.id == connection_id, Connection.claimed_by == name)
        .values(claimed_until=now + lease_length())
        .returning(Connection.id)
        .execution_options(synchronize_session=False)
    ).first()
    return renewed is not None


def confirm(session: Session, connection_id: int, name: str, now: dt.datetime) -> None:
    """First statement of the run's final transaction: still ours, or :class:`LeaseLost`.

    Renewing is a write to the connection's row: on PostgreSQL it locks the
    row until the commit, on SQLite it takes the write lock, so no one can
    take the lease over while the run books.
    """
    if not renew(session, connection_id, name, now):
        raise LeaseLost(LOST)


class Heartbeat:
    """Renews a lease every quarter of its length from a thread of its own.

    The thread opens its own sessions (a session is never shared between
    threads).  A failed renewal (the database busy or away) is logged and
    tried again at the next beat: the lease has three more beats to go.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        connection_id: int,
        name: str,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.connection_id = connection_id
        self.name = name
        self.clock = clock
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"booksync-lease-{connection_id}", daemon=True
        )

    def _beat(self) -> None:
        every = lease_length().total_seconds() / BEATS_PER_LEASE
        while not self._stop.wait(every):
            try:
                with self.factory.begin() as session:
                    if not renew(session, self.connection_id, self.name, self.clock()):
                        self.lost = True
                        return
            except Exception:
                log.debug("lease of connection %d not renewed", self.connection_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


__all__ = [
    "ABANDONED",
    "LEASE",
    "LOST",
    "TAKEN_OVER",
    "Heartbeat",
    "Holder",
    "LeaseLost",
    "busy_message",
    "claim",
    "confirm",
    "holder_id",
    "lease_length",
    "renew",
]
