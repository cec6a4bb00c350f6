"""Start-up benchmark: ``booksync --help`` and ``booksync journal list`` beside ``python -c pass``.

Run ``python bench/cli_start_bench.py [--runs N]`` (default 10) with the
environment's ``booksync`` installed.  It makes a fresh SQLite file with
``booksync --db F init --company Bench``, then runs, as separate processes
and in turn (A B C D, A B C D, ...) so that the machine's drift touches
each alike:

- ``python -c pass``, the baseline: starting the interpreter alone;
- ``booksync --help``;
- ``booksync --db F journal list``: the table, read from the file with the
  driver alone (docs/architecture.md, "Command line");
- ``booksync --db sqlite:///F?timeout=60 journal list``: the same listing
  through the engine and the ORM (a URL with an option takes that path), for
  what SQLAlchemy and the models add.

It prints each command's minimum and median wall time over the runs and the
medians' ratio to the baseline, with the core count and the 1-minute load
average before and after.  The target is 0.3 s for ``--help`` and
``journal list`` on a quiet machine of two cores; a load near the core count
means others hold the cores and the figures are not comparable.  The
figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def booksync_command() -> list[str]:
    """The ``booksync`` script beside this Python, or the same entry point through ``-c``."""
    script = Path(sys.executable).with_name("booksync")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from booksync.cli.main import main; main()"]


def wall(argv: list[str]) -> float:
    """Seconds from starting ``argv`` to its exit; its output is read and dropped."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each command")
    args = parser.parse_args()
    booksync = booksync_command()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        subprocess.run(
            [*booksync, "--db", str(db), "init", "--company", "Bench"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        commands = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "booksync --help": [*booksync, "--help"],
            "booksync journal list": [*booksync, "--db", str(db), "journal", "list"],
            "journal list through the ORM": [
                *booksync,
                "--db",
                f"sqlite:///{db}?timeout=60",
                "journal",
                "list",
            ],
        }
        for argv in commands.values():  # warm-up: the file cache and .pyc files
            wall(argv)
        load_before = os.getloadavg()[0]
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(wall(argv))
        load_after = os.getloadavg()[0]
    base = statistics.median(times["python -c pass (baseline)"])
    print(
        f"{os.cpu_count()} cores, load average (1 min) {load_before:.2f} before, "
        f"{load_after:.2f} after; {args.runs} runs each, in turn; Python "
        f"{sys.version.split()[0]}"
    )
    print(f"{'command':<32} {'min s':>7} {'median s':>9} {'median / baseline':>18}")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"{name:<32} {min(runs):>7.3f} {median:>9.3f} {median / base:>18.1f}")


if __name__ == "__main__":
    main()
