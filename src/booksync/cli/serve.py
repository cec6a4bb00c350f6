"""``booksync serve``: the web app and API (docs/web.md, "Serving").

A thin adapter over :mod:`booksync.web.server`, which imports FastAPI,
uvicorn and the whole application only when this command runs.
"""

from __future__ import annotations

import typer

from booksync.cli.context import state


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
    workers: int = typer.Option(
        1, "--workers", min=1, max=64,
        help="Serving processes (one uses one core); the worker and the sandbox bank "
        "still run once.",
    ),
) -> None:
    """Serve the web app and the REST API (and, unless --no-worker, synchronize on schedule)."""
    from booksync.web.server import ServeOptions, log_to_stderr
    from booksync.web.server import serve as run

    log_to_stderr()
    run(state(ctx).engine, ServeOptions(host=host, port=port, worker=not no_worker,
                                        sandbox=sandbox, workers=workers))
