"""UUIDv7: RFC 9562 layout, time prefix, monotonic within a process."""

from __future__ import annotations

import itertools
import threading
import time
import uuid

from booksync.db.uuid7 import uuid7


def test_version_and_variant_bits() -> None:
    for _ in range(500):
        u = uuid7()
        assert isinstance(u, uuid.UUID)
        assert u.version == 7
        assert u.variant == uuid.RFC_4122
        assert (u.int >> 76) & 0xF == 7
        assert (u.int >> 62) & 0b11 == 0b10


def test_time_prefix_is_unix_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    u = uuid7()
    after = time.time_ns() // 1_000_000
    ms = u.int >> 80
    # The counter may borrow a millisecond or two when many ids are made at once.
    assert before <= ms <= after + 2
    assert int(u.hex[:12], 16) == ms


def test_monotonic_and_unique_within_a_process() -> None:
    ids = [uuid7() for _ in range(20_000)]  # far more than one per millisecond
    assert len(set(ids)) == len(ids)
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert all(a.bytes < b.bytes for a, b in itertools.pairwise(ids))
    assert str(ids[0]) < str(ids[-1])


def test_monotonic_across_threads() -> None:
    results: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def work(out: list[uuid.UUID]) -> None:
        for _ in range(2000):
            out.append(uuid7())

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [u for out in results for u in out]
    assert len(set(everything)) == len(everything)
    for out in results:
        assert out == sorted(out)


def test_random_part_differs() -> None:
    a, b = uuid7(), uuid7()
    assert (a.int & ((1 << 62) - 1)) != (b.int & ((1 << 62) - 1))
