"""Ledger benchmark: bulk import with posting, reports, and Beancount side by side.

Run ``python bench/ledger_bench.py [--entries N] [--keep DIR]``.  It writes a
deterministic JSONL file of N entries (2-5 lines each, about 3.3 on average,
so 300,000 entries make about 1,000,000 lines), creates a fresh SQLite
database with ``booksync init``, imports the file with
``booksync entry import --post`` as a real subprocess (wall time and peak
RSS of its processes together), times the trial balance and the balance sheet (best of
three, through the service functions and through the CLI with ``--json``),
then exports the same books to Beancount and times ``bean-check`` on them.

Targets (2 cores, SQLite file): import >= 20,000 entries/s with peak RSS
<= 400 MB; each report <= 0.5 s over a million lines.  The import uses both
cores (a producer process parses and checks while the database writes), so
the load average before and after it is printed beside its figures: other
work on the machine slows it down in proportion.  The figures are
printed, not asserted: a benchmark informs, the tests decide.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from booksync.db.engine import make_engine, session_factory
from booksync.formats.jsonl import dump_entry
from booksync.ledger import reports
from booksync.ledger.companies import find_company
from booksync.ledger.entries import EntryInput, LineInput
from booksync.ledger.models import Line
from booksync.ledger.partners import add_partner

COMPANY = "Bench"
TARGET_RATE = 20_000.0
TARGET_RSS_MB = 400.0
TARGET_REPORT_S = 0.5

CUSTOMERS = tuple(f"Customer {n:03d}" for n in range(1, 41))
SUPPLIERS = tuple(f"Supplier {n:03d}" for n in range(1, 21))
INCOME = ("4000", "4100", "4900")
EXPENSES = ("5000", "6100", "6200", "6300", "6400", "6600", "6700", "6800")
CENT = Decimal("0.01")
VAT = Decimal("0.19")


# --- the books ----------------------------------------------------------------


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between ``low`` and ``high`` cents, as a Decimal."""
    return Decimal(rng.randint(low, high)).scaleb(-2)


def _split(rng: random.Random, total: Decimal, parts: int) -> list[Decimal]:
    """``total`` cut into ``parts`` positive amounts that add up exactly."""
    cents = int(total.scaleb(2))
    cuts = sorted(rng.sample(range(1, cents), parts - 1))
    bounds = [0, *cuts, cents]
    return [Decimal(b - a).scaleb(-2) for a, b in itertools.pairwise(bounds)]


def _invoice(rng: random.Random, day: dt.date, n: int) -> EntryInput:
    """A sale with VAT: receivable against 1-3 income lines and VAT (3-5 lines)."""
    customer = rng.choice(CUSTOMERS)
    net = _money(rng, 5_000, 900_000)
    vat = (net * VAT).quantize(CENT)
    ref = f"INV/{day.year}/{n:06d}"
    parts = rng.choices((1, 2, 3), weights=(40, 30, 30))[0]
    lines = [LineInput("1100", debit=net + vat, partner=customer, label=ref)]
    lines += [
        LineInput(rng.choice(INCOME), credit=amount, partner=customer, label=f"{ref} item {i}")
        for i, amount in enumerate(_split(rng, net, parts), 1)
    ]
    lines.append(LineInput("2100", credit=vat, label=f"VAT {ref}"))
    return EntryInput("SAL", day, tuple(lines), ref)


def _bill(rng: random.Random, day: dt.date, n: int) -> EntryInput:
    """A supplier bill: 1-3 expense lines and input VAT against the payable (3-5 lines)."""
    supplier = rng.choice(SUPPLIERS)
    net = _money(rng, 2_000, 400_000)
    vat = (net * VAT).quantize(CENT)
    ref = f"BILL/{day.year}/{n:06d}"
    parts = rng.choices((1, 2, 3), weights=(40, 30, 30))[0]
    lines = [
        LineInput(rng.choice(EXPENSES), debit=amount, partner=supplier, label=f"{ref} item {i}")
        for i, amount in enumerate(_split(rng, net, parts), 1)
    ]
    lines.append(LineInput("1600", debit=vat, label=f"VAT {ref}"))
    lines.append(LineInput("2000", credit=net + vat, partner=supplier, label=ref))
    return EntryInput("PUR", day, tuple(lines), ref)


