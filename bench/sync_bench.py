"""Bank synchronization benchmark: a bulk first sync, a quiet re-sync, two workers.

Run ``python bench/sync_bench.py [--transactions N] [--connections M]``.

(a) First sync of one sandbox account holding N transactions (default
    100,000) over loopback HTTP into a fresh SQLite file, end to end: the
    scheduler's claim, the SimpleFIN fetch and parse, dedupe, statement
    lines, entries, aliases, one commit.  The sandbox bank serves from this
    process; the sync runs in a child process, so the child's peak RSS
    (Linux's ``VmHWM``, read right after the sync) is the sync's alone:
    Python, booksync and the run, not the bank.  The connection reconciles
    after the run, as connections do by default: that phase is timed apart
    (from the run saying "reconciling" to its commit) and is part of the total.
    Target: >= 10,000 transactions/s, <= 300 MB.
    Its **floor**, in the same run against the same bank: a separate process
    running this file with ``--floor`` (only the standard library) fetches the
    same answers (the run's window in the same 90-day pieces, over loopback
    HTTP with Basic auth), reads each with ``json`` and inserts one row per
    transaction (id, date, amount, text) into a fresh SQLite file with
    ``executemany`` in one transaction.  No rule, no entry, no dedupe.
    Target: the first sync within 5x its floor.
(b) A re-sync with nothing new (the 10-day overlap is fetched again and
    every transaction is a duplicate): its time beyond the fetch, measured
    by timing the provider's ``fetch`` (HTTP and parsing) inside the run.
    Target: <= 0.5 s.
(c) M due connections (default 1,000) on PostgreSQL, drained by two
    ``booksync worker --once --concurrency 2`` processes against the same
    sandbox bank; checks through the ``sync_run`` rows that no connection
    ran twice and prints connections per minute.  Needs the server named by
    ``BOOKSYNC_TEST_DATABASE_URL`` (default: local, database ``test``); it
    works in a schema of its own and drops it afterwards.

``--profile`` runs (a) under cProfile and prints the top functions.  This module
imports only the standard library at its top, so that its ``--floor`` process
does too; booksync and its dependencies are imported where they are used.  The
figures are printed, not asserted: a benchmark informs, the tests decide.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime as dt
import json
import os
import pstats
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

import database_floor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from booksync.ledger.models import Company
    from booksync.providers.base import Batch, Credentials, Provider, Window
    from booksync.sandbox.server import SandboxHandle

TARGET_RATE = 10_000.0
TARGET_RSS_MB = 300.0
TARGET_RESYNC_S = 0.5
TARGET_FLOOR_RATIO = 5.0
WINDOW_PIECE_DAYS = 90  # SimpleFIN's cap on one request, as the provider splits a window
CLI = "from booksync.cli.main import main; main()"
PG_URL = os.environ.get(
    "BOOKSYNC_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class Stopwatch:
    seconds = 0.0


class TimedProvider:
    """SimpleFIN with a stopwatch on ``fetch``: the rest of the run is booksync's own."""

    name = "simplefin"

    def __init__(self, watch: Stopwatch) -> None:
        from booksync.providers.simplefin import SimpleFINProvider

        self.inner = SimpleFINProvider(timeout=600)
        self.watch = watch

    def fetch(
        self,
        credentials: Credentials,
        account_ids: Sequence[str] | None,
        window: Window,
        *,
        include_pending: bool = False,
        cursor: str | None = None,
    ) -> list[Batch]:
        started = time.perf_counter()
        try:
            return self.inner.fetch(
                credentials, account_ids, window, include_pending=include_pending
            )
        finally:
            self.watch.seconds += time.perf_counter() - started

    def close(self) -> None:
        self.inner.close()


