"""Statement file import benchmark: CAMT.053 and MT940 files of 100,000 entries.

Run ``python bench/statement_file_bench.py [--entries N] [--formats camt053,mt940]
[--keep DIR]``.  For each format, in one run on one machine:

1. the sandbox bank writes one account's history of N booked transactions as the
   file its customers would download (``booksync.sandbox.statement_files``);
2. a fresh SQLite database gets a company and a bank journal of that account
   (``booksync init``, ``booksync bank-account create``), copied before the
   import so the floor starts from the same schema;
3. ``booksync statement import FILE --journal BNK1`` runs as a separate process,
   timed whole (Python's start included), its peak RSS (Linux's ``VmHWM``) read
   from ``/proc`` as it ends: every entry read, checked, deduplicated, booked
   as a posted entry with its statement line and alias, balances compared;
4. the **floor**, also a separate process running this file with ``--floor``
   (only the standard library): it reads the same file with the standard
   library (``xml.etree.ElementTree.iterparse`` for CAMT.053, clearing each entry;
   a line loop for MT940), takes each entry's date, amount and reference, and
   inserts one row per entry into a table of the copy with ``executemany`` in
   one transaction.  No rule, no entry, no dedupe.

It prints the entries per second of both, the ratio, peak RSS, each process's
CPU time (user and system, which other processes on the machine move much
less than the wall clock), the core count and the load.  Targets (issue "More
ways in for bank data"): >= 10,000 entries/s and <= 300 MB each.  Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATE = 10_000
TARGET_MB = 300
CLI = "from booksync.cli.main import main; main()"


def floor(path: Path, fmt: str, db: Path) -> int:
    """The bare reading and inserting of ``path``; how many entries."""
    rows: list[tuple[str, str, str]] = []
    if fmt == "camt053":
        import xml.etree.ElementTree as ET

        for _, element in ET.iterparse(path, events=("end",)):
            if element.tag.endswith("}Ntry"):
                found = {child.tag.rsplit("}", 1)[1]: child for child in element}
                date = found["BookgDt"][0].text or ""
                rows.append((date, found["Amt"].text or "", found["AcctSvcrRef"].text or ""))
                element.clear()
    else:
        line = re.compile(r":61:(\d{6})(\d{4})?([CD])([\d,]+)N...[^/]*//(.*)")
        with path.open(encoding="latin-1") as text:
            for raw in text:
                matched = line.match(raw)
                if matched:
                    rows.append((matched.group(1), matched.group(4), matched.group(5).strip()))
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE floor (date TEXT, amount TEXT, ref TEXT)")
    with conn:
        conn.executemany("INSERT INTO floor VALUES (?, ?, ?)", rows)
    conn.close()
    return len(rows)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS in MB, stdout and CPU seconds of ``command``."""
    cpu = _children_cpu()
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0.0
    while child.poll() is None:
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
            found = re.search(r"VmHWM:\s+(\d+) kB", status)
            if found:
                peak = max(peak, int(found.group(1)) / 1024)
        except OSError:
            pass
        time.sleep(0.05)
    out, err = child.communicate()
    took = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[-6:])} failed: {err.decode()[-2000:]}")
    return took, peak, out.decode(), _children_cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--formats", default="camt053,mt940")
    parser.add_argument("--keep", type=Path, help="keep the files and databases here")
    parser.add_argument("--floor", nargs=3, metavar=("FILE", "FORMAT", "DB"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        print(floor(Path(args.floor[0]), args.floor[1], Path(args.floor[2])))
        return 0
    from booksync.sandbox.statement_files import EXPORTS
    from booksync.sandbox.world import World

    work = args.keep or Path(tempfile.mkdtemp(prefix="booksync-file-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    world = World(7, today=dt.date(2026, 6, 30), history_days=1)
    account = world.account(world.add_bulk_account(args.entries, days=180))
    first = min(t.posted for t in account.booked if t.posted is not None)
    last = max(t.posted for t in account.booked if t.posted is not None)
    results = []
    for fmt in args.formats.split(","):
        extension, write = EXPORTS[fmt]
        path = work / f"statement-{args.entries}.{extension}"
        path.write_bytes(write(account, first, last))
        db = work / f"{fmt}.db"
        copy = work / f"{fmt}-floor.db"
        for stale in (db, copy):
            stale.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
        booksync = [sys.executable, "-c", CLI, "--db", url]
        run([*booksync, "init", "--company", "Bench Ltd"], env)
        run([*booksync, "bank-account", "create", "--account-number", account.iban or "",
             "--bank", "Nordwerk Bank"], env)
        shutil.copy(db, copy)
        load_before = os.getloadavg()[0]
        took, peak, out, cpu = run([*booksync, "statement", "import", str(path), "--journal",
                                    "BNK1", "--json"], env)
        done = json.loads(out)
        floor_took, floor_peak, floor_out, floor_cpu = run(
            [sys.executable, __file__, "--floor", str(path), fmt, str(copy)], env)
        results.append((fmt, path.stat().st_size, done["new"], took, peak, int(floor_out),
                        floor_took, floor_peak, load_before, os.getloadavg()[0],
                        done["statements"][0]["closing_difference"], cpu, floor_cpu))
    print(f"\nbooksync statement file benchmark: {args.entries:,} entries per file; "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for (fmt, size, new, took, peak, floor_n, floor_took, floor_peak, before, after,
         difference, cpu, floor_cpu) in results:
        rate, floor_rate = new / took, floor_n / floor_took
        print(f"  {fmt}: {size / 1e6:.1f} MB file, {new:,} lines booked in {took:.2f} s = "
              f"{rate:,.0f} lines/s (target >= {TARGET_RATE:,}: "
              f"{'ok' if rate >= TARGET_RATE else 'MISSED'}), CPU {cpu:.2f} s = "
              f"{new / cpu:,.0f} lines per CPU second, peak RSS {peak:.0f} MB (target "
              f"<= {TARGET_MB}: {'ok' if peak <= TARGET_MB else 'MISSED'}), closing balance "
              f"difference {difference}")
        print(f"    floor: {floor_n:,} rows in {floor_took:.2f} s = {floor_rate:,.0f} rows/s, "
              f"CPU {floor_cpu:.2f} s, peak RSS {floor_peak:.0f} MB; import / floor = "
              f"{took / floor_took:.1f}x (CPU {cpu / floor_cpu:.1f}x); "
              f"load {before:.2f} -> {after:.2f}")
    if args.keep is None:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
