"""Two processes writing one SQLite file: a sync waits for the other writer, or fails cleanly.

The other writer is a separate process holding a write transaction open (as a
long import or another run's commit does); the sync is ``booksync sync`` as a
real process against the sandbox bank over loopback HTTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import Connection
from booksync.db.errors import LOCKED
from tests.sync.processes import CLI, cli, log_entry, running_run, wait_for
from tests.sync.support import Books

WRITER = [
    sys.executable,
    "-c",
    "import sqlite3, sys, time\n"
    "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "db.execute('BEGIN IMMEDIATE')\n"
    "db.execute('UPDATE company SET name = name')\n"
    "print('writing', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "db.execute('COMMIT')\n",
]


@pytest.fixture
def sqlite_url(backend: str, db_url: str) -> str:
    if backend != "sqlite":
        pytest.skip("one writer at a time is SQLite's rule")
    return db_url


@contextmanager
def writing(url: str, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding SQLite's write lock for ``seconds``, from the moment this yields."""
    path = make_url(url).database
    assert path
    writer = subprocess.Popen([*WRITER, path, str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        yield writer
    finally:
        writer.wait(120)
    assert writer.returncode == 0


def sync_beside_a_writer(
    url: str, books: Books, factory: sessionmaker[Session], hold: float
) -> tuple[subprocess.CompletedProcess[str], int]:
    """``booksync sync`` whose commit meets another process's write of ``hold`` seconds.

    The bank answers slowly, so the writer takes the lock while the sync
    fetches, and the sync's commit must wait for it.  Returns the sync's
    outcome and its run's id.
    """
    books.bank.inject("timeout", 1, delay=2)
    command = [*CLI, "--db", url, "sync", str(books.connection_id), "--json"]
    sync = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: running_run(factory, books.connection_id) is not None, 60, "the run")
        run = running_run(factory, books.connection_id)
        assert run is not None
        with writing(url, hold):
            out, err = sync.communicate(timeout=300)
    finally:
        if sync.poll() is None:
            sync.kill()
            sync.wait()
    assert "Traceback" not in err
    return subprocess.CompletedProcess(command, sync.returncode, out, err), run


def test_a_sync_waits_for_another_processs_long_write(
    sqlite_url: str, live_books: Books, factory: sessionmaker[Session]
) -> None:
    """The sync's commit queues behind another process's write instead of failing.

    How long it would wait is the connection's busy timeout, ten minutes
    (tests/db/test_engine_settings.py); a few seconds of writing show the queue.
    """
    done, run = sync_beside_a_writer(sqlite_url, live_books, factory, 5)
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(done.stdout)
    assert (result["run"], result["state"]) == (run, "success")


def test_a_sync_the_database_refuses_ends_failed_with_the_reason(
    sqlite_url: str, live_books: Books, factory: sessionmaker[Session]
) -> None:
    """A tiny wait (the URL's timeout): the commit is refused, and the run still closes."""
    books = live_books
    done, run = sync_beside_a_writer(f"{sqlite_url}?timeout=0.2", books, factory, 5)
    assert done.returncode == 1  # the sync ran and its run failed
    (result,) = json.loads(done.stdout)
    assert (result["run"], result["state"], result["error"]) == (run, "error", LOCKED)
    row = log_entry(sqlite_url, run)
    assert (row["state"], row["error"]) == ("error", LOCKED)
    with factory() as session:
        connection = session.get(Connection, books.connection_id)
        assert connection is not None
        assert connection.last_error == LOCKED
        assert connection.claimed_by is None  # released: the next sync need not wait
    again = cli(sqlite_url, "sync", str(books.connection_id), "--json")
    assert again.returncode == 0, again.stdout + again.stderr
