"""UUIDv7 (RFC 9562 section 5.7): time-ordered ids that travel between instances.

Python 3.11 has no ``uuid.uuid7``.  The first 48 bits are the Unix time in
milliseconds, so ids sort by creation and index well; within one millisecond
a 12-bit counter (RFC 9562 section 6.2, method 1) keeps ids from one process
increasing, and the last 62 bits are random.

A bulk import gives a million rows their ``uid``; :func:`uuid7_ints` makes a
whole batch under one lock, one clock read and one ``os.urandom`` call, from
the same clock and counter as :func:`uuid7`, so both stay monotonic together.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid

_lock = threading.Lock()
_last_tick = 0  # (unix ms << 12) | counter of the last id given out
_VERSION_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_BITS = (1 << 62) - 1


def _reserve(count: int) -> int:
    """The first of ``count`` consecutive ticks, each above every tick given before.

    A tick is the millisecond and the counter side by side, so a full counter
    carries into the next millisecond (borrowing it briefly, as the RFC allows)
    instead of repeating.  A new millisecond starts the counter at a random
    value below 1024, leaving room to count up.
    """
    global _last_tick
    with _lock:
        now = (time.time_ns() // 1_000_000) << 12
        if now > _last_tick:
            first = now | (int.from_bytes(os.urandom(2), "big") & 0x3FF)
        else:
            first = _last_tick + 1
        _last_tick = first + count - 1
    return first


def uuid7_ints(count: int) -> list[int]:
    """``count`` new UUIDv7 values as 128-bit integers, in increasing order.

    For bulk writers, which format them as their database stores them;
    building ``uuid.UUID`` objects would cost more than the rest of the row.
    """
    if count <= 0:
        return []
    first = _reserve(count)
    randoms = struct.unpack(f">{count}Q", os.urandom(8 * count))
    return [
        ((tick >> 12) << 80) | ((tick & 0xFFF) << 64) | _VERSION_VARIANT | (rand & _RANDOM_BITS)
        for tick, rand in zip(range(first, first + count), randoms, strict=True)
    ]


def uuid7() -> uuid.UUID:
    """A new UUIDv7, monotonic within this process."""
    return uuid.UUID(int=uuid7_ints(1)[0])
