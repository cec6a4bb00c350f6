"""Run an iterator in a producer thread while the caller consumes it.

A bulk import has two halves of similar weight: Python work (parsing,
checking, building row parameters) and database work (the driver executing
statements).  The drivers release the GIL while a statement runs, so on a
machine with two cores the Python work for the next batch can overlap the
database work of the current one.

The rules that keep this safe, and why:

- The queue is bounded (``depth`` items), so the producer never runs more
  than a few batches ahead and memory stays flat however long the input is.
- Only the consumer, i.e. the caller's thread, touches the session or its
  connection; the producer only reads what was loaded before it started.
- An exception in the producer reaches the consumer unchanged, at the point
  in the stream where it happened, after every item produced before it.  The
  caller's transaction then rolls back as it would have without the thread.
- The producer never outlives the ``with`` block: leaving it for any reason
  (the end, an error on either side, ``KeyboardInterrupt``) stops the
  producer, closes its iterator in its own thread, and joins it.  (A source
  that blocks, like a pipe with no writer, holds the join until it returns.)

:func:`gc_relaxed` is the other half of a bulk job's setup: see there.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar, cast

T = TypeVar("T")

# While both threads are busy, a thread that wants the GIL waits up to the
# switch interval (5 ms by default) for the other to let go.  The consumer
# wants it back after every statement, so a 5 ms wait each time would idle
# the database for a large part of the import; 0.5 ms keeps the database busy
# at a negligible cost in switching.
SWITCH_INTERVAL_S = 0.0005
_DONE = object()


@contextmanager
def produced_in_background(
    items: Iterable[T], *, depth: int = 2, name: str = "booksync-producer"
) -> Iterator[Iterator[T]]:
    """``items``, iterated in a producer thread, as an iterator for the caller's thread."""
    slots: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                slots.put((True, item))
                if stop.is_set():
                    return
            slots.put((True, _DONE))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            slots.put((False, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # a generator's cleanup runs here, in the thread that ran it

    def consume() -> Iterator[T]:
        while True:
            ok, value = slots.get()
            if not ok:
                assert isinstance(value, BaseException)
                raise value
            if value is _DONE:
                return
            yield cast(T, value)

    saved_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(saved_interval, SWITCH_INTERVAL_S))
    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        while worker.is_alive():  # free a slot for a producer blocked on a full queue
            with suppress(queue.Empty):
                slots.get(timeout=0.01)
        worker.join()
        sys.setswitchinterval(saved_interval)


@contextmanager
def gc_relaxed(young: int = 10_000) -> Iterator[None]:
    """Run the cyclic garbage collector rarely, and never over what existed before.

    An import allocates millions of short-lived containers (decoded JSON,
    prepared lines, row tuples) that reference counting frees; yet every
    700 of them start a collection, and the full ones walk every live
    object, the whole loaded application included, holding the GIL: about
    an eighth of the import's CPU time.  So objects that exist now are
    frozen out of collections and the youngest generation waits for
    ``young`` allocations.  The collector is not switched off: the database
    layer makes a few cycles that hold driver memory, and with no collection
    at all an import's memory doubled.  Settings are restored on the way out.
    """
    saved = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(saved[0], young), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)
        gc.unfreeze()
