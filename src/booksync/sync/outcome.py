"""What a synchronization run reports (as it goes and when it ends), how it retries,
and how long it waits after a failure."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from booksync.banking.runs import AccountRun
from booksync.banking.states import FINISHED_OK, RUN_COUNTERS, RunCounts, RunState
from booksync.providers.base import Window
from booksync.providers.errors import RateLimited

log = logging.getLogger("booksync.sync.run")

ERROR_RETRY = dt.timedelta(hours=1)
RATE_LIMIT_WAIT = dt.timedelta(hours=1)
"""The wait after a rate limit whose answer did not say how long."""
RATE_LIMIT_FLOOR = dt.timedelta(minutes=1)
"""The least wait after a rate limit: ``Retry-After: 0`` must not make a worker hammer the bank."""
CLOSE_RETRIES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""Pauses between tries to record a failed run while the database refuses writes."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Tries of a transient failure within one run: ``attempts`` in all."""

    attempts: int = 3
    base_delay: float = 1.0

    def delay(self, attempt: int) -> float:
        return float(self.base_delay * 2 ** (attempt - 1))


@dataclass(frozen=True, slots=True)
class RunResult(RunCounts):
    """What ``booksync sync`` reports for one run: its state, its counts (keywords)."""

    connection: int
    run: int | None
    state: RunState
    balance_difference: str | None = None
    """The first account's difference with the bank, in its currency's decimals."""
    error: str | None = None
    took_over: str | None = None
    """With ``force``: whose lease the run took (not part of the JSON shape)."""
    accounts: tuple[AccountRun, ...] = ()
    """Each linked account's part, in the connection's order; empty when the run
    failed before booking (docs/banking.md, "A synchronization run")."""

    @classmethod
    def counted(
        cls,
        counts: RunCounts,
        connection: int,
        run: int | None,
        state: RunState,
        balance_difference: str | None = None,
        error: str | None = None,
        accounts: tuple[AccountRun, ...] = (),
    ) -> RunResult:
        """A run's result with ``counts``, whichever counts :class:`RunCounts` has."""
        named = {c.name: getattr(counts, c.name) for c in RUN_COUNTERS}
        return cls(
            connection, run, state, balance_difference, error, accounts=accounts, **named
        )

    @property
    def ok(self) -> bool:
        return self.state in FINISHED_OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "run": self.run,
            "state": self.state,
            **self.counts(),
            "balance_difference": self.balance_difference,
            "error": self.error,
            "accounts": [a.as_dict() for a in self.accounts],
        }


@dataclass(frozen=True, slots=True)
class RunProgress:
    """Where a run stands, told to whoever watches it (the web's **Fetch now**):
    ``phase`` is ``fetching`` (window chosen, the bank asked), ``booking``
    (``counts`` so far, ``account`` the last one booked) or ``reconciling``.
    Counts told before the final commit are what the run is about to keep; the
    run's :class:`RunResult` says what it kept."""

    connection: int
    run: int
    phase: str
    window: Window
    counts: RunCounts = field(default_factory=RunCounts)
    account: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "run": self.run,
            "phase": self.phase,
            "window_start": self.window.start.isoformat(),
            "window_end": self.window.end.isoformat(),
            **self.counts.counts(),
            "account": self.account,
        }


Progress = Callable[[RunProgress], None]


def teller(
    progress: Progress | None, connection: int, run: int, window: Window
) -> Callable[..., None]:
    """``tell(phase, counts, account)``: hands ``progress`` the run's state; a watcher
    that fails is logged, never allowed to stop the run."""

    def tell(phase: str, counts: RunCounts | None = None, account: str | None = None) -> None:
        if progress is None:
            return
        try:
            progress(RunProgress(connection, run, phase, window, counts or RunCounts(), account))
        except Exception:
            log.warning("a watcher of sync run %s failed", run, exc_info=True)

    return tell


class RunAborted(Exception):
    """Raised by a test hook between fetch and commit to prove nothing is written."""


def rate_limit_wait(exc: RateLimited) -> dt.timedelta:
    """The provider's ``Retry-After`` (0 included: "now", floored), or an hour if unknown."""
    if exc.retry_after is None:
        return RATE_LIMIT_WAIT
    return max(RATE_LIMIT_FLOOR, dt.timedelta(seconds=exc.retry_after))


__all__ = [
    "CLOSE_RETRIES",
    "ERROR_RETRY",
    "RATE_LIMIT_FLOOR",
    "RATE_LIMIT_WAIT",
    "Progress",
    "RetryPolicy",
    "RunAborted",
    "RunProgress",
    "RunResult",
    "rate_limit_wait",
    "teller",
]
