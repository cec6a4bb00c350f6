"""The one "now" of sessions, tokens and throttling, always in UTC.

SQLite keeps no offset, so every instant compared in SQL must be UTC: a
caller's ``now`` in another zone would compare as the wrong time there.
Tests pass ``now`` to move through lifetimes without waiting.
"""

from __future__ import annotations

import datetime as dt

from booksync.db.base import utcnow


def instant(now: dt.datetime | None) -> dt.datetime:
    """``now`` in UTC, or the current time; a naive ``now`` is a programming error."""
    if now is None:
        return utcnow()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(dt.UTC)
