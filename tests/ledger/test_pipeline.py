"""The pipelined import: a producer process that never outlives it, all or nothing.

Also the integer shortcut ``prepare`` takes for amounts, checked against ``to_minor``.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booksync.formats.jsonl import read_prepared
from booksync.ledger import pipeline
from booksync.ledger.entries import EntryImporter, PreparedEntry, Resolver, _minor, prepare
from booksync.ledger.errors import InvalidEntry, LedgerError, UnbalancedEntry
from booksync.ledger.models import Company, Entry, Line
from booksync.ledger.pipeline import ProducerFailed, produced_in_process
from booksync.money import MoneyError, to_minor
from tests.helpers import entry


def producers() -> list[multiprocessing.process.BaseProcess]:
    """Producer processes still running (joined ones are reaped by ``active_children``)."""
    return [p for p in multiprocessing.active_children() if p.name == "booksync-producer"]


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "booksync-producer-reader"]


# --- the producer process -------------------------------------------------------------
# Jobs are module-level functions so that they pickle where producers are spawned.


def pids(count: int) -> Iterator[tuple[int, int]]:
    for n in range(count):
        yield n, os.getpid()


def test_items_arrive_in_order_from_another_process() -> None:
    with produced_in_process(partial(pids, 100)) as got:
        items = list(got)
    assert [n for n, _ in items] == list(range(100))
    assert {pid for _, pid in items} != {os.getpid()}
    assert len({pid for _, pid in items}) == 1
    assert producers() == [] and readers() == []


def two_then_broken() -> Iterator[int]:
    yield 1
    yield 2
    raise UnbalancedEntry("line 3: broken")


def test_a_producer_error_arrives_after_the_items_before_it() -> None:
    got: list[int] = []
    with (
        pytest.raises(UnbalancedEntry, match=r"^line 3: broken$"),
        produced_in_process(two_then_broken) as stream,
    ):
        got.extend(stream)
    assert got == [1, 2]
    assert producers() == [] and readers() == []


class Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle this")


def broken_beyond_pickling() -> Iterator[int]:
    yield 1
    raise Unpicklable("deep trouble")


def test_an_error_that_does_not_pickle_still_names_itself() -> None:
    with (
        pytest.raises(ProducerFailed, match="Unpicklable: deep trouble"),
        produced_in_process(broken_beyond_pickling) as stream,
    ):
        list(stream)
    assert producers() == []


def dies_silently() -> Iterator[int]:
    yield 1
    os._exit(3)


def test_a_producer_that_dies_is_an_error_not_the_end() -> None:
    got: list[int] = []
    with (
        pytest.raises(ProducerFailed, match="exit code 3"),
        produced_in_process(dies_silently) as stream,
    ):
        got.extend(stream)
    assert got == [1]
    assert producers() == [] and readers() == []


def interrupted() -> Iterator[int]:
    yield 1
    raise KeyboardInterrupt


def test_an_interrupted_producer_leaves_quietly_and_the_import_stops() -> None:
    """Ctrl-C reaches both processes; should the child's end arrive first, it is an error."""
    with (
        pytest.raises(ProducerFailed, match="exit code 130") as info,
        produced_in_process(interrupted) as stream,
    ):
        list(stream)
    assert isinstance(info.value, LedgerError)  # shown by the CLI as one sentence
    assert producers() == [] and readers() == []


def endless() -> Iterator[int]:
    n = 0
    while True:
        n += 1
        yield n


def test_a_consumer_error_stops_and_joins_the_producer() -> None:
    with (
        pytest.raises(RuntimeError, match="database said no"),
        produced_in_process(endless, depth=2) as stream,
    ):
        for n in stream:
            if n == 10:
                raise RuntimeError("database said no")
    assert producers() == [] and readers() == []


