"""``booksync serve``: the web app and API (docs/web.md, "Serving").

A thin adapter over :mod:`booksync.web.server`, which imports FastAPI,
uvicorn and the whole application only when this command runs.
"""

from __future__ import annotations

import logging
import sys

import typer

from booksync.cli.context import state

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
    no_worker: bool = typer.Option(
        False, "--no-worker", help="Do not run the scheduler's worker in this process."
    ),
    sandbox: bool = typer.Option(
        False, "--sandbox",
        help="Also run the sandbox bank, whose institutions connect in one click.",
    ),
) -> None:
    """Serve the web app and the REST API (and, unless --no-worker, synchronize on schedule)."""
    from booksync.web.server import ServeOptions
    from booksync.web.server import serve as run

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in ("booksync.web", "booksync.worker"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    run(state(ctx).engine, ServeOptions(host=host, port=port, worker=not no_worker,
                                        sandbox=sandbox))
