"""Import against its floor: ``booksync entry import --post`` beside bare ``sqlite3``.

Run ``python bench/import_floor_bench.py [--entries N] [--keep DIR]``
(default 100,000 entries).  In one run on one machine it:

1. writes the deterministic JSONL file of ``bench/ledger_bench.py`` (same
   generator, same seed: 2-5 lines per entry, 60 partners);
2. creates a fresh SQLite database with ``booksync init --company Bench``,
   adds the partners, and copies it (SQLite's backup API) before anything
   is imported, so both sides start from the same migrated schema and rows;
3. times ``booksync entry import FILE --post`` on the first database, as a
   separate process: every rule of the ledger checked in Python, every
   trigger of the schema firing, foreign keys on;
4. times the **floor** on the copy, also a separate process running this
   file with ``--floor`` (nothing but the standard library is imported):
   every trigger on ``entry`` and ``line`` is dropped first (outside the
   timing), then it reads the file a line at a time, ``json.loads`` each
   line, resolves journal codes, account codes and partner names with dict
   lookups, turns the decimal strings into integer minor units (exact
   string arithmetic, no float), gives each row a time-ordered ``uid``
   and each entry its number (``SAL/2024/00001``, counted per journal and
   year), and inserts the same rows with the same columns as the import
   (entries posted, then their lines, posted) with ``executemany`` in one
   transaction, foreign keys off; WAL, ``synchronous=NORMAL``, temporary
   storage in memory and a 64 MB page cache, as booksync's import uses.
   No rule is checked: no balance, no lock date, no limits, no counters
   written back.

It prints both wall times (Python's start included on both sides), entries
per second, the ratio import / floor, the core count and the 1-minute load
average before and after each timed run.  Both sides end with the same
number of entry and line rows, which is checked.  The figures are printed,
not asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPANY = "Bench"
CACHE_KIB = 64 * 1024  # the page cache booksync's bulk import gives SQLite (SQLITE_BULK_CACHE_KIB)


def floor(db: str, jsonl: str) -> None:
    """The floor's whole work (see the module's docstring); timed from outside."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    (company_id,) = conn.execute("SELECT id FROM company WHERE name = ?", (COMPANY,)).fetchone()
    of_company = (company_id,)
    journals = dict(conn.execute("SELECT code, id FROM journal WHERE company_id = ?", of_company))
    codes = {id_: code for code, id_ in journals.items()}
    accounts = dict(conn.execute("SELECT code, id FROM account WHERE company_id = ?", of_company))
    partners = dict(conn.execute("SELECT name, id FROM partner WHERE company_id = ?", of_company))
    (exp,) = conn.execute(
        "SELECT exponent FROM currency JOIN company ON company.currency_code = currency.code "
        "WHERE company.id = ?", of_company
    ).fetchone()
    scale = 10**exp

    def minor(text: str | None) -> int:
        if not text:
            return 0
        whole, _, frac = text.partition(".")
        return int(whole) * scale + (int(frac.ljust(exp, "0")) if frac else 0)

    # Time-ordered like booksync's UUIDv7s, so the uid index grows at its end (random
    # uids scatter over it and, past the page cache, made the floor three times slower).
    uids = itertools.count(time.time_ns() // 1_000_000 << 80)
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
    counters: dict[tuple[int, str], int] = {}
    (next_id,) = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM entry").fetchone()
    entries: list[tuple[object, ...]] = []
    lines: list[tuple[object, ...]] = []
    with open(jsonl, "rb") as stream:
        for raw in stream:
            obj = json.loads(raw)
            journal_id = journals[obj["journal"]]
            date = obj["date"]
            key = (journal_id, date[:4])
            counters[key] = counters.get(key, 0) + 1
            number = f"{codes[journal_id]}/{date[:4]}/{counters[key]:05d}"
            entries.append((next_id, f"{next(uids):032x}", 1, now, company_id, journal_id, date,
                            obj.get("ref"), "posted", None, number, now))
            for ln in obj["lines"]:
                partner = ln.get("partner")
                lines.append((f"{next(uids):032x}", 1, now, company_id, next_id,
                              accounts[ln["account"]], partners[partner] if partner else None,
                              minor(ln.get("debit")), minor(ln.get("credit")), None, None,
                              ln.get("label"), date, 1))
            next_id += 1
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO entry (id, uid, version, created_at, company_id, journal_id, date, ref, "
        "state, reversal_of_id, number, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        entries,
    )
    conn.executemany(
        "INSERT INTO line (uid, version, created_at, company_id, entry_id, account_id, "
        "partner_id, debit, credit, currency_code, amount_currency, label, date, posted) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        lines,
    )
    conn.execute("COMMIT")
    conn.close()


def _drop_triggers(db: Path) -> int:
    """Drop every trigger on ``entry`` and ``line``; how many there were."""
    conn = sqlite3.connect(db, isolation_level=None)
    names = [n for (n,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('entry', 'line')"
    )]
    for name in names:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.close()
    return len(names)


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (WAL included), through the backup API."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


def _timed(argv: list[str]) -> tuple[float, float, float]:
    """Run ``argv``; wall seconds and the 1-minute load average before and after."""
    before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, before, os.getloadavg()[0]


def _counts(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    entries, posted = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE state = 'posted') FROM entry"
    ).fetchone()
    (lines,) = conn.execute("SELECT count(*) FROM line WHERE posted = 1").fetchone()
    conn.close()
    return entries, posted, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries to generate")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument("--floor", nargs=2, metavar=("DB", "JSONL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        floor(*args.floor)
        return 0

    sys.path.insert(0, str(Path(__file__).parent))
    from booksync.db.engine import make_engine, session_factory
    from booksync.ledger.companies import find_company
    from booksync.ledger.partners import add_partner
    from ledger_bench import CUSTOMERS, SUPPLIERS, booksync_cmd, write_file

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="booksync-floor-"))
    workdir.mkdir(parents=True, exist_ok=True)
    jsonl, db, floor_db = workdir / "entries.jsonl", workdir / "import.db", workdir / "floor.db"
    for path in (db, floor_db):
        for stale in (path, path.with_suffix(".db-wal"), path.with_suffix(".db-shm")):
            stale.unlink(missing_ok=True)

    print(f"booksync import vs floor in {workdir}", flush=True)
    n_entries, n_lines = write_file(jsonl, args.entries)
    print(f"  file: {n_entries:,} entries, {n_lines:,} lines", flush=True)

    url = f"sqlite:///{db}"
    subprocess.run(booksync_cmd(url, "init", "--company", COMPANY), check=True,
                   capture_output=True)
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        company = find_company(session, COMPANY)
        for name in (*CUSTOMERS, *SUPPLIERS):
            add_partner(session, company, name)
    engine.dispose()
    _copy(db, floor_db)
    dropped = _drop_triggers(floor_db)

    imported, imp_before, imp_after = _timed(
        booksync_cmd(url, "entry", "import", str(jsonl), "--post")
    )
    floored, floor_before, floor_after = _timed(
        [sys.executable, __file__, "--floor", str(floor_db), str(jsonl)]
    )
    for name, path in (("import", db), ("floor", floor_db)):
        entries, posted, lines = _counts(path)
        if (entries, posted, lines) != (n_entries, n_entries, n_lines):
            raise SystemExit(f"{name}: {entries} entries ({posted} posted), {lines} posted lines")

    print()
    print(
        f"booksync import vs floor: {n_entries:,} entries, {n_lines:,} lines, SQLite, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    print(f"  import --post  {imported:7.2f} s  {n_entries / imported:9,.0f} entries/s  "
          f"load {imp_before:.2f} -> {imp_after:.2f}")
    print(f"  floor          {floored:7.2f} s  {n_entries / floored:9,.0f} entries/s  "
          f"load {floor_before:.2f} -> {floor_after:.2f}  ({dropped} triggers dropped)")
    print(f"  ratio          {imported / floored:7.2f}x  import / floor")
    if args.keep is None:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
