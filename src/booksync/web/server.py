"""``booksync serve``: the web app under uvicorn, with the worker and the sandbox bank beside it.

By default the scheduler's worker runs in a thread of the same process, so
a laptop install synchronizes on schedule with nothing else running; on
PostgreSQL any number of ``serve`` and ``booksync worker`` processes share
one database, each claiming due connections with ``SKIP LOCKED``.  With
``sandbox`` the sandbox bank listens on a free loopback port, and the
server's outbound policy (public addresses only) lets it reach that one
port and no other private address (docs/web.md, "Serving").

With ``workers`` above one, uvicorn's supervisor answers on the port with
that many processes, each with the app and an engine of its own (Python
runs one thread at a time per process, so one process uses one core).  The
scheduler's worker and the sandbox bank still run once, in the supervising
process: the worker claims connections in the database, so it would be
safe in each, but one is enough, and the sandbox bank holds its world in
memory, so there must be one.  The serving processes learn the database and
the sandbox's address from their environment, as uvicorn starts them afresh.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import socket
import sys
import threading
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from uvicorn.supervisors import Multiprocess

from booksync.db.engine import make_engine, session_factory
from booksync.errors import BooksyncError
from booksync.providers.url_policy import OutboundPolicy, set_default_policy
from booksync.sync.scheduler import Worker
from booksync.web.app import WebConfig, create_app

log = logging.getLogger("booksync.web")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# What a serving process of ``--workers N`` is told by the supervising one.
_SERVED = "BOOKSYNC_SERVE_PROCESS"

__all__ = ["LOG_FORMAT", "ServeOptions", "log_to_stderr", "serve", "served_app"]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    worker: bool = True
    sandbox: bool = False
    sandbox_seed: int = 0
    poll: float = 30.0
    workers: int = 1  # serving processes


def log_to_stderr() -> None:
    """The web app's and the worker's log lines on standard error, in every process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in ("booksync.web", "booksync.worker"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _policy(sandbox_url: str | None) -> None:
    """Public addresses only, and the sandbox bank's port when it runs."""
    if sandbox_url is None:
        set_default_policy(OutboundPolicy.server())
        return
    from urllib.parse import urlsplit

    port = urlsplit(sandbox_url).port
    assert port is not None
    set_default_policy(OutboundPolicy.server(allow=[("127.0.0.1", port)]))


def _settled(app: FastAPI) -> FastAPI:
    # What exists now (the loaded application, its modules and tables) lives as long as
    # the server: out of the collector's reach, a full collection takes about a
    # millisecond instead of up to a hundred, which every request then waited for.
    gc.freeze()
    return app


def served_app() -> FastAPI:
    """The app of one serving process of ``--workers N`` (uvicorn's factory)."""
    told = json.loads(os.environ[_SERVED])
    log_to_stderr()
    _policy(told["sandbox"])
    return _settled(create_app(make_engine(told["url"]), WebConfig(sandbox_url=told["sandbox"])))


def listening(options: ServeOptions) -> socket.socket:
    """The port the serving processes of ``--workers N`` share, bound here.

    Made as a TCP socket by name: uvicorn binds one with protocol 0, and
    asyncio then leaves Nagle's algorithm on the connections it accepts from
    it, so that the body of each answer waited for the client's delayed
    acknowledgement of its headers, 40 ms on Linux.
    """
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError as exc:
        sock.close()
        raise BooksyncError(f"cannot listen on {options.host}:{options.port}: "
                            f"{exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _run(app: FastAPI | str, options: ServeOptions) -> None:
    """uvicorn on the app itself, or with ``workers`` processes on its factory's name."""
    config = uvicorn.Config(app, host=options.host, port=options.port,
                            factory=isinstance(app, str), workers=options.workers,
                            log_level="info", access_log=False, server_header=False,
                            proxy_headers=False)
    if isinstance(app, str):
        Multiprocess(config, sockets=[listening(options)]).run()
    else:
        uvicorn.Server(config).run()


def serve(engine: Engine, options: ServeOptions, *, announce: bool = True) -> None:
    """Serve until SIGINT or SIGTERM; the worker finishes its runs in progress first."""
    from booksync.sandbox.server import SandboxHandle, start

    bank: SandboxHandle | None = None
    if options.sandbox:
        bank = start("127.0.0.1", 0, options.sandbox_seed)
    sandbox_url = bank.url if bank else None
    _policy(sandbox_url)
    worker: Worker | None = None
    thread: threading.Thread | None = None
    if options.worker:
        worker = Worker(session_factory(engine), poll_interval=options.poll)
        thread = threading.Thread(target=worker.run_forever, name="booksync-worker", daemon=True)
        thread.start()
    if announce:
        what = ", ".join(
            part for part in (
                f"{options.workers} processes" if options.workers > 1 else "",
                "the worker" if worker else "",
                f"the sandbox bank at {bank.url}" if bank else "",
            ) if part
        )
        log.info("booksync serve on http://%s:%d%s", options.host, options.port,
                 f" with {what}" if what else "")
    try:
        if options.workers > 1:
            os.environ[_SERVED] = json.dumps({
                "url": engine.url.render_as_string(hide_password=False),
                "sandbox": sandbox_url,
            })
            _run("booksync.web.server:served_app", options)
        else:
            _run(_settled(create_app(engine, WebConfig(sandbox_url=sandbox_url))), options)
    finally:
        if worker is not None and thread is not None:
            worker.stop()
            thread.join(timeout=60)
        if bank is not None:
            bank.stop()
