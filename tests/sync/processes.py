"""Real processes for the sync tests: the CLI, and waiting on what they do to the database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booksync.banking.models import SyncRun
from tests.sync.support import Books

CLI = [sys.executable, "-c", "from booksync.cli.main import main; main()"]
# The same command with the lease shortened to argv[1] seconds (tests cannot wait a minute).
SHORT_LEASE_CLI = [
    sys.executable,
    "-c",
    "import datetime, sys; import booksync.sync.lease as lease; "
    "lease.LEASE = datetime.timedelta(seconds=float(sys.argv.pop(1))); "
    "from booksync.cli.main import main; main()",
]


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def running_run(factory: sessionmaker[Session], connection_id: int) -> int | None:
    with factory() as session:
        return session.scalar(
            select(SyncRun.id).where(
                SyncRun.connection_id == connection_id, SyncRun.state == "running"
            )
        )


def cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--db", db_url, *args], capture_output=True, text=True, timeout=120
    )


def killed_mid_run(db_url: str, books: Books, command: Sequence[str]) -> int:
    """Start ``command`` (a sync of the connection), kill -9 it while the bank is slow; its run."""
    books.bank.inject("timeout", 1, delay=8)  # a slow answer, not a failed one
    process = subprocess.Popen(
        [*command, "--db", db_url, "sync", str(books.connection_id)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: (
                running_run(books.factory, books.connection_id) is not None
                and len(books.bank.faults) == 0
            ),
            60,
            "the sync to ask the bank",
        )
        run = running_run(books.factory, books.connection_id)
        assert run is not None
    finally:
        process.kill()
        process.wait(30)
    return run


def log_entry(db_url: str, run: int) -> dict[str, Any]:
    shown = cli(db_url, "sync", "log", "--json")
    assert shown.returncode == 0, shown.stderr
    (row,) = [r for r in json.loads(shown.stdout) if r["run"] == run]
    return cast(dict[str, Any], row)