def _payment(rng: random.Random, day: dt.date, n: int) -> EntryInput:
    """A customer receipt or a supplier payment through the bank (2 lines)."""
    amount = _money(rng, 1_000, 1_000_000)
    if rng.random() < 0.5:
        partner = rng.choice(CUSTOMERS)
        lines = (
            LineInput("1200", debit=amount, partner=partner, label=f"Receipt {n}"),
            LineInput("1100", credit=amount, partner=partner, label=f"Receipt {n}"),
        )
    else:
        partner = rng.choice(SUPPLIERS)
        lines = (
            LineInput("2000", debit=amount, partner=partner, label=f"Payment {n}"),
            LineInput("1200", credit=amount, partner=partner, label=f"Payment {n}"),
        )
    return EntryInput("MISC", day, lines, f"PAY/{day.year}/{n:06d}")


def _payroll(rng: random.Random, day: dt.date, n: int) -> EntryInput:
    """Salaries with withholding and the bank payment (3 lines)."""
    gross = _money(rng, 200_000, 900_000)
    withheld = (gross * Decimal("0.3")).quantize(CENT)
    lines = (
        LineInput("6000", debit=gross, label="Salaries"),
        LineInput("2200", credit=withheld, label="Withholding"),
        LineInput("1200", credit=gross - withheld, label="Net pay"),
    )
    return EntryInput("MISC", day, lines, f"PAYROLL/{day.year}/{n:06d}")


KINDS: tuple[Callable[[random.Random, dt.date, int], EntryInput], ...] = (
    _invoice,
    _bill,
    _payment,
    _payroll,
)
WEIGHTS = (38, 31, 26, 5)