def _rss_mb() -> float:
    """This process's peak RSS so far, in MB.

    Linux's ``VmHWM`` rather than ``ru_maxrss``: the latter starts from the
    parent's RSS at fork and exec, so the child reported the bank's memory
    (158 MB for 100,000 transactions) as its own baseline, and would report
    it as its peak whenever the sync used less.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # KiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- (a) and (b): the child process ---------------------------------------------


def child(db_url: str, profile: bool) -> None:
    """Runs in a fresh process: (a) scheduled first sync, then (b) a quiet re-sync."""
    from booksync.banking.models import SyncRun
    from booksync.banking.states import RunTrigger
    from booksync.db.base import utcnow
    from booksync.db.engine import make_engine, session_factory
    from booksync.sync.run import SyncRunner
    from booksync.sync.scheduler import claim_due

    factory = session_factory(make_engine(db_url))
    baseline = _rss_mb()
    timed = Stopwatch()
    phases: dict[str, float] = {}

    def seam(name: str) -> Provider:
        return TimedProvider(timed)  # type: ignore[return-value]

    def progress(state: Any) -> None:
        phases.setdefault(state.phase, time.perf_counter())

    def before_commit() -> None:
        phases.setdefault("commit", time.perf_counter())

    runner = SyncRunner(factory, providers=seam, worker="bench")
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    (ident,) = claim_due(factory, "bench", 1, utcnow())
    first = runner.run(
        ident, trigger=RunTrigger.SCHEDULE, leased=True, progress=progress,
        before_commit=before_commit,
    )
    if profiler:
        profiler.disable()
    first_s = time.perf_counter() - started
    first_cpu = time.process_time() - cpu
    first_fetch = timed.seconds
    peak = _rss_mb()
    reconciling = phases["commit"] - phases["reconciling"] if "reconciling" in phases else 0.0
    with factory() as session:
        run = session.get(SyncRun, first.run)
        assert run is not None and run.window_start is not None and run.window_end is not None
        window = (run.window_start.isoformat(), run.window_end.isoformat())
    timed.seconds = 0.0
    started = time.perf_counter()
    again = SyncRunner(factory, providers=seam, worker="manual").run(ident)
    again_s = time.perf_counter() - started
    report = {
        "state": first.state,
        "error": first.error,
        "fetched": first.fetched,
        "new": first.new,
        "reconciled": first.reconciled,
        "seconds": first_s,
        "cpu_seconds": first_cpu,
        "fetch_seconds": first_fetch,
        "reconcile_seconds": reconciling,
        "window": window,
        "baseline_mb": baseline,
        "peak_mb": peak,
        "resync_state": again.state,
        "resync_fetched": again.fetched,
        "resync_new": again.new,
        "resync_duplicates": again.duplicates,
        "resync_seconds": again_s,
        "resync_fetch_seconds": timed.seconds,
    }
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    print(json.dumps(report))


# --- (a)'s floor: its own process, the standard library only --------------------


def floor(spec: dict[str, Any]) -> dict[str, Any]:
    """The bare client: the same requests, ``json``, one row per transaction.

    ``spec``: the access URL, the account, the window pieces as epoch pairs,
    whether pending ones are asked for, and the SQLite file to write.
    """
    started, cpu = time.perf_counter(), time.process_time()
    parts = urlsplit(spec["access_url"])
    host = parts.netloc.rpartition("@")[2]
    url = f"{parts.scheme}://{host}{parts.path.rstrip('/')}/accounts"
    user = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    auth = {"Authorization": "Basic " + base64.b64encode(user.encode()).decode()}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    rows: list[tuple[Any, ...]] = []
    for start, end in spec["pieces"]:
        query = [("start-date", start), ("end-date", end)]
        query += [("pending", "1")] if spec["pending"] else []
        query.append(("account", spec["account"]))
        request = urllib.request.Request(f"{url}?{urlencode(query)}", headers=auth)
        with opener.open(request, timeout=600) as answer:
            body = json.loads(answer.read())
        for account in body["accounts"]:
            for tx in account.get("transactions", ()):
                rows.append((tx.get("id"), tx.get("posted"), tx.get("amount"),
                             tx.get("description")))
    conn = sqlite3.connect(spec["db"])
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE floor (id TEXT, posted INTEGER, amount TEXT, description TEXT)")
    with conn:
        conn.executemany("INSERT INTO floor VALUES (?, ?, ?, ?)", rows)
    conn.close()
    return {"rows": len(rows), "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu,
            "foreign": sorted(m for m in ("booksync", "sqlalchemy", "httpx") if m in sys.modules)}


def _floor_spec(access_url: str, account: str, window: list[str], pending: bool,
                db: Path) -> dict[str, Any]:
    """What the floor asks for: the run's window in the pieces the provider asked for."""
    from booksync.providers.base import Window
    from booksync.providers.simplefin_wire import bank_date_to_epoch

    whole = Window(dt.date.fromisoformat(window[0]), dt.date.fromisoformat(window[1]))
    pieces = [(str(bank_date_to_epoch(p.start)), str(bank_date_to_epoch(p.end)))
              for p in whole.split(WINDOW_PIECE_DAYS)]
    return {"access_url": access_url, "account": account, "pieces": pieces,
            "pending": pending, "db": str(db)}


def _company(session: Session) -> Company:
    from booksync.ledger.companies import create_company

    company = create_company(session, "Bench", "EUR", "DE")
    session.commit()
    return company


