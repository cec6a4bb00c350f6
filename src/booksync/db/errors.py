"""What a database error means to the user, in one place.

SQLite lets one process write at a time; the others wait (the busy timeout,
see :mod:`booksync.db.engine`) and give up with "database is locked" only when
the writer took longer than that.  The user gets one sentence that says who
is in the way and what to do, wherever the error surfaces (a command, a
sync run's log, the worker's log).
"""

from __future__ import annotations

import sqlite3

LOCKED = (
    "another booksync process is writing to the database and did not finish in time "
    "(an import, a sync or a worker); try again when it is done"
)


def locked_message(exc: BaseException) -> str | None:
    """:data:`LOCKED` when ``exc`` (or the driver error it wraps) is SQLite's busy error."""
    seen: BaseException | None = exc
    for _ in range(5):  # the driver error hangs off SQLAlchemy's, or off a cause
        if seen is None:
            return None
        if isinstance(seen, sqlite3.OperationalError) and "locked" in str(seen):
            return LOCKED
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


__all__ = ["LOCKED", "locked_message"]
