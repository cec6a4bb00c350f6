"""Plaid first-sync benchmark: booksync against a bare client, on the same sandbox pages.

Run ``python bench/plaid_bench.py [--transactions N]``.

The sandbox bank (in this process) holds one bulk account of N transactions
(default 100,000) at Nordwerk Bank, served over loopback HTTP as Plaid's
``/transactions/sync`` (``World(seed, bulk_transactions=N)``).  Two child
processes then read every page of their own Item, one after the other:

- **bare**: an ``httpx`` client POSTs the cursor loop (500 a page), parses each
  page with ``json`` (``parse_float=Decimal``) and inserts one row per
  transaction with ``sqlite3``'s ``executemany`` into a fresh SQLite file, one
  commit.  No rule, no ledger: the floor of reading these pages into a table.
- **booksync**: a first sync of a Plaid connection to the same bank through
  the scheduler's runner into a fresh, migrated SQLite file: the provider's
  loop and parsing, dedupe, statement lines, posted entries, aliases,
  balances and the cursor, one commit.

Each child times its own work (Python's start and the setup excluded), wall
clock and its own CPU time (the bank's, in this process, is in neither), and
prints it; this prints both, the ratio booksync / bare, the core count and
the load average before, between and after.  On a machine others are using,
the CPU times say more than the wall times.  Targets: booksync >= 10,000
transactions/s and within 5x the bare client.  The figures are printed, not
asserted: a benchmark informs, the tests decide.
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
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

TARGET_RATE = 10_000.0
TARGET_RATIO = 5.0
PAGE = 500
CLIENT, SECRET = "plaid-bench", "plaid-bench-secret"


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the children ------------------------------------------------------------------


def bare(url: str, db: str) -> dict[str, Any]:
    """The floor: fetch every page, parse with json, one row per transaction."""
    token = os.environ["PLAID_BENCH_TOKEN"]
    headers = {"PLAID-CLIENT-ID": CLIENT, "PLAID-SECRET": SECRET}
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE tx (id TEXT PRIMARY KEY, account TEXT, date TEXT, amount TEXT, name TEXT)"
    )
    started, cpu = time.perf_counter(), time.process_time()
    count = pages = 0
    cursor = ""
    with httpx.Client(timeout=600) as client:
        while True:
            body: dict[str, Any] = {"access_token": token, "count": PAGE}
            if cursor:
                body["cursor"] = cursor
            reply = client.post(f"{url}/transactions/sync", json=body, headers=headers)
            reply.raise_for_status()
            page = json.loads(reply.content, parse_float=Decimal)
            rows = [
                (t["transaction_id"], t["account_id"], t["date"], str(t["amount"]), t["name"])
                for t in page["added"]
                if not t["pending"]
            ]
            conn.executemany("INSERT INTO tx VALUES (?, ?, ?, ?, ?)", rows)
            count += len(rows)
            pages += 1
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
    conn.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return {"side": "bare", "transactions": count, "pages": pages, "seconds": seconds,
            "cpu": cpu}


def booksync(db_url: str, connection_id: int) -> dict[str, Any]:
    """booksync's first sync of the Plaid connection, as the scheduler runs it."""
    from booksync.db.base import utcnow
    from booksync.db.engine import make_engine, session_factory
    from booksync.providers.plaid import PlaidProvider
    from booksync.sync.run import SyncRunner
    from booksync.sync.scheduler import claim_due

    factory = session_factory(make_engine(db_url))
    runner = SyncRunner(factory, providers=lambda _name: PlaidProvider(timeout=600),
                        worker="bench")
    started, cpu = time.perf_counter(), time.process_time()
    (ident,) = claim_due(factory, "bench", 1, utcnow())
    assert ident == connection_id
    result = runner.run(ident, trigger="schedule", leased=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"side": "booksync", "state": str(result.state), "error": result.error,
            "transactions": result.new, "fetched": result.fetched, "seconds": seconds,
            "cpu": cpu}


