"""Web app speed benchmark: the dashboard, Online Synchronization and the statement lines.

Run ``python bench/web_bench.py [--lines N] [--journals J] [--connections C]
[--invoices I] [--requests R] [--budget S] [--workers W] [--clients K]
[--seconds S] [--keep DIR]`` (defaults: the issue's 1,000,000 statement
lines over 20 bank journals, 200 connections and 100,000 posted invoices;
200 requests per page after 20 to warm up; a server of 2 processes; 6
load clients for 10 s).  With ``--keep DIR`` the
books stay in DIR as ``web.db`` (with the key their credentials are sealed
with), and a later run with the same DIR and the same sizes reuses them
instead of building them again (about four minutes on 2 cores).

1. The books (``web_data``; not a figure, each step's time is printed): a
   fresh SQLite file written through the application's own bulk paths, the
   posted invoices as ``reconcile_bench`` writes them, each connection's
   lines through the statement importer as its first sync books them.
   Then a user (admin, so that every page is allowed), a web session (its
   cookie, as a browser sends it) and an API token (``Bearer``, as a
   program sends it), made at every run through ``booksync.users``.
2. The server: ``booksync --db FILE serve --no-worker --workers W --port
   FREE`` as a subprocess (uvicorn with W serving processes; ``--workers 1``
   is one process, the default of ``serve``), waited for until ``/login``
   answers.  Its log is ``serve.log`` in the work folder.
3. Latency, one request at a time from one keep-alive ``httpx`` client on
   loopback: per page 20 requests to warm up, then ``--requests`` measured
   (a slow page stops after ``--budget`` seconds, 60 by default, with at
   least 10; the row says how many).  The figure is the **server time**,
   the ``Server-Timing: app;dur=MS`` header every answer carries
   (booksync.web.timing: from the request's arrival at the app to the start
   of its answer); the client's time (connection, HTTP parsing, the body)
   is printed beside it, with p50, p95 and max of each, the answer's size
   and the load average as the page's requests ended.  Also the server
   process's CPU time per request (from ``/proc``; the server runs nothing
   else): on a shared machine the wall-clock figures grow with the load,
   the CPU time much less, so it tells what a page costs when they are
   noisy.  Pages: the dashboard ``/`` (and, since it keeps its sums while
   the posted books stay as they were, ten times its first request after a
   line is booked by hand in the last journal, as after a sync that brings
   one: the kept books grow by ten lines a run), Online Synchronization
   ``/connections``, the statement lines page ``/statements?journal=BNK1``
   (newest first) at its first page and at three depths, the lines at 1 %,
   50 % and 99 % of the journal in (date, id) order, so that both ends are
   deep whichever way a page sorts (the page is asked for as its own next
   link asks: the parameter and the form of the line id are read from the
   first page), its two filters' first pages (**To reconcile**;
   **Reconciled**, which none of these lines is: the worst case of a filter
   that skips lines), and the JSON list
   ``/api/v1/statement-lines?journal=BNK1&limit=100`` at the same depths
   (cursors made by ``booksync.web.api.common.cursor_of``).  Target: p95 <=
   50 ms each.  The **baselines**, served by the same server in the same
   run: ``/static/app.css`` (a file: the server's floor), ``/login`` (a
   template, no database) and the JSON list with ``limit=1`` (what every
   API call pays: the token, the company, the journal, one row).
4. Throughput of the JSON list: ``--clients`` load clients for
   ``--seconds`` over pages of every journal at depths spread over its
   lines; requests/s answered 200 (target >= 500) and the server's CPU time
   per request (a serving process answers at most 1000 / that many a second
   on a core of its own), beside the same clients fetching
   ``/static/app.css``: with the clients and the server on the same two
   cores, that is the most these clients can measure.  Each client is a
   process of its own holding one keep-alive HTTP/1.1 connection, its
   requests written and its answers read on the bare socket: four ``httpx``
   clients in threads of one process spent about as much CPU per request
   as the server spent serving the style sheet (some seven times what these
   clients spend), so they measured themselves more than the server.  The
   clients' own CPU time per request is printed beside the server's.

A page that is not there answers 404 and is printed as such.  Cores and the
1-minute load average are printed with every figure: with a load near or
above the core count another process shares the cores and the figures say
little.  Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import html
import math
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from cryptography.fernet import Fernet

import web_data
from booksync.errors import BooksyncError
from booksync.web.api.common import after_id, cursor_of
from booksync.web.auth import COOKIE
from reconcile_bench import hwm_mb

TARGET_P95_MS = 50.0
TARGET_RATE = 500.0
WARM_UP = 20
FEWEST = 10  # measured requests of a page, however slow
CHANGES = 10  # lines booked by hand, each followed by a look at the dashboard
FILTERS = ("to_reconcile", "reconciled")  # the page's filters, first page each
CLI = "from booksync.cli.main import main; main()"
_TIMING = re.compile(r"app;dur=([0-9.]+)")
_HREF = re.compile(r'href="([^"]+)"')


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


# --- 2. the server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(url: str, workdir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (workdir / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "--db", url, "serve", "--no-worker", "--workers",
         str(workers), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"booksync serve exited ({server.returncode}): see {log.name}")
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"booksync serve did not answer within 120 s: see {log.name}")


def family(pid: int) -> list[int]:
    """``pid`` and its children (uvicorn's serving processes, with ``--workers``)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(child) for child in children)]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` and its children so far (Linux's
    ``/proc``), in seconds; a child that ended meanwhile no longer counts."""
    used = 0
    for member in family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used += int(fields[11]) + int(fields[12])
    return used / os.sysconf("SC_CLK_TCK")


# --- 3. latency ---------------------------------------------------------------


@dataclass
class Timed:
    what: str
    path: str
    status: int = 0
    size: int = 0
    server: list[float] = field(default_factory=list)  # ms, from Server-Timing
    client: list[float] = field(default_factory=list)  # ms, request to body read
    warm_up: int = 0
    cpu_ms: float = 0.0  # the server process's CPU time per measured request
    load: str = ""  # the 1-minute load average as the page's requests ended
    note: str = ""


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def timed(client: httpx.Client, what: str, path: str, requests: int, budget: float,
          cpu: Callable[[], float]) -> Timed:
    """``requests`` GETs of ``path`` after :data:`WARM_UP`; stops at the first non-200.

    A slow page gets fewer: the warm-up stops after a sixth of ``budget``
    seconds and the measured requests after ``budget`` (at least
    :data:`FEWEST` of them), so that a page taking seconds does not hold the
    run for an hour; the row says how many were measured.
    """
    result = Timed(what, path)
    started = time.perf_counter()
    measuring = False
    cpu_before = 0.0
    while len(result.client) < requests:
        began = time.perf_counter()
        answer = client.get(path)
        took = (time.perf_counter() - began) * 1000
        result.status, result.size = answer.status_code, len(answer.content)
        if answer.status_code != 200:
            if answer.headers.get("content-type", "").startswith("application/json"):
                result.note = answer.text[:160]
            return result
        if not measuring:
            result.warm_up += 1
            if result.warm_up >= WARM_UP or began - started > budget / 6:
                measuring, started = True, time.perf_counter()
                cpu_before = cpu()
            continue
        result.client.append(took)
        found = _TIMING.search(answer.headers.get("server-timing", ""))
        if found:
            result.server.append(float(found.group(1)))
        if began - started > budget and len(result.client) >= FEWEST:
            break
    result.cpu_ms = (cpu() - cpu_before) * 1000 / max(len(result.client), 1)
    result.load = load()
    return result


def after_changes(client: httpx.Client, what: str, path: str, change: Callable[[int], None],
                  cpu: Callable[[], float]) -> Timed:
    """``path`` once after each of :data:`CHANGES` changes to the posted books.

    What a page keeps while the books stay as they were (the dashboard's
    sums) is read again after a change, as after every sync that brings a
    line: this is what the first look after it costs.
    """
    result = Timed(what, path)
    used = 0.0
    for n in range(CHANGES):
        change(n)
        before = cpu()
        began = time.perf_counter()
        answer = client.get(path)
        took = (time.perf_counter() - began) * 1000
        used += cpu() - before
        result.status, result.size = answer.status_code, len(answer.content)
        if answer.status_code != 200:
            return result
        result.client.append(took)
        found = _TIMING.search(answer.headers.get("server-timing", ""))
        if found:
            result.server.append(float(found.group(1)))
    result.cpu_ms = used * 1000 / CHANGES
    result.load = load()
    return result


def cursor_param(client: httpx.Client, path: str) -> tuple[str, Callable[[int], str]] | None:
    """How the page's own next link names the line it starts after: the query parameter
    and how a line id is written in it (an API cursor, or the plain id)."""
    answer = client.get(path)
    if answer.status_code != 200:
        return None
    for href in _HREF.findall(answer.text):
        link = urlsplit(html.unescape(href))
        if link.path != urlsplit(path).path:
            continue
        for name, value in parse_qsl(link.query):
            if name in ("after", "before", "cursor") and value.isdigit():
                return name, str
            try:
                if after_id(value) is not None:
                    return name, cursor_of
            except BooksyncError:
                continue
    return None


# --- 4. throughput ------------------------------------------------------------


@dataclass
class Rate:
    what: str
    clients: int
    ok: int
    failed: int
    seconds: float
    server: list[float]
    cpu_ms: float  # the server's CPU time per request answered
    client_cpu_ms: float  # the load clients' own CPU time per request answered

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def _answer(sock: socket.socket, pending: bytearray) -> tuple[int, float | None]:
    """Read one HTTP/1.1 answer (``Content-Length`` framed) off ``sock``: its status and
    its Server-Timing duration; bytes past it stay in ``pending``."""
    while (end := pending.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        pending += chunk
    head = bytes(pending[:end]).decode("latin-1")
    del pending[:end + 4]
    status = int(head[9:12])
    size = None
    timing = None
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            size = int(value)
        elif name == "server-timing" and (found := _TIMING.search(value)):
            timing = float(found.group(1))
    if size is None:
        raise ConnectionError(f"an answer without Content-Length: {head[:80]!r}")
    while len(pending) < size:
        chunk = sock.recv(max(size - len(pending), 65536))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        pending += chunk
    del pending[:size]
    return status, timing


def _load_client(port: int, requests: list[bytes], first: int, go: Any, deadline: Any,
                 results: Any) -> None:
    """One load client: a keep-alive connection, ``requests`` in turn from ``first``
    until the deadline; sends (ok, failed, server times, own CPU seconds, when its
    last answer came)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = bytearray()
        sock.sendall(requests[first % len(requests)])  # connected before the clock starts
        _answer(sock, pending)
        go.wait()
        ok = failed = 0
        timings: list[float] = []
        cpu = time.process_time()
        n = first
        while time.perf_counter() < deadline.value:
            sock.sendall(requests[n % len(requests)])
            n += 1
            status, timing = _answer(sock, pending)
            if status == 200:
                ok += 1
            else:
                failed += 1
            if timing is not None:
                timings.append(timing)
        ended = time.perf_counter()  # the system's monotonic clock: the parent's too
    results.put((ok, failed, timings, time.process_time() - cpu, ended))