def test_leaving_early_stops_the_producer() -> None:
    with produced_in_process(endless) as stream:
        assert next(stream) == 1
    assert producers() == [] and readers() == []


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_both_ways_of_starting_the_producer(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linux forks; other systems spawn, which needs a job that pickles."""
    monkeypatch.setattr(pipeline, "START_METHOD", method)
    with produced_in_process(partial(pids, 5)) as got:
        assert [n for n, _ in got] == list(range(5))
    with pytest.raises(UnbalancedEntry), produced_in_process(two_then_broken) as stream:
        list(stream)
    assert producers() == []


# --- the importer ------------------------------------------------------------------------


def count(session: Session, model: type[Entry] | type[Line], company: Company) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(model).where(model.company_id == company.id)
        )
        or 0
    )


def sale(day: str, amount: str, **line: Any) -> dict[str, Any]:
    return {
        "journal": "SAL",
        "date": day,
        "ref": f"INV {day}",
        "lines": [
            {"account": "1100", "debit": amount, "credit": "0"},
            {"account": "4000", "debit": "0", "credit": amount, **line},
        ],
    }


def jsonl(objs: list[dict[str, Any]]) -> io.BytesIO:
    return io.BytesIO(b"".join(json.dumps(o).encode() + b"\n" for o in objs))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_import_stream_books_every_batch(
    session: Session, company: Company, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spawned producers (other systems than Linux) get the whole job pickled."""
    monkeypatch.setattr(pipeline, "START_METHOD", method)
    objs = [sale(f"2026-01-{1 + n % 28:02d}", f"{n + 1}.50") for n in range(95)]
    importer = EntryImporter(session, company, post=True, batch_size=10)
    done: list[int] = []
    assert importer.import_stream(partial(read_prepared, jsonl(objs)), done.append) == 95
    ids = importer.finish()
    session.commit()
    assert done == [10, 20, 30, 40, 50, 60, 70, 80, 90, 95]
    assert len(ids) == len(set(ids)) == 95
    numbers = session.scalars(select(Entry.number).where(Entry.id.in_(ids)).order_by(Entry.id))
    assert list(numbers) == [f"SAL/2026/{n:05d}" for n in range(1, 96)]
    assert count(session, Line, company) == 190
    assert producers() == []


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (sale("2026-02-01", "5", account="9999"), InvalidEntry, "line 87: unknown account"),
        (
            {**sale("2026-02-01", "5"), "lines": [{"account": "1100", "debit": "5"},
                                                  {"account": "4000", "credit": "4.99"}]},
            UnbalancedEntry,
            "line 87: entry is not balanced",
        ),
    ],
)
def test_an_error_in_a_late_batch_rolls_back_everything(
    session: Session, company: Company, bad: dict[str, Any], error: type[Exception], message: str
) -> None:
    objs = [sale("2026-01-05", "1.00") for _ in range(86)] + [bad, sale("2026-01-06", "2.00")]
    importer = EntryImporter(session, company, post=True, batch_size=10)
    with pytest.raises(error) as info:
        importer.import_stream(partial(read_prepared, jsonl(objs)))
    assert str(info.value).startswith(message)
    assert importer.count == 80  # eight batches were written before the error surfaced
    assert producers() == []
    session.rollback()
    assert count(session, Entry, company) == 0
    assert count(session, Line, company) == 0


def numbered(resolver: Resolver) -> Iterator[tuple[int, PreparedEntry]]:
    for n in range(1, 10**6):
        yield n, prepare(resolver, entry("MISC", "2026-01-10", ("1000", 1, 0), ("3000", 0, 1)))


def test_a_database_error_joins_the_producer(session: Session, company: Company) -> None:
    """The consumer fails (here: its callback); the producer is stopped, not left running."""

    def fail(done: int) -> None:
        raise RuntimeError(f"failed after {done}")

    importer = EntryImporter(session, company, post=False, batch_size=50)
    with pytest.raises(RuntimeError, match="failed after 50"):
        importer.import_stream(numbered, fail)
    assert producers() == []
    session.rollback()
    assert count(session, Entry, company) == 0


def test_drafts_are_not_checked_for_balance(session: Session, company: Company) -> None:
    lopsided = {**sale("2026-01-05", "5"), "lines": [{"account": "1100", "debit": "5"}]}
    importer = EntryImporter(session, company, post=False, batch_size=10)
    assert importer.import_stream(partial(read_prepared, jsonl([lopsided] * 12))) == 12
    importer.finish()
    session.commit()
    states = set(session.scalars(select(Entry.state).where(Entry.company_id == company.id)))
    assert states == {"draft"}


# --- the integer shortcut of prepare's amounts -----------------------------------------