def generate(count: int, seed: int = 2026) -> Iterator[EntryInput]:
    """``count`` entries in date order over three years; the same seed, the same books."""
    rng = random.Random(seed)
    start = dt.date(2024, 1, 1)
    days = (dt.date(2026, 12, 31) - start).days + 1
    for n in range(count):
        day = start + dt.timedelta(days=n * days // count)
        kind = rng.choices(KINDS, weights=WEIGHTS)[0]
        yield kind(rng, day, n + 1)


def write_file(path: Path, count: int) -> tuple[int, int]:
    """Write the JSONL file; returns (entries, lines)."""
    lines = 0
    with path.open("wb") as out:
        for entry in generate(count):
            lines += len(entry.lines)
            out.write(dump_entry(entry))
            out.write(b"\n")
    return count, lines


# --- measuring ----------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    output: str


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children right now, in MB (0 once it is gone)."""
    total_kib = 0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids.extend(int(child) for child in (task / "children").read_text().split())
    except OSError:
        return 0.0
    for one in pids:
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def run_measured(argv: list[str]) -> Run:
    """Run ``argv`` to completion; wall time and the peak RSS of its process tree.

    The import runs a producer process beside the main one, so their
    resident memory is summed (sampled every 20 ms; pages the two share
    after the fork count twice, which errs on the high side).
    ``os.wait4`` adds the process's own peak, so earlier children (``init``)
    do not blur the figure as ``RUSAGE_CHILDREN``'s running maximum would.
    """
    peak = [0.0]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], _tree_rss_mb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{text}")
    own_peak = usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    return Run(seconds, max(peak[0], own_peak), text)


def best_of(times: int, action: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def booksync_cmd(url: str, *args: str) -> list[str]:
    exe = Path(sys.executable).with_name("booksync")
    return [str(exe), "--db", url, *args]


# --- the run ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=300_000, help="entries to generate")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="booksync-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    jsonl, db = workdir / "entries.jsonl", workdir / "bench.db"
    ledger_file = workdir / "bench.beancount"
    for stale in (db, db.with_suffix(".db-wal"), db.with_suffix(".db-shm"), ledger_file):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, note: str = "") -> None:
        rows.append((what, value, note))
        print(f"  {what}: {value} {note}".rstrip(), flush=True)

    print(f"booksync ledger benchmark in {workdir}", flush=True)
    started = time.perf_counter()
    n_entries, n_lines = write_file(jsonl, args.entries)
    row(
        "file",
        f"{n_entries:,} entries, {n_lines:,} lines",
        f"{jsonl.stat().st_size / 2**20:.0f} MB, written in {time.perf_counter() - started:.1f} s",
    )

    run_measured(booksync_cmd(url, "init", "--company", COMPANY))
    engine = make_engine(url)
    make_session = session_factory(engine)
    with make_session.begin() as session:
        company = find_company(session, COMPANY)
        for name in (*CUSTOMERS, *SUPPLIERS):
            add_partner(session, company, name)

    load_before = os.getloadavg()[0]
    imported = run_measured(booksync_cmd(url, "entry", "import", str(jsonl), "--post"))
    rate = n_entries / imported.seconds
    row(
        "import --post",
        f"{imported.seconds:.2f} s",
        f"{rate:,.0f} entries/s, {n_lines / imported.seconds:,.0f} lines/s "
        f"(target >= {TARGET_RATE:,.0f} entries/s)",
    )
    row("import peak RSS", f"{imported.peak_mb:.0f} MB",
        f"both processes summed (target <= {TARGET_RSS_MB:.0f} MB)")
    row(
        "load average (1 min)",
        f"{load_before:.2f} -> {os.getloadavg()[0]:.2f}",
        f"just before and after the import, {os.cpu_count()} cores; well above 0 before it, "
        "other work shared the cores",
    )

    with make_session() as session:
        company = find_company(session, COMPANY)
        posted = session.scalar(
            select(func.count()).where(Line.company_id == company.id, Line.posted.is_(True))
        )
        if posted != n_lines:
            raise SystemExit(f"expected {n_lines} posted lines, found {posted}")
        tb = reports.trial_balance(session, company)
        balanced = reports.balance_sheet(session, company).balanced
        if tb.total_debit != tb.total_credit or not balanced:
            raise SystemExit("the imported books do not balance")
        tb_s = best_of(3, lambda: reports.trial_balance(session, company))
        bs_s = best_of(3, lambda: reports.balance_sheet(session, company))
    row("trial balance (service)", f"{tb_s:.3f} s", f"best of 3 (target <= {TARGET_REPORT_S} s)")
    row("balance sheet (service)", f"{bs_s:.3f} s", f"best of 3 (target <= {TARGET_REPORT_S} s)")
    tb_cli = min(
        run_measured(booksync_cmd(url, "report", "trial-balance", "--json")).seconds
        for _ in range(3)
    )
    bs_cli = min(
        run_measured(booksync_cmd(url, "report", "balance-sheet", "--json")).seconds
        for _ in range(3)
    )
    row("trial balance (CLI --json)", f"{tb_cli:.3f} s", "best of 3, process start included")
    row("balance sheet (CLI --json)", f"{bs_cli:.3f} s", "best of 3, process start included")

    try:
        from booksync.formats.beancount_export import export_beancount
    except ImportError:
        row("bean-check", "skipped", "booksync.formats.beancount_export is not there yet")
    else:
        with make_session() as session, ledger_file.open("w", encoding="utf-8") as out:
            company = find_company(session, COMPANY)
            started = time.perf_counter()
            exported = export_beancount(session, company, out)
        row(
            "beancount export",
            f"{time.perf_counter() - started:.2f} s",
            f"{exported:,} entries, {ledger_file.stat().st_size / 2**20:.0f} MB",
        )
        bean_check = shutil.which("bean-check") or str(Path(sys.executable).with_name("bean-check"))
        checked = run_measured([bean_check, str(ledger_file)])
        row("bean-check", f"{checked.seconds:.2f} s", f"peak RSS {checked.peak_mb:.0f} MB")
        row(
            "booksync import vs bean-check",
            f"{imported.seconds:.2f} s vs {checked.seconds:.2f} s",
            f"bean-check / booksync = {checked.seconds / imported.seconds:.2f}x",
        )
    engine.dispose()

    print()
    print(
        f"booksync ledger benchmark: {n_entries:,} entries, {n_lines:,} lines, SQLite, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    for what, value, note in rows:
        print(f"  {what:<{width}}  {value:>{value_width}}  {note}".rstrip())
    if args.keep is None:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