def throughput(base: str, headers: dict[str, str], what: str, paths: list[str], clients: int,
               seconds: float, cpu: Callable[[], float]) -> Rate:
    """``clients`` load clients (processes) GET ``paths`` in turn (each from its own
    offset) for ``seconds``."""
    port = int(base.rsplit(":", 1)[1])
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    requests = [f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode()
                for path in paths]
    context = multiprocessing.get_context("fork")  # the clients need nothing re-imported
    go = context.Event()
    deadline = context.Value("d", 0.0)
    results = context.Queue()
    workers = [context.Process(target=_load_client,
                               args=(port, requests, k * 7, go, deadline, results))
               for k in range(clients)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # every client connected and waiting
    cpu_before = cpu()
    started = time.perf_counter()
    deadline.value = started + seconds
    go.set()
    done = [results.get(timeout=seconds + 60) for _ in workers]
    used = cpu() - cpu_before
    took = max(d[4] for d in done) - started
    for worker in workers:
        worker.join()
    ok = sum(d[0] for d in done)
    answered = ok + sum(d[1] for d in done)
    return Rate(what, clients, ok, answered - ok, took,
                [v for d in done for v in d[2]], used * 1000 / max(answered, 1),
                sum(d[3] for d in done) * 1000 / max(answered, 1))


# --- the run ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    defaults = web_data.Sizes()
    parser.add_argument("--lines", type=int, default=defaults.lines)
    parser.add_argument("--journals", type=int, default=defaults.journals)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--invoices", type=int, default=defaults.invoices)
    parser.add_argument("--partners", type=int, default=defaults.partners)
    parser.add_argument("--runs", type=int, default=defaults.runs,
                        help="sync runs per connection in the log")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds of measured requests per page at most")
    parser.add_argument("--workers", type=int, default=2,
                        help="serving processes of the server (serve --workers)")
    parser.add_argument("--clients", type=int, default=6,
                        help="load clients (processes) for throughput")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput duration")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the books in this folder")
    args = parser.parse_args(argv)
    if args.connections < args.journals:
        parser.error("give at least one connection per journal")
    sizes = web_data.Sizes(args.lines, args.journals, args.connections, args.invoices,
                           args.partners, args.runs, args.seed)
    os.environ.setdefault("BOOKSYNC_SECRET_KEY", Fernet.generate_key().decode())
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="booksync-web-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.keep is not None and (workdir / "web.json").exists():
        # The connections' credentials were sealed with the key of the run that built them.
        key_file = workdir / "secret.key"
        if key_file.exists():
            os.environ["BOOKSYNC_SECRET_KEY"] = key_file.read_text().strip()
    print(f"booksync web benchmark in {workdir}: {sizes.describe()}; "
          f"{os.cpu_count()} cores, load {load()}", flush=True)
    started = time.perf_counter()
    url, how = web_data.books(workdir, sizes, args.keep is not None)
    (workdir / "secret.key").write_text(os.environ["BOOKSYNC_SECRET_KEY"])
    print(f"  books ({time.perf_counter() - started:.0f} s): {how}", flush=True)
    auth = web_data.sign_in(url)
    books_of = web_data.journals(url)
    paths = web_data.spread(url, books_of.codes, 10)
    server, base = start_server(url, workdir, args.workers)
    try:
        latencies, rates, notes = measure(base, auth, books_of, paths, args,
                                          lambda: cpu_seconds(server.pid),
                                          web_data.booker(url, books_of.codes[-1]))
        peak = max(hwm_mb(member) for member in family(server.pid))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    report(sizes, books_of, latencies, rates, notes, peak)
    if args.keep is None:
        shutil.rmtree(workdir)
    return 0