def bench_first_sync(folder: Path, transactions: int, profile: bool) -> dict[str, Any]:
    from booksync.banking.connections import create_connection
    from booksync.db.engine import make_engine, session_factory
    from booksync.db.migrate import upgrade
    from booksync.providers.simplefin import SimpleFINProvider
    from booksync.sandbox.server import start

    url = f"sqlite:///{folder / 'sync.db'}"
    engine = make_engine(url)
    upgrade(engine)
    print(f"(a) building a sandbox account of {transactions:,} transactions ...", flush=True)
    with start(port=0, seed=1, bulk_transactions=transactions) as bank:
        bulk = next(a for a in bank.world.accounts.values() if a.profile == "bulk")
        with SimpleFINProvider(timeout=60) as simplefin, session_factory(engine)() as session:
            credentials = simplefin.claim(bank.setup_token())
            remote = [a for a in simplefin.list_accounts(credentials) if a.id == bulk.id]
            connection = create_connection(session, _company(session), credentials, remote)
            pending = connection.include_pending
            session.commit()
        engine.dispose()
        command = [sys.executable, __file__, "--child", url]
        if profile:
            command.append("--profile")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the sync process failed:\n{done.stderr}")
        report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        spec = _floor_spec(credentials.secret, bulk.id, report["window"], pending,
                           folder / "floor.db")
        load = os.getloadavg()[0]
        bare = subprocess.run([sys.executable, __file__, "--floor", json.dumps(spec)],
                              capture_output=True, text=True, check=False)
        if bare.returncode != 0:
            raise SystemExit(f"the floor process failed:\n{bare.stderr}")
        report["floor"] = json.loads(bare.stdout.strip().splitlines()[-1])
        report["floor"]["load"] = (load, os.getloadavg()[0])
        report["database_floor"] = database_floor.measure(folder / "sync.db")
    if profile:
        print(done.stderr)
    return report


# --- (c): two workers on PostgreSQL ----------------------------------------------


def _connect_many(session: Session, bank: SandboxHandle, count: int) -> None:
    """``count`` connections over the bank's EUR accounts; every one due now.

    Connections of one bank account book into one journal: a company runs
    out of bank-journal account codes after 90 journals.
    """
    from booksync.banking.connections import create_connection
    from booksync.providers.simplefin import SimpleFINProvider

    company = _company(session)
    with SimpleFINProvider(timeout=60) as simplefin:
        credentials = simplefin.claim(bank.setup_token())
        remote = [a for a in simplefin.list_accounts(credentials) if a.currency == "EUR"]
    journals: dict[str, str] = {}
    for n in range(count):
        account = remote[n % len(remote)]
        links = {account.id: journals[account.id]} if account.id in journals else {}
        connection = create_connection(
            session, company, credentials, [account], history_days=14, links=links
        )
        linked = connection.accounts[0].journal
        assert linked is not None
        journals.setdefault(account.id, linked.code)
    session.commit()


