"""Run a producer in a child process while the caller consumes what it makes.

A bulk import has two halves: Python work (parsing, checking, building row
parameters) and database work (the driver executing statements).  On a
machine with two cores they should overlap.  In one process they barely
do: both halves need the GIL for much of their time (the driver binds
every parameter holding it), and each hand-over waits for the other
thread's switch interval, so a producer thread made a 300,000-entry import
only 5% faster than doing both halves in turn.  A child process has a GIL
of its own: the parent only unpickles each batch (about a tenth of the time
the child took to make it) and writes it.

The rules that keep this safe, and why:

- The child never touches the database: the job it runs gets only what was
  loaded before it started (pickled, or inherited when the child is forked).
- At most ``depth`` items wait in the parent, plus what the pipe holds, so
  the child never runs far ahead and memory stays flat however long the
  input is.
- An exception in the child reaches the caller unchanged, at the point in
  the stream where it happened, after every item produced before it; the
  caller's transaction then rolls back as it would have without the child.
  A child that dies without a word (killed, out of memory) is an error too,
  never a silent end of the stream.
- The child never outlives the ``with`` block: leaving it for any reason
  (the end, an error on either side, ``KeyboardInterrupt``, SIGTERM) stops
  the child and joins it and the thread that reads its pipe.  SIGTERM is
  turned into ``SystemExit(143)`` for the block's length (main thread only),
  so the caller's cleanup runs (its transaction rolls back) instead of the
  process vanishing with the child still running.  It is raised where the
  stream hands over its next item (or at the block's end), never from
  inside whatever the caller was doing when the signal came: raised inside
  a database call, it left the connection unable to roll back, and the
  command ended with a database error instead.
- The child never outlives its parent either, even one killed with
  SIGKILL, whose cleanup never runs: a forked child closes its copy of the
  pipe's reading end at once (holding it, a child whose parent is gone
  would wait forever for room in the pipe instead of failing to write), and
  on Linux asks the kernel for SIGKILL when the parent dies
  (``PR_SET_PDEATHSIG``).  The kernel sends that signal when the *thread*
  that forked the child ends; that thread is inside the ``with`` block for
  the child's whole life, so this is never too early.

On Linux the child is forked: it starts at once and inherits the job, so
the job need not be picklable.  Elsewhere it is spawned, and the job must
pickle (a module-level function, or a ``functools.partial`` of one).

:func:`gc_relaxed` is the other half of a bulk job's setup: see there.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from multiprocessing.context import DefaultContext
from types import FrameType
from typing import TypeVar, cast

from booksync.ledger.errors import LedgerError

T = TypeVar("T")

START_METHOD = "fork" if sys.platform == "linux" else "spawn"
_ITEM, _END, _ERROR = 0, 1, 2
_SHUTDOWN_S = 5.0  # how long a finished child may take to exit before it is killed
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
TERMINATED = 128 + signal.SIGTERM  # the exit code a shell shows for a command stopped by SIGTERM


class ProducerFailed(LedgerError):
    """The producer process ended without finishing its stream or saying why.

    A ledger error, so a command shows it as one sentence: the caller's
    transaction rolls back and nothing is written.
    """

    code = "interrupted"


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this process when its parent dies; exit if it has already."""
    if sys.platform != "linux":
        return
    import ctypes  # only in the child: no command start pays for it

    with suppress(OSError, AttributeError):  # no libc prctl: the closed pipe end still ends us
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the request above took effect
        os._exit(1)


def _produce(
    job: Callable[[], Iterable[object]],
    pipe: Connection,
    unused: Connection | None = None,
    parent: int | None = None,
) -> None:
    """The child's whole life: run ``job``, send each item, then the end or the error.

    ``unused``: the pipe's reading end a forked child inherits; ``parent``: the
    parent's pid (see the module's rules).
    """
    # A forked child inherits the parent's handlers; the parent's SIGTERM handler
    # is meant for the parent, and ``terminate()`` must end the child at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if unused is not None:
        unused.close()
    if parent is not None:
        _die_with_parent(parent)
    dumps, protocol = pickle.dumps, pickle.HIGHEST_PROTOCOL
    try:
        with gc_relaxed():
            for item in job():
                pipe.send_bytes(dumps((_ITEM, item), protocol))
        pipe.send_bytes(dumps((_END, None), protocol))
    except KeyboardInterrupt:
        # The parent got the same signal and stops by itself: leave quietly,
        # with the exit code a shell gives an interrupted command.
        raise SystemExit(130) from None
    except BaseException as exc:
        try:
            message = dumps((_ERROR, exc), protocol)
        except Exception:  # an exception that does not pickle still gets its say
            message = dumps((_ERROR, ProducerFailed(f"{type(exc).__name__}: {exc}")), protocol)
        with suppress(OSError):  # the parent may have gone already
            pipe.send_bytes(message)
    finally:
        pipe.close()