def measure(
    base: str, auth: web_data.Auth, books_of: web_data.Journals, paths: list[str],
    args: argparse.Namespace, cpu: Callable[[], float], change: Callable[[int], None],
) -> tuple[list[Timed], list[Rate], list[str]]:
    """Every latency, then both throughputs; notes on what could not be measured."""
    cookie = {"Cookie": f"{COOKIE}={auth.cookie}"}
    bearer = {"Authorization": f"Bearer {auth.token}"}
    notes: list[str] = [f"load average (1 min) before the latencies: {load()}"]
    results: list[Timed] = []
    journal = books_of.first
    statements = f"/statements?journal={journal}"
    api = f"/api/v1/statement-lines?journal={journal}&limit=100"
    with httpx.Client(base_url=base, timeout=60) as anonymous, \
            httpx.Client(base_url=base, headers=cookie, timeout=60) as browser, \
            httpx.Client(base_url=base, headers=bearer, timeout=60) as program:
        plan: list[tuple[str, httpx.Client, str]] = [
            ("baseline: /static/app.css", anonymous, "/static/app.css"),
            ("baseline: /login", anonymous, "/login"),
            ("dashboard", browser, "/"),
            ("Online Synchronization", browser, "/connections"),
            ("statement lines page, first", browser, statements),
        ]
        found = cursor_param(browser, statements)
        if found is None:
            notes.append(f"{statements}: no next-page link with a cursor on the first page, "
                         "so no deeper page was measured")
        else:
            param, written = found
            plan += [(f"statement lines page at {depth:.0%}", browser,
                      f"{statements}&{param}={written(books_of.at_depth[depth])}")
                     for depth in web_data.DEPTHS]
        plan += [(f"statement lines page, filter {shown}", browser,
                  f"{statements}&filter={shown}") for shown in FILTERS]
        plan.append(("baseline: JSON list of 1 line", program,
                     f"/api/v1/statement-lines?journal={journal}&limit=1"))
        plan.append(("JSON list, first page", program, api))
        plan += [(f"JSON list at {depth:.0%}", program,
                  f"{api}&cursor={cursor_of(books_of.at_depth[depth])}")
                 for depth in web_data.DEPTHS]
        for what, client, path in plan:
            results.append(timed(client, what, path, args.requests, args.budget, cpu))
            print(f"  {row_text(results[-1])}", flush=True)
            if path == "/" and results[-1].status == 200:
                results.append(after_changes(browser, "dashboard after the books changed", "/",
                                             change, cpu))
                print(f"  {row_text(results[-1])}", flush=True)
    notes.append(f"load average (1 min) after the latencies: {load()}")
    rates = []
    for what, headers, mix in (
        ("baseline: /static/app.css", {}, ["/static/app.css"]),
        ("JSON list of statement lines", bearer, paths),
    ):
        before = load()
        rate = throughput(base, headers, what, mix, args.clients, args.seconds, cpu)
        rates.append(rate)
        notes.append(f"load average (1 min) around the throughput of {what}: {before} -> "
                     f"{load()}")
        print(f"  {rate_text(rate)}", flush=True)
    return results, rates, notes