# --- the parent ---------------------------------------------------------------------


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, check=False, env={**os.environ, **env})
    if done.returncode != 0:
        raise SystemExit(f"the {args[0]} process failed:\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _bare_token(url: str) -> str:
    headers = {"PLAID-CLIENT-ID": CLIENT, "PLAID-SECRET": SECRET}
    public = httpx.post(f"{url}/sandbox/public_token/create", headers=headers,
                        json={"institution_id": "ins_nordwerk"}).json()["public_token"]
    exchanged = httpx.post(f"{url}/item/public_token/exchange", headers=headers,
                           json={"public_token": public}).json()
    token: str = exchanged["access_token"]
    return token


def run(transactions: int, folder: Path) -> dict[str, Any]:
    from booksync.app.connect_plaid import connect_plaid
    from booksync.db.engine import make_engine
    from booksync.db.migrate import upgrade
    from booksync.ledger.companies import create_company
    from booksync.providers.plaid_http import PlaidKeys
    from booksync.sandbox.server import start
    from booksync.sandbox.world import World

    db_url = f"sqlite:///{folder / 'books.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            create_company(session, "Bench", "EUR", "DE")
            session.commit()
    print(f"building a sandbox account of {transactions:,} transactions ...", flush=True)
    with start(world=World(1, bulk_transactions=transactions)) as bank:
        url = f"{bank.url}/plaid"
        view = connect_plaid(engine, None, keys=PlaidKeys(CLIENT, SECRET, url),
                             sandbox_institution="ins_nordwerk", interval_seconds=3600,
                             history_days=130, include_pending=True, links={})
        engine.dispose()
        token = _bare_token(url)
        loads = [_load()]
        first = _child(["bare", url, str(folder / "bare.db")], {"PLAID_BENCH_TOKEN": token})
        loads.append(_load())
        second = _child(["booksync", db_url, str(view.id)], {})
        loads.append(_load())
    return {"bare": first, "booksync": second, "loads": loads}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Keep the SQLite files in this folder.")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, *rest = args.child
        report = bare(rest[0], rest[1]) if side == "bare" else booksync(rest[0], int(rest[1]))
        print(json.dumps(report))
        return
    os.environ.setdefault("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    folder = args.keep or Path(tempfile.mkdtemp(prefix="booksync-plaid-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        found = run(args.transactions, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    b, s = found["bare"], found["booksync"]
    if s["error"]:
        print(f"booksync's run reported: {s['state']}: {s['error']}")
    bare_rate = b["transactions"] / b["seconds"]
    rate = s["transactions"] / s["seconds"]
    ratio = s["seconds"] / b["seconds"]
    print(
        f"\nPlaid first sync benchmark, {dt.date.today()}, {os.cpu_count()} cores, load average "
        f"{found['loads'][0]} before, {found['loads'][1]} between, {found['loads'][2]} after; "
        f"Python {sys.version.split()[0]}"
    )
    rows = [
        ("bare client (fetch, json, executemany)",
         f"{b['transactions']:,} in {b['seconds']:.2f} s = {bare_rate:,.0f}/s", "-"),
        ("booksync first sync",
         f"{s['transactions']:,} in {s['seconds']:.2f} s = {rate:,.0f}/s",
         f">= {TARGET_RATE:,.0f}/s {'ok' if rate >= TARGET_RATE else 'MISSED'}"),
        ("booksync / bare", f"{ratio:.2f}x",
         f"<= {TARGET_RATIO:.0f}x {'ok' if ratio <= TARGET_RATIO else 'MISSED'}"),
        ("CPU seconds: bare, booksync", f"{b['cpu']:.2f} s, {s['cpu']:.2f} s",
         f"{s['cpu'] / b['cpu']:.2f}x"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"  {name:<{width}}  {value:>36}  {target}")


if __name__ == "__main__":
    main()