@contextmanager
def produced_in_process(
    job: Callable[[], Iterable[T]], *, depth: int = 3, name: str = "booksync-producer"
) -> Iterator[Iterator[T]]:
    """``job()``'s items, produced in a child process, as an iterator in this one."""
    # Typed as the default context: whichever method, it makes processes and pipes alike.
    context = cast(DefaultContext, multiprocessing.get_context(START_METHOD))
    receive, send = context.Pipe(duplex=False)
    # Only a forked child holds a copy of ``receive`` to close; a spawned one gets
    # only what it is passed, and passing ``receive`` would give it a copy.
    unused = receive if START_METHOD == "fork" else None
    child = context.Process(
        target=_produce, args=(job, send, unused, os.getpid()), name=name, daemon=True
    )
    child.start()
    send.close()  # the child holds the only writing end: its exit ends the stream
    slots: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)

    def read() -> None:
        """Move messages from the pipe to the slots; ``None`` marks the pipe's end."""
        try:
            while True:
                slots.put(receive.recv_bytes())
        except (EOFError, OSError):
            slots.put(None)

    reader = threading.Thread(target=read, name=f"{name}-reader", daemon=True)
    reader.start()
    ended = False  # the child said its last word (or died)

    def consume() -> Iterator[T]:
        nonlocal ended
        while True:
            if terminated.is_set():  # SIGTERM came: stop here, between two items
                raise SystemExit(TERMINATED)
            message = slots.get()
            if message is None:
                ended = True
                child.join(_SHUTDOWN_S)
                raise ProducerFailed(
                    f"the producer process stopped unexpectedly (exit code {child.exitcode})"
                )
            kind, value = pickle.loads(message)
            if kind == _ITEM:
                yield cast(T, value)
                continue
            ended = True
            if kind == _END:
                return
            raise cast(BaseException, value)

    try:
        with _terminate_noted() as terminated:
            yield consume()
    finally:
        if ended:  # it is on its way out: let it go by itself
            child.join(_SHUTDOWN_S)
        if child.is_alive():
            child.terminate()
            child.join()
        while reader.is_alive():  # free a slot for a reader blocked on a full queue
            with suppress(queue.Empty):
                slots.get(timeout=0.01)
        reader.join()
        receive.close()
        child.close()


@contextmanager
def _terminate_noted() -> Iterator[threading.Event]:
    """Within the block, SIGTERM sets the event it yields (main thread only).

    The default action ends the process on the spot: no rollback, no joining
    of the child.  Whoever holds the event raises ``SystemExit(143)`` at a
    safe point; the block's end raises it if nobody did.  A second SIGTERM
    gets the previous handler back.
    """
    terminated = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield terminated
        return
    previous = signal.getsignal(signal.SIGTERM)

    def note(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, previous)
        terminated.set()

    signal.signal(signal.SIGTERM, note)
    try:
        yield terminated
    finally:
        signal.signal(signal.SIGTERM, previous)
    if terminated.is_set():
        raise SystemExit(TERMINATED)


class _Relaxation:
    """Who is inside :func:`gc_relaxed`, and the settings to restore when the last one leaves.

    The collector's settings are process-wide and worker threads run bulk
    jobs at the same time: each saving and restoring on its own, overlapping
    users would restore each other's relaxed values and leave them for good.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.saved: tuple[int, int, int] = gc.get_threshold()

    def after_fork(self) -> None:
        # Another thread may have held the lock when the process forked; the
        # child has no such thread, so a fresh lock is the only safe one.
        self.lock = threading.Lock()

    def enter(self, young: int) -> None:
        with self.lock:
            if self.users == 0:
                self.saved = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(max(self.saved[0], young), *self.saved[1:])
            self.users += 1

    def leave(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0:
                gc.set_threshold(*self.saved)
                gc.unfreeze()


_relaxation = _Relaxation()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_relaxation.after_fork)


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
    at all an import's memory doubled.

    Safe across threads: the first user to enter relaxes, the last one to
    leave restores the settings found by the first (see :class:`_Relaxation`).
    """
    _relaxation.enter(young)
    try:
        yield
    finally:
        _relaxation.leave()
