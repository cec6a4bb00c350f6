"""GoCardless first-sync benchmark: booksync against a bare client, in one run.

Run ``python bench/gocardless_bench.py [--transactions N]`` (default 100,000).

The sandbox bank serves, from this process, one GoCardless account holding N
booked transactions (``World(seed, bulk_transactions=N)``), linked through a
real agreement, requisition and consent page.  Then, each in a fresh child
process so that neither shares the bank's interpreter:

(a) booksync: the scheduler's claim and one first sync into a fresh SQLite
    file, end to end (token, ``/transactions/`` and ``/balances/`` over
    loopback HTTP, parsing, dedupe, statement lines, entries, aliases, one
    commit), with the provider's ``fetch`` (HTTP and parsing) timed apart.
    Target: >= 10,000 transactions/s.
(b) a bare client: a token, the same ``/transactions/`` answer, parsed with
    ``json``, and one row per booked transaction inserted with
    ``sqlite3.executemany`` into a fresh SQLite file, committed.  The floor any
    program pays for the same data.  Target: (a) within 5x (b).

Printed, never asserted: both times and rates, their ratio, the core count and
the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

import database_floor
from booksync.banking.connections import create_connection
from booksync.banking.states import RunTrigger
from booksync.db.base import utcnow
from booksync.db.engine import make_engine, session_factory
from booksync.db.migrate import upgrade
from booksync.ledger.companies import create_company
from booksync.providers.gocardless import GoCardlessProvider
from booksync.providers.gocardless_http import Secrets
from booksync.providers.gocardless_secret import GoCardlessSecret
from booksync.sandbox.gocardless import bank_of
from booksync.sandbox.server import SandboxHandle, start
from booksync.sync.run import SyncRunner
from booksync.sync.scheduler import claim_due

TARGET_RATE = 10_000.0
TARGET_RATIO = 5.0
INSTITUTION = "NORDWERKBANK_NWBKDEFF"  # the world's first bank holds the bulk account
SECRET_ID, SECRET_KEY = "bench-id", "bench-key"
HISTORY_DAYS = 90


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- children -------------------------------------------------------------------


class TimedProvider(GoCardlessProvider):
    """GoCardless with a stopwatch on ``fetch`` (HTTP and parsing): the rest is booking."""

    seconds = 0.0

    def fetch(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().fetch(*args, **kwargs)
        finally:
            TimedProvider.seconds += time.perf_counter() - started


def booksync_child(db_url: str) -> None:
    """(a): the scheduled first sync of the one due connection."""
    factory = session_factory(make_engine(db_url))
    runner = SyncRunner(factory, worker="bench", providers=lambda _name: TimedProvider())
    started = time.perf_counter()
    (ident,) = claim_due(factory, "bench", 1, utcnow())
    result = runner.run(ident, trigger=RunTrigger.SCHEDULE, leased=True)
    seconds = time.perf_counter() - started
    print(json.dumps({"state": result.state, "error": result.error, "fetched": result.fetched,
                      "new": result.new, "seconds": seconds, "fetch": TimedProvider.seconds}))


def bare_child(base: str, account: str, date_from: str, date_to: str, path: str) -> None:
    """(b): the same answer fetched, read with ``json`` and inserted with ``executemany``."""
    started = time.perf_counter()

    def call(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(urllib.request.Request(url, data, headers)) as answer:
            return json.loads(answer.read())

    token = call(f"{base}/api/v2/token/new/", {"secret_id": SECRET_ID, "secret_key": SECRET_KEY})
    answer = call(f"{base}/api/v2/accounts/{account}/transactions/?date_from={date_from}"
                  f"&date_to={date_to}", token=token["access"])
    booked = answer["transactions"]["booked"]
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE line (id TEXT, day TEXT, amount TEXT, label TEXT)")
    db.executemany(
        "INSERT INTO line VALUES (?, ?, ?, ?)",
        ((t.get("transactionId"), t["bookingDate"], t["transactionAmount"]["amount"],
          t.get("remittanceInformationUnstructured")) for t in booked),
    )
    db.commit()
    db.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": len(booked), "seconds": seconds}))


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"a benchmark process failed:\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


# --- the run ----------------------------------------------------------------------


def _connect(bank: SandboxHandle, db_url: str) -> tuple[str, dt.date]:
    """Link the bulk account through a real consent; its GoCardless id and the window start."""
    secrets = Secrets.checked(f"{bank.url}/gocardless", SECRET_ID, SECRET_KEY)
    with GoCardlessProvider(secrets, timeout=600) as provider:
        started = provider.start(INSTITUTION, "http://localhost/done", HISTORY_DAYS, 90)
        httpx.get(started.pending.link)
        waiting = GoCardlessSecret(secrets.base_url, SECRET_ID, SECRET_KEY, INSTITUTION,
                                   pending=started.pending)
        linked, requisition = provider.linked(waiting)
        gc = bank_of(bank.server)
        bulk = next(a for a in requisition.accounts
                    if bank.world.accounts[gc.world_account(a)].profile == "bulk")
        remote = [a for a in provider.list_accounts(linked.credentials()) if a.id == bulk]
    engine = make_engine(db_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        company = create_company(session, "Bench", "EUR", "DE")
        create_connection(session, company, linked.credentials(), remote,
                          history_days=HISTORY_DAYS)
        session.commit()
    engine.dispose()
    return bulk, bank.world.today - dt.timedelta(days=HISTORY_DAYS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--booksync-child", help=argparse.SUPPRESS)
    parser.add_argument("--bare-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.booksync_child:
        booksync_child(args.booksync_child)
        return
    if args.bare_child:
        bare_child(*args.bare_child)
        return
    os.environ.setdefault("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    folder = Path(tempfile.mkdtemp(prefix="booksync-gocardless-bench-"))
    try:
        print(f"building a sandbox account of {args.transactions:,} transactions ...", flush=True)
        with start(port=0, seed=1, bulk_transactions=args.transactions) as bank:
            db_url = f"sqlite:///{folder / 'sync.db'}"
            account, first = _connect(bank, db_url)
            last = bank.world.today + dt.timedelta(days=6)  # the run's window: today + 7, exclusive
            load_before = _load()
            ours = _child("--booksync-child", db_url)
            bare = _child("--bare-child", f"{bank.url}/gocardless", account, first.isoformat(),
                          last.isoformat(), str(folder / "bare.db"))
            load_after = _load()
            floor = database_floor.measure(folder / "sync.db")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if ours["error"]:
        print(f"the sync reported: {ours['error']}")
    rate = ours["new"] / ours["seconds"]
    bare_rate = bare["rows"] / bare["seconds"]
    ratio = ours["seconds"] / bare["seconds"]
    mark = {True: "ok", False: "MISSED"}
    print(f"\nbooksync GoCardless benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
          f"load average {load_before} before, {load_after} after, "
          f"Python {sys.version.split()[0]}")
    rows = [
        ("booksync first sync",
         f"{ours['state']}, {ours['new']:,} new in {ours['seconds']:.2f} s = {rate:,.0f}/s",
         f">= {TARGET_RATE:,.0f}/s {mark[rate >= TARGET_RATE]}"),
        ("  of which fetch and parse", f"{ours['fetch']:.2f} s", "-"),
        ("bare client (json + executemany)",
         f"{bare['rows']:,} rows in {bare['seconds']:.2f} s = {bare_rate:,.0f}/s", "-"),
        ("booksync / bare", f"{ratio:.2f}x",
         f"<= {TARGET_RATIO:.0f}x {mark[ratio <= TARGET_RATIO]}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"  {name:<{width}}  {value:>42}  {target}")
    print(f"  {database_floor.line(floor, ours['seconds'])}")


if __name__ == "__main__":
    main()
