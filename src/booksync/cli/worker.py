"""``booksync worker``: run due connections on a schedule (docs/banking.md).

As many workers as you like, on as many machines as share the PostgreSQL
database: each claims due connections with ``FOR UPDATE SKIP LOCKED``, so no
connection runs twice at once.  On SQLite one worker at a time writes.
``--once`` drains what is due now and exits (for cron or systemd timers);
without it the worker polls until SIGINT or SIGTERM, finishing the runs in
progress first.  One log line per run goes to stderr; it never holds
credentials, only the connection id, the counts and the run's own message.
"""

from __future__ import annotations

import logging
import sys

import typer

from booksync.cli.context import state
from booksync.db.engine import session_factory
from booksync.sync.scheduler import Worker

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Run what is due now, then exit."),
    concurrency: int = typer.Option(
        1, "--concurrency", min=1, max=64, help="Connections synchronized at the same time."
    ),
    poll: float = typer.Option(
        30.0, "--poll", min=0.1, help="Seconds to wait when nothing is due."
    ),
    worker_id: str | None = typer.Option(
        None, "--id", help="Name in the connection's lease (default: host:pid:random)."
    ),
) -> None:
    """Synchronize due connections: once, or until stopped (Ctrl-C, SIGTERM)."""
    factory = session_factory(state(ctx).engine)
    runner = Worker(factory, worker_id=worker_id, concurrency=concurrency, poll_interval=poll)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger = logging.getLogger("booksync.worker")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        mode = "draining what is due" if once else f"polling every {poll:g}s"
        logger.info("worker %s: %s, concurrency %d", runner.worker_id, mode, concurrency)
        with runner.stop_on_signals():
            runner.run_once() if once else runner.run_forever()
        logger.info(
            "worker %s: stopped after %d runs (%d not successful)",
            runner.worker_id,
            runner.runs,
            runner.failed,
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