def row_text(result: Timed) -> str:
    if result.status != 200:
        return f"{result.what}: HTTP {result.status} ({result.path}) {result.note}".rstrip()
    count = (f"server CPU {result.cpu_ms:.1f} ms/request; {len(result.client):,} requests, "
             f"{result.size:,} bytes, load {result.load}")
    if not result.server:
        return (f"{result.what}: no Server-Timing header; client p50 "
                f"{pct(result.client, 0.5):.1f} p95 {pct(result.client, 0.95):.1f} ms; {count}")
    p95 = pct(result.server, 0.95)
    mark = "" if result.what.startswith("baseline") else (
        " ok" if p95 <= TARGET_P95_MS else " MISSED")
    return (f"{result.what}: server p50 {pct(result.server, 0.5):.1f} p95 {p95:.1f} max "
            f"{max(result.server):.1f} ms{mark}; client p50 {pct(result.client, 0.5):.1f} p95 "
            f"{pct(result.client, 0.95):.1f} ms; {count}")


def rate_text(rate: Rate) -> str:
    if not rate.ok:
        return f"{rate.what}: not measured, no answer was 200 ({rate.failed:,} requests)"
    mark = "" if rate.what.startswith("baseline") else (
        f" (target >= {TARGET_RATE:.0f}: {'ok' if rate.per_second >= TARGET_RATE else 'MISSED'})")
    server = (f"; server p50 {pct(rate.server, 0.5):.1f} p95 {pct(rate.server, 0.95):.1f} ms"
              if rate.server else "")
    failed = f", {rate.failed:,} not 200" if rate.failed else ""
    return (f"{rate.what}: {rate.per_second:,.0f} requests/s{mark}, {rate.clients} clients, "
            f"{rate.ok:,} in {rate.seconds:.1f} s{failed}{server}; server CPU "
            f"{rate.cpu_ms:.1f} ms/request, the clients' own {rate.client_cpu_ms:.2f}")


def report(sizes: web_data.Sizes, books_of: web_data.Journals, latencies: list[Timed],
           rates: list[Rate], notes: list[str], peak_mb: float) -> None:
    print()
    print(f"booksync web benchmark: {sizes.describe()}; SQLite; journal {books_of.first} holds "
          f"{books_of.lines:,} lines; {os.cpu_count()} cores, load now {load()}, Python "
          f"{sys.version.split()[0]}")
    print(f"  server time is the app's Server-Timing header; target p95 <= {TARGET_P95_MS:.0f} "
          "ms per page")
    for result in latencies:
        print(f"  {row_text(result)}")
    for rate in rates:
        print(f"  {rate_text(rate)}")
    print(f"  server peak RSS: {peak_mb:.0f} MB (its largest process)")
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    sys.exit(main())