def bench_workers(count: int) -> dict[str, Any]:
    from sqlalchemy import create_engine, func, select, text

    from booksync.banking.models import SyncRun
    from booksync.db.engine import make_engine, session_factory
    from booksync.db.migrate import upgrade
    from booksync.sandbox.server import start

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return {"skipped": f"PostgreSQL not reachable ({type(exc).__name__})"}
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        with start(port=0, seed=2) as bank:
            print(f"(c) creating {count:,} due connections on PostgreSQL ...", flush=True)
            with session_factory(engine)() as session:
                _connect_many(session, bank, count)
            command = [sys.executable, "-c", CLI, "--db", url, "worker", "--once"]
            started = time.perf_counter()
            workers = [
                subprocess.Popen(
                    [*command, "--concurrency", "2", "--id", f"bench-{n}"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for n in (1, 2)
            ]
            logs = [w.communicate()[1] for w in workers]
            wall = time.perf_counter() - started
        if any(w.returncode for w in workers):
            raise SystemExit("a worker failed:\n" + "\n".join(logs))
        with session_factory(engine)() as session:
            per_connection = session.execute(
                select(SyncRun.connection_id, func.count()).group_by(SyncRun.connection_id)
            ).all()
            states = dict(
                session.execute(select(SyncRun.state, func.count()).group_by(SyncRun.state)).all()
            )
            first, last = session.execute(
                select(func.min(SyncRun.started_at), func.max(SyncRun.finished_at))
            ).one()
        engine.dispose()
        twice = sum(1 for _, n in per_connection if n > 1)
        per_worker = [sum(1 for line in log.splitlines() if " run " in line) for log in logs]
        span = (last - first).total_seconds() if first and last else wall
        return {
            "connections": count,
            "ran": len(per_connection),
            "twice": twice,
            "states": states,
            "per_worker": per_worker,
            "wall": wall,
            "span": span,
        }
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# --- main -------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=1_000)
    parser.add_argument("--skip-workers", action="store_true", help="Skip (c), PostgreSQL.")
    parser.add_argument("--skip-first-sync", action="store_true", help="Skip (a) and (b).")
    parser.add_argument("--profile", action="store_true", help="Profile (a) with cProfile.")
    parser.add_argument("--keep", type=Path, help="Keep the SQLite file in this folder.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        print(json.dumps(floor(json.loads(args.floor))))
        return
    if args.child:
        child(args.child, args.profile)
        return
    from cryptography.fernet import Fernet

    os.environ.setdefault("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    rows: list[tuple[str, str, str]] = []
    if not args.skip_first_sync:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="booksync-sync-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
        try:
            a = bench_first_sync(folder, args.transactions, args.profile)
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        if a["error"]:
            print(f"(a) the first sync reported: {a['error']}")
        rate = a["new"] / a["seconds"]
        beyond = a["resync_seconds"] - a["resync_fetch_seconds"]
        bare = a["floor"]
        ratio = a["seconds"] / bare["seconds"]
        booking_only = (a["seconds"] - a["reconcile_seconds"]) / bare["seconds"]
        print(
            f"(a) first sync: {a['state']}, {a['fetched']:,} fetched, {a['new']:,} new in "
            f"{a['seconds']:.2f} s, CPU {a['cpu_seconds']:.2f} s (fetch and parse "
            f"{a['fetch_seconds']:.2f} s; the automatic reconciliation after it, included, "
            f"{a['reconcile_seconds']:.2f} s, {a['reconciled']:,} reconciled)"
        )
        print(
            f"    floor: {bare['rows']:,} rows fetched, read with json and inserted in "
            f"{bare['seconds']:.2f} s, CPU {bare['cpu_seconds']:.2f} s; first sync / floor = "
            f"{ratio:.1f}x ({booking_only:.1f}x without the reconciliation); load "
            f"{bare['load'][0]:.2f} -> {bare['load'][1]:.2f}"
            + (f"; the floor imported {', '.join(bare['foreign'])}!" if bare["foreign"] else "")
        )
        print(f"    {database_floor.line(a['database_floor'], a['seconds'])}")
        print(
            f"(b) re-sync: {a['resync_state']}, {a['resync_fetched']:,} fetched, "
            f"{a['resync_new']} new, {a['resync_duplicates']:,} duplicates in "
            f"{a['resync_seconds']:.2f} s (fetch and parse {a['resync_fetch_seconds']:.2f} s)"
        )
        rows += [
            (
                "first sync, transactions/s",
                f"{rate:,.0f}",
                f">= {TARGET_RATE:,.0f} {_mark(rate >= TARGET_RATE)}",
            ),
            (
                "first sync / floor (reconciliation included)",
                f"{ratio:.1f}x",
                f"<= {TARGET_FLOOR_RATIO:.0f}x {_mark(ratio <= TARGET_FLOOR_RATIO)}",
            ),
            (
                "first sync, peak RSS of the sync process",
                f"{a['peak_mb']:.0f} MB (baseline {a['baseline_mb']:.0f} MB)",
                f"<= {TARGET_RSS_MB:.0f} MB {_mark(a['peak_mb'] <= TARGET_RSS_MB)}",
            ),
            (
                "re-sync, nothing new, beyond the fetch",
                f"{beyond:.3f} s",
                f"<= {TARGET_RESYNC_S} s {_mark(beyond <= TARGET_RESYNC_S)}",
            ),
        ]
    if not args.skip_workers:
        c = bench_workers(args.connections)
        if "skipped" in c:
            rows.append(("2 workers on PostgreSQL", c["skipped"], "-"))
        else:
            per_min = c["connections"] / c["wall"] * 60
            print(
                f"(c) {c['ran']:,} of {c['connections']:,} connections ran, {c['twice']} twice; "
                f"states {c['states']}; runs per worker {c['per_worker']}; "
                f"{c['wall']:.1f} s wall (first start to last finish {c['span']:.1f} s)"
            )
            clean = c["twice"] == 0 and c["ran"] == c["connections"]
            rows += [
                ("2 workers x 2 threads, connections/minute", f"{per_min:,.0f}", "-"),
                ("connections run twice", str(c["twice"]), _mark(clean)),
            ]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\nbooksync sync benchmark, {dt.date.today()}, {os.cpu_count()} cores, "
        f"load average {load}, Python {sys.version.split()[0]}"
    )
    width = max(len(r[0]) for r in rows) if rows else 0
    for name, value, target in rows:
        print(f"  {name:<{width}}  {value:>32}  {target}")


if __name__ == "__main__":
    main()
