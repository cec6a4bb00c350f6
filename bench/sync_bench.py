"""Bank synchronization benchmark: a bulk first sync, a quiet re-sync, two workers.

Run ``python bench/sync_bench.py [--transactions N] [--connections M]``.

(a) First sync of one sandbox account holding N transactions (default
    100,000) over loopback HTTP into a fresh SQLite file, end to end: the
    scheduler's claim, the SimpleFIN fetch and parse, dedupe, statement
    lines, entries, aliases, one commit.  The sandbox bank serves from this
    process; the sync runs in a child process, so the child's peak RSS
    (Linux's ``VmHWM``, read right after the sync) is the sync's alone:
    Python, booksync and the run, not the bank.
    Target: >= 10,000 transactions/s, <= 300 MB.
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

``--profile`` runs (a) under cProfile and prints the top functions.  The
figures are printed, not asserted: a benchmark informs, the tests decide.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from booksync.banking.connections import create_connection
from booksync.banking.models import SyncRun
from booksync.db.base import utcnow
from booksync.db.engine import make_engine, session_factory
from booksync.db.migrate import upgrade
from booksync.ledger.companies import create_company
from booksync.ledger.models import Company
from booksync.providers.base import Batch, Credentials, Provider, Window
from booksync.providers.simplefin import SimpleFINProvider
from booksync.sandbox.server import SandboxHandle, start
from booksync.sync.run import SyncRunner
from booksync.sync.scheduler import claim_due

TARGET_RATE = 10_000.0
TARGET_RSS_MB = 300.0
TARGET_RESYNC_S = 0.5
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
    factory = session_factory(make_engine(db_url))
    baseline = _rss_mb()
    timed = Stopwatch()

    def seam(name: str) -> Provider:
        return TimedProvider(timed)  # type: ignore[return-value]

    runner = SyncRunner(factory, providers=seam, worker="bench")
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    (ident,) = claim_due(factory, "bench", 1, utcnow())
    first = runner.run(ident, trigger="schedule", leased=True)
    if profiler:
        profiler.disable()
    first_s = time.perf_counter() - started
    first_fetch = timed.seconds
    peak = _rss_mb()
    timed.seconds = 0.0
    started = time.perf_counter()
    again = SyncRunner(factory, providers=seam, worker="manual").run(ident)
    again_s = time.perf_counter() - started
    report = {
        "state": first.state,
        "error": first.error,
        "fetched": first.fetched,
        "new": first.new,
        "seconds": first_s,
        "fetch_seconds": first_fetch,
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


def _company(session: Session) -> Company:
    company = create_company(session, "Bench", "EUR", "DE")
    session.commit()
    return company


def bench_first_sync(folder: Path, transactions: int, profile: bool) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'sync.db'}"
    engine = make_engine(url)
    upgrade(engine)
    print(f"(a) building a sandbox account of {transactions:,} transactions ...", flush=True)
    with start(port=0, seed=1, bulk_transactions=transactions) as bank:
        bulk = next(a for a in bank.world.accounts.values() if a.profile == "bulk")
        with SimpleFINProvider(timeout=60) as simplefin, session_factory(engine)() as session:
            credentials = simplefin.claim(bank.setup_token())
            remote = [a for a in simplefin.list_accounts(credentials) if a.id == bulk.id]
            create_connection(session, _company(session), credentials, remote)
            session.commit()
        engine.dispose()
        command = [sys.executable, __file__, "--child", url]
        if profile:
            command.append("--profile")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if profile:
        print(done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"the sync process failed:\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


# --- (c): two workers on PostgreSQL ----------------------------------------------


def _connect_many(session: Session, bank: SandboxHandle, count: int) -> None:
    """``count`` connections over the bank's EUR accounts; every one due now.

    Connections of one bank account book into one journal: a company runs
    out of bank-journal account codes after 90 journals.
    """
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
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.profile)
        return
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
        print(
            f"(a) first sync: {a['state']}, {a['fetched']:,} fetched, {a['new']:,} new in "
            f"{a['seconds']:.2f} s (fetch and parse {a['fetch_seconds']:.2f} s)"
        )
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
