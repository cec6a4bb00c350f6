"""The database's own floor for booking bank lines: what SQLite alone spends on the rows.

Run ``python bench/database_floor.py BOOKS.sqlite`` on books a first sync or a
statement file has just written (the benchmarks call it after their run, in
its own process, and print its figures beside theirs).

A bare client that stores one row per transaction measures the cheapest way
to keep the data; booksync must write, per bank line, a posted entry, its two
lines, the statement line and the transaction id, each through the triggers
that keep the books right (docs/ledger.md, "Bank lines in bulk").  This
script measures that part alone: it copies the books, takes those rows out
of the copy, and inserts them again with the standard library's ``sqlite3``
the way booksync's bulk writer does (multi-row ``VALUES`` of 500 rows, a batch
of lines ahead of its entries, foreign keys deferred, one transaction, the
same pragmas), timing only the inserts and the commit.  booksync's time
beyond this is its own: fetching, parsing, deduplicating, building the rows.

Only the standard library, so that nothing but SQLite is measured.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROWS_PER_STATEMENT = 500  # as booksync.db.bulk
ENTRIES_PER_BATCH = 5000  # as the statement importer's batches
PRAGMAS = (
    "journal_mode=WAL", "foreign_keys=ON", "recursive_triggers=ON", "trusted_schema=ON",
    "synchronous=NORMAL", "temp_store=MEMORY",
)  # as booksync.db.engine sets them on every SQLite connection
TABLES = ("line", "entry", "statement_line", "transaction_alias")  # the order of a batch


def _take_out(db: sqlite3.Connection) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The bank-booked rows of each table, removed from ``db`` (triggers set aside)."""
    db.execute("CREATE TEMP TABLE booked (id INTEGER PRIMARY KEY)")
    db.execute("INSERT INTO booked SELECT entry_id FROM statement_line")
    where = {
        "line": "entry_id IN (SELECT id FROM booked)",
        "entry": "id IN (SELECT id FROM booked)",
        "statement_line": "1",
        "transaction_alias": "1",
    }
    order = {"line": "entry_id, id", "entry": "id", "statement_line": "id",
             "transaction_alias": "id"}
    taken: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    for table in TABLES:
        cursor = db.execute(f"SELECT * FROM {table} WHERE {where[table]} ORDER BY {order[table]}")
        taken[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    db.execute("BEGIN")
    for name, _ in triggers:
        db.execute(f"DROP TRIGGER {name}")
    for table in reversed(TABLES):
        db.execute(f"DELETE FROM {table} WHERE {where[table]}")
    for _, sql in triggers:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("VACUUM")
    return taken


def _batches(taken: dict[str, tuple[list[str], list[tuple[Any, ...]]]]
             ) -> list[dict[str, list[tuple[Any, ...]]]]:
    """The rows cut into batches of ``ENTRIES_PER_BATCH`` entries, each with its own rows."""
    def position(table: str, column: str) -> int:
        return taken[table][0].index(column)

    entry_id = position("entry", "id")
    entry_ids = [row[entry_id] for row in taken["entry"][1]]
    batch_of = {ident: n // ENTRIES_PER_BATCH for n, ident in enumerate(entry_ids)}
    own, of_entry = position("statement_line", "id"), position("statement_line", "entry_id")
    line_of = {row[own]: batch_of[row[of_entry]] for row in taken["statement_line"][1]}
    # Each table's batch: the batch its entry or statement line is in, by one column.
    key = {
        "line": (position("line", "entry_id"), batch_of),
        "entry": (entry_id, batch_of),
        "statement_line": (own, line_of),
        "transaction_alias": (position("transaction_alias", "statement_line_id"), line_of),
    }
    batches: list[dict[str, list[tuple[Any, ...]]]] = [
        {table: [] for table in TABLES} for _ in range(len(entry_ids) // ENTRIES_PER_BATCH + 1)
    ]
    for table in TABLES:
        column, batch = key[table]
        for row in taken[table][1]:
            batches[batch[row[column]]][table].append(row)
    return batches


def _statements(taken: dict[str, tuple[list[str], list[tuple[Any, ...]]]],
                batches: list[dict[str, list[tuple[Any, ...]]]]) -> list[tuple[str, list[Any]]]:
    """Every insert in booksync's order, with its parameters laid end to end."""
    statements: list[tuple[str, list[Any]]] = []
    for batch in batches:
        for table in TABLES:
            columns, rows = taken[table][0], batch[table]
            marks = "(" + ", ".join("?" * len(columns)) + ")"
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                part = rows[start:start + ROWS_PER_STATEMENT]
                statements.append((
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                    + ", ".join([marks] * len(part)),
                    [value for row in part for value in row],
                ))
    return statements


def floor(books: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="booksync-db-floor-") as folder:
        copy = Path(folder) / "books.sqlite"
        shutil.copy(books, copy)
        db = sqlite3.connect(copy, isolation_level=None)
        taken = _take_out(db)
        db.close()
        batches = _batches(taken)
        db = sqlite3.connect(copy, isolation_level=None)
        for pragma in PRAGMAS:
            db.execute(f"PRAGMA {pragma}")
        statements = _statements(taken, batches)  # built before the clock starts
        started, cpu = time.perf_counter(), time.process_time()
        db.execute("BEGIN IMMEDIATE")
        db.execute("PRAGMA defer_foreign_keys = ON")  # lines come ahead of their entry
        for sql, params in statements:
            db.execute(sql, params)
        db.execute("COMMIT")
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        db.close()
    return {"rows": {table: len(taken[table][1]) for table in TABLES},
            "seconds": seconds, "cpu_seconds": cpu_seconds}


def measure(books: Path) -> dict[str, Any]:
    """:func:`floor` of ``books`` in a process of its own (the caller's interpreter holds
    booksync and its bank), with the load average before it."""
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, __file__, str(books)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the database floor failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = (load, os.getloadavg()[0])
    return result


def line(result: dict[str, Any], seconds: float) -> str:
    """The floor's figures beside a run of ``seconds`` that wrote the same rows."""
    rows = ", ".join(f"{count:,} {table}" for table, count in result["rows"].items())
    return (f"database floor: the same rows ({rows}) inserted by sqlite3 alone in "
            f"{result['seconds']:.2f} s, CPU {result['cpu_seconds']:.2f} s; run / database "
            f"floor = {seconds / result['seconds']:.1f}x; load {result['load'][0]:.2f} -> "
            f"{result['load'][1]:.2f}")


if __name__ == "__main__":
    print(json.dumps(floor(Path(sys.argv[1]))))
