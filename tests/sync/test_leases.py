"""Leases: a run whose process died frees its connection; ``--force`` takes one over.

The killed runs are real ``booksync sync`` processes talking to the sandbox
bank over loopback HTTP, stopped with SIGKILL while the bank is slow to
answer; what follows is checked through the CLI (``sync``, ``sync log``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import SyncRun
from booksync.providers.base import Provider
from booksync.sync import lease
from booksync.sync.run import RunResult, SyncRunner
from tests.sync.processes import CLI, SHORT_LEASE_CLI, cli, killed_mid_run, log_entry
from tests.sync.support import FAST_RETRY, Books, assert_exactly_once


def test_force_takes_over_from_a_killed_sync_at_once(db_url: str, live_books: Books) -> None:
    books = live_books
    killed = killed_mid_run(db_url, books, CLI)

    plain = cli(db_url, "sync", str(books.connection_id), "--json")
    assert plain.returncode == 1
    (busy,) = json.loads(plain.stdout)
    assert busy["state"] == "busy"
    assert f"--force {books.connection_id}" in busy["error"]

    forced = cli(db_url, "sync", "--force", str(books.connection_id), "--json")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    (result,) = json.loads(forced.stdout)
    assert result["state"] == "success"
    assert "took the lease over from manual:" in forced.stderr
    assert f"run {killed} started at" in forced.stderr

    row = log_entry(db_url, killed)
    assert row["state"] == "error"
    assert row["error"].startswith("interrupted:")
    assert row["finished_at"] is not None
    assert_exactly_once(books.factory, books)


def test_a_killed_syncs_lease_runs_out_and_the_next_sync_starts_by_itself(
    db_url: str, live_books: Books
) -> None:
    books = live_books
    killed = killed_mid_run(db_url, books, [*SHORT_LEASE_CLI, "2"])

    deadline = time.monotonic() + 60
    while True:  # busy until the lease the dead process last renewed runs out
        attempt = cli(db_url, "sync", str(books.connection_id), "--json")
        (result,) = json.loads(attempt.stdout)
        if result["state"] != "busy" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result["state"] == "success", result
    assert attempt.returncode == 0

    row = log_entry(db_url, killed)
    assert (row["state"], row["error"]) == ("error", lease.ABANDONED)
    assert_exactly_once(books.factory, books)


# -- in one process: the heartbeat and a run that was taken over -------------------------


class SlowBank:
    """The sandbox provider, answering only after ``gate`` opens."""

    name = "simplefin"

    def __init__(self, books: Books, gate: threading.Event) -> None:
        self.books = books
        self.gate = gate
        self.asked = threading.Event()

    def fetch(self, *args: Any, **kwargs: Any) -> Any:
        self.asked.set()
        assert self.gate.wait(60)
        with self.books.provider() as provider:
            return provider.fetch(*args, **kwargs)


def runner(books: Books, provider: object, name: str) -> SyncRunner:
    return books.runner(providers=lambda _name: cast(Provider, provider), worker=name)


@contextmanager
def slow_run(books: Books, name: str) -> Iterator[list[RunResult]]:
    """A run by ``name`` in a thread, stopped at the bank until the block ends; its result."""
    gate = threading.Event()
    slow = SlowBank(books, gate)
    results: list[RunResult] = []
    thread = threading.Thread(
        target=lambda: results.append(runner(books, slow, name).run(books.connection_id))
    )
    thread.start()
    try:
        assert slow.asked.wait(60)
        yield results
    finally:
        gate.set()
        thread.join(60)


def test_a_run_longer_than_its_lease_keeps_it(
    lean_books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heartbeat renews the lease while the bank takes three lease lengths to answer."""
    books = lean_books
    monkeypatch.setattr(lease, "LEASE", dt.timedelta(seconds=0.8))
    with slow_run(books, "first") as results:
        time.sleep(2.4)  # three lease lengths: only renewals keep it
        other = runner(books, books.provider(), "second").run(books.connection_id)
        assert other.state == "busy"
        assert "first" in (other.error or "")
    assert results[0].state == "success", results[0].error
    assert_exactly_once(books.factory, books)


def test_a_run_taken_over_books_nothing(lean_books: Books, factory: sessionmaker[Session]) -> None:
    """``--force`` beside a live (hung) run: the forced run books, the hung one gives up."""
    books = lean_books
    with slow_run(books, "hung") as results:
        forced = runner(books, books.provider(), "rescuer").run(books.connection_id, force=True)
    assert forced.state == "success", forced.error
    assert forced.took_over is not None and forced.took_over.startswith("hung, whose run")
    (late,) = results
    assert (late.state, late.error) == ("error", lease.LOST)
    assert late.new == 0
    with factory() as session:
        stored = session.get(SyncRun, late.run)
        assert stored is not None
        assert (stored.state, stored.error) == ("error", lease.TAKEN_OVER)
    assert_exactly_once(factory, books)
    again = books.sync(retry=FAST_RETRY)
    assert again.state == "success" and again.new == 0
