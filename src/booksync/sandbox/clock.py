"""Bank-local dates on the wire: each date travels as the epoch of its noon, UTC.

SimpleFIN carries dates as epoch seconds, but a bank books on a plain date in
its own calendar.  Midnight UTC is the classic trap: read in any time zone west
of Greenwich it lands on the previous day (docs/banking.md, "What real banks
do").  Noon UTC reads
back as the same calendar date in every zone from UTC-12 to UTC+11, so the
sandbox sends ``posted`` and ``balance-date`` as noon UTC of the bank date and
converts back with :func:`date_of` without ever shifting a day.

Windows use the same arithmetic: a date ``d`` is inside ``[start, end)`` when
``start <= noon(d) < end``, so a client that sends midnight UTC of its first and
(exclusive) last day gets exactly the days it meant.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["DAY", "NOON", "date_of", "epoch_of", "first_day_from", "last_day_before"]

DAY = 86_400
NOON = 43_200
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def epoch_of(day: dt.date) -> int:
    """Epoch seconds of noon UTC on ``day``."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY + NOON


def date_of(epoch: int) -> dt.date:
    """The UTC calendar date of ``epoch`` (the inverse of :func:`epoch_of`)."""
    return dt.date.fromordinal(_EPOCH_ORDINAL + epoch // DAY)


def first_day_from(start: int) -> dt.date:
    """The first date whose noon is at or after ``start`` (inclusive bound)."""
    return dt.date.fromordinal(_EPOCH_ORDINAL - ((NOON - start) // DAY))


def last_day_before(end: int) -> dt.date:
    """The last date whose noon is strictly before ``end`` (exclusive bound)."""
    return dt.date.fromordinal(_EPOCH_ORDINAL + (end - NOON - 1) // DAY)
