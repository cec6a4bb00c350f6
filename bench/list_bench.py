"""Listing benchmark: ``booksync entry list --json`` over N entries, beside a baseline.

Run ``python bench/list_bench.py [--entries N] [--keep DIR]``.  It writes N
two- or three-line entries as JSON Lines, imports them into a fresh SQLite
file with ``booksync entry import --post``, then runs as separate processes:

- ``booksync entry list --json`` (output to /dev/null): wall time and peak RSS;
- ``booksync entry list --limit 100 --after ID`` (a page from the middle of
  the books, as a table);
- the baselines: plain ``sqlite3`` reading the same entries and lines
  (``SELECT ... ORDER BY date, id``) and dropping them, in a fresh Python
  process, for the cost of the rows alone; and ``booksync journal list``,
  for the cost of starting the CLI and opening the database.

The figures are printed, not asserted: the listing streams, so its peak RSS
should stay near the baseline's whatever N is, and its time should grow
linearly with N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
heads = conn.execute(
    "SELECT e.id, e.uid, e.number, j.code, e.date, e.ref, e.state FROM entry e "
    "JOIN journal j ON j.id = e.journal_id ORDER BY e.date, e.id")
count = 0
for _ in heads:
    count += 1
lines = conn.execute(
    "SELECT l.entry_id, a.code, l.label, l.debit, l.credit FROM line l "
    "JOIN account a ON a.id = l.account_id ORDER BY l.entry_id, l.id")
for _ in lines:
    count += 1
print(count)
"""


def write_entries(path: Path, count: int) -> None:
    start = dt.date(2024, 1, 1)
    with path.open("w") as out:
        for i in range(count):
            day = start + dt.timedelta(days=(i * 37) % 900)
            amount = f"{(i % 997) + 1}.{i % 100:02d}"
            lines = [
                {"account": "1100", "debit": amount, "credit": "0", "label": f"INV/{i:07d}"},
                {"account": "4000", "debit": "0", "credit": amount},
            ]
            if i % 3 == 0:
                lines[1] = {"account": "4000", "debit": "0", "credit": "1.00"}
                rest = f"{(i % 997)}.{i % 100:02d}"
                lines.append({"account": "4100", "debit": "0", "credit": rest})
            row = {"journal": "SAL", "date": day.isoformat(), "ref": f"R{i}", "lines": lines}
            out.write(json.dumps(row) + "\n")


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process, its output dropped."""
    began = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        err = child.stderr.read().decode() if child.stderr else ""
        raise SystemExit(f"{argv[:4]} failed: {err.strip()}")
    if child.stderr:
        child.stderr.close()
    return took, usage.ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="Folder to keep the files in.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="list-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "books.db"
    source = folder / "entries.jsonl"
    booksync = [sys.executable, "-c", "from booksync.cli.main import main; main()"]
    try:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        write_entries(source, args.entries)
        subprocess.run([*booksync, "--db", str(db), "init", "--company", "Bench"],
                       check=True, capture_output=True)
        took, _ = measure([*booksync, "--db", str(db), "entry", "import", str(source), "--post"])
        print(f"entries: {args.entries:,} (imported in {took:.1f} s)")

        base_s, base_mb = measure([sys.executable, "-c", BASELINE, str(db)])
        start_s, start_mb = measure([*booksync, "--db", str(db), "journal", "list"])
        json_s, json_mb = measure([*booksync, "--db", str(db), "entry", "list", "--json"])
        middle = str(args.entries // 2)
        page_s, page_mb = measure(
            [*booksync, "--db", str(db), "entry", "list", "--limit", "100", "--after", middle]
        )
        print(f"{'':34} {'time':>9} {'peak RSS':>10}")
        print(f"{'baseline: sqlite3 SELECT':34} {base_s:8.2f}s {base_mb:8.0f}MB")
        print(f"{'baseline: journal list (start-up)':34} {start_s:8.2f}s {start_mb:8.0f}MB")
        print(f"{'entry list --json':34} {json_s:8.2f}s {json_mb:8.0f}MB")
        print(f"{'entry list --limit 100 --after':34} {page_s:8.2f}s {page_mb:8.0f}MB")
        print(f"entries/s listed as JSON: {args.entries / json_s:,.0f}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
