"""Which bank dates a run asks for (docs/banking.md, "A synchronization run").

From each linked account's watermark minus an overlap (late, back-dated
postings land inside it), or from the oldest pending transaction if that is
earlier (it may book under another date), or ``history_days`` back on a
first sync; up to a few days past today, because a bank's calendar may run
ahead of UTC. Dates are bank dates: nothing here goes through a time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from booksync.providers.base import Window

OVERLAP_DAYS = 10
LOOKAHEAD_DAYS = 7


def run_window(
    watermarks: Iterable[dt.date | None],
    *,
    today: dt.date,
    history_days: int,
    oldest_pending: dt.date | None = None,
    since: dt.date | None = None,
    overlap_days: int = OVERLAP_DAYS,
) -> Window:
    """The one window a run fetches for all of a connection's linked accounts."""
    first_sync = today - dt.timedelta(days=history_days)
    starts = [
        (mark - dt.timedelta(days=overlap_days)) if mark else first_sync for mark in watermarks
    ] or [first_sync]
    start = min(starts)
    if oldest_pending is not None:
        start = min(start, oldest_pending)
    if since is not None:
        start = since
    end = today + dt.timedelta(days=LOOKAHEAD_DAYS)
    if start >= end:
        start = end - dt.timedelta(days=1)
    return Window(start, end)


def next_watermark(window: Window, today: dt.date) -> dt.date:
    """How far booked data is now known: never past tomorrow, whatever the window."""
    return min(window.end, today + dt.timedelta(days=1))