def reference_minor(value: Decimal, exp: int) -> int | str:
    """What ``_minor`` returned before its shortcut: ``to_minor``, refusing negatives."""
    if not value:
        return 0
    try:
        minor = to_minor(value, exp)
    except MoneyError as exc:
        return f"debit: {exc}"
    return minor if minor >= 0 else f"debit must not be negative ({value})"


@settings(deadline=None)
@given(
    value=st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False),
        st.decimals(min_value=-10**6, max_value=10**6, places=4),
        st.sampled_from([Decimal("1E+16"), Decimal("9.99E+15"), Decimal("1E+17"),
                         Decimal("0E+30"), Decimal("-0"), Decimal("1.500"), Decimal("1E-30")]),
    ),
    exp=st.integers(min_value=0, max_value=4),
)
def test_minor_shortcut_agrees_with_to_minor(value: Decimal, exp: int) -> None:
    try:
        got: int | str = _minor(value, exp, "debit")
    except InvalidEntry as exc:
        got = str(exc)
    assert got == reference_minor(value, exp)


# --- a producer never outlives its parent ------------------------------------------------

CLI = [sys.executable, "-c", "from booksync.cli.main import main; main()"]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``, read from /proc."""
    found = []
    for entry_dir in Path("/proc").iterdir():
        if not entry_dir.name.isdigit():
            continue
        try:
            stat = (entry_dir / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry_dir.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent (PID 1 of a container) to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.mark.skipif(sys.platform != "linux", reason="reads the process table from /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_killed_import_leaves_no_producer_and_writes_nothing(
    db_url: str, session: Session, company: Company, tmp_path: Path, how: signal.Signals
) -> None:
    """``entry import`` as a real process, killed mid-import: its producer goes too."""
    big = tmp_path / "big.jsonl"
    with big.open("w") as out:
        for n in range(80_000):
            out.write(json.dumps(sale(f"2026-01-{1 + n % 28:02d}", f"{n % 900 + 1}.25")) + "\n")
    err_file = tmp_path / "stderr.txt"
    with err_file.open("w") as err_out:  # a file, not a pipe: a stray producer would hold it
        parent = subprocess.Popen(
            [*CLI, "--db", db_url, "entry", "import", str(big), "--post"],
            stdout=subprocess.DEVNULL,
            stderr=err_out,
        )
    producer: list[int] = []

    def started() -> bool:
        producer[:] = _children(parent.pid)
        return bool(producer)

    try:
        assert _wait_for(started, 60), "the import never started its producer"
        time.sleep(1.0)  # mid-import: batches written, the producer ahead of the writer
        assert parent.poll() is None, "the import ended before it could be stopped"
        parent.send_signal(how)
        parent.wait(timeout=60)
        if how == signal.SIGTERM:
            # as a shell reports it
            assert parent.returncode == 128 + signal.SIGTERM, err_file.read_text()
            assert "Traceback" not in err_file.read_text()
        assert _wait_for(lambda: not any(_alive(p) for p in producer), 10), (
            "the producer outlived the import"
        )
    finally:
        for pid in producer:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    session.expire_all()
    assert count(session, Entry, company) == 0
    assert count(session, Line, company) == 0


# --- the collector's settings under threads ---------------------------------------------


def test_gc_relaxed_overlapping_threads_restore_the_settings() -> None:
    """Entered and left in any overlap, the last one out restores what the first found."""
    original = gc.get_threshold()
    frozen = gc.get_freeze_count()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with pipeline.gc_relaxed():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with pipeline.gc_relaxed():
            second_in.set()
            first_out.wait(10)
            seen.append(gc.get_threshold())  # the first has left: still relaxed for us

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert seen and seen[0][0] >= 10_000
    assert gc.get_threshold() == original
    assert gc.get_freeze_count() == frozen

    barrier = threading.Barrier(8)
    inside: list[int] = []

    def churn(n: int) -> None:
        barrier.wait(10)
        for _ in range(200 + n):
            with pipeline.gc_relaxed():
                inside.append(gc.get_threshold()[0])

    many = [threading.Thread(target=churn, args=(n,)) for n in range(8)]
    for thread in many:
        thread.start()
    for thread in many:
        thread.join(60)
    assert len(inside) == sum(200 + n for n in range(8))
    assert min(inside) >= 10_000  # relaxed for everyone inside, whoever left meanwhile
    assert gc.get_threshold() == original
    assert gc.get_freeze_count() == frozen
