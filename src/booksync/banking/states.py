"""The names a connection and a synchronization run use: one definition each.

A connection's state, a run's state and trigger, and the counts a run keeps
are stored in the banking tables, compared by the sync engine and shown by
the CLI (its tables, ``--json`` and ``sync log``).  They are defined here
only, and everything else names them through this module (docs/banking.md,
"Connections" and "A synchronization run").  The states are ``StrEnum``s,
so a member is its stored and printed string (``ConnectionState.ERROR ==
"error"``).

A new run count is one more :class:`RunCounts` field here plus its
``sync_run`` column (the model and a migration): the run adds it up, and the
``sync`` table, ``sync log`` and both JSON shapes list it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "DUE_STATES",
    "FINISHED_OK",
    "RUN_COUNTERS",
    "ConnectionState",
    "RunCounter",
    "RunCounts",
    "RunState",
    "RunTrigger",
]


class ConnectionState(enum.StrEnum):
    """Where a connection stands (``connection.state``)."""

    CONNECTED = "connected"
    ERROR = "error"
    """The last run failed; it is retried within the hour."""
    DISCONNECTED = "disconnected"
    """Credentials forgotten, books kept."""
    REAUTH_REQUIRED = "reauth_required"
    """The bank refused the consent: no scheduled runs until the user connects again."""


DUE_STATES = (ConnectionState.CONNECTED, ConnectionState.ERROR)
"""States a scheduled run may start from; ``reauth_required`` waits for the user."""


class RunState(enum.StrEnum):
    """How a run ended (``sync_run.state``), or ``running`` while it works."""

    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    """Some account's data was incomplete: nothing booked for it, its watermark kept."""
    ERROR = "error"
    RATE_LIMITED = "rate_limited"
    REAUTH_REQUIRED = "reauth_required"
    BUSY = "busy"
    """Another run holds the connection: reported, never stored (no run row is opened)."""


FINISHED_OK = (RunState.SUCCESS, RunState.PARTIAL)
"""The states of a run that booked what it could: ``booksync sync`` exits 0."""


class RunTrigger(enum.StrEnum):
    """What started a run (``sync_run.trigger``)."""

    MANUAL = "manual"
    """``booksync sync``."""
    SCHEDULE = "schedule"
    """The worker, when the connection was due."""


def _count(title: str, short: str | None = None) -> Any:
    """A count field, its heading in the ``sync`` table and in the narrower ``sync log``."""
    return field(default=0, metadata={"title": title, "short": short or title})


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCounts:
    """The counts a run keeps, in the order every table and JSON shape lists them.

    Each name is a ``sync_run`` column and a key of the JSON of ``sync`` and
    ``sync log``.
    """

    fetched: int = _count("Fetched")
    """Booked and pending transactions the bank sent."""
    new: int = _count("New")
    """Lines booked (with their entries), opening lines included."""
    duplicates: int = _count("Duplicates", "Dup.")
    """Booked transactions already on a line."""
    pending: int = _count("Pending", "Pend.")
    """Pending transactions staged (never booked)."""
    updated: int = _count("Updated", "Upd.")
    """Known lines that gained new ids (aliases)."""
    reconciled: int = _count("Reconciled", "Rec.")
    """Lines reconciled automatically after booking (docs/reconciliation.md)."""
    reversed: int = _count("Reversed", "Rev.")
    """Booked lines a provider withdrew (Plaid's ``removed``), each reversed by a
    counter-line (docs/banking.md, "A synchronization run")."""

    def counts(self) -> dict[str, int]:
        """``{name: count}`` in :data:`RUN_COUNTERS` order (the JSON keys)."""
        return {c.name: getattr(self, c.name) for c in RUN_COUNTERS}

    @classmethod
    def read(cls, source: object) -> RunCounts:
        """The counts of any object with these attributes (an account's outcome, a run
        row); one it lacks counts 0 (an account's import reconciles nothing)."""
        return cls(**{c.name: getattr(source, c.name, 0) for c in RUN_COUNTERS})

    def plus(self, other: RunCounts) -> RunCounts:
        return RunCounts(
            **{c.name: getattr(self, c.name) + getattr(other, c.name) for c in RUN_COUNTERS}
        )


@dataclass(frozen=True, slots=True)
class RunCounter:
    """One run count: its name and its table headings."""

    name: str
    title: str
    """Heading in the ``booksync sync`` table."""
    short: str
    """Heading in the narrower ``booksync sync log`` table."""


RUN_COUNTERS: tuple[RunCounter, ...] = tuple(
    RunCounter(f.name, f.metadata["title"], f.metadata["short"]) for f in fields(RunCounts)
)
"""The run counts in order; the balance difference (a decimal, not a count) follows them."""
