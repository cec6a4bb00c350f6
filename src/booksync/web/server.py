"""``booksync serve``: the web app under uvicorn, with the worker and the sandbox bank beside it.

By default the scheduler's worker runs in a thread of the same process, so
a laptop install synchronizes on schedule with nothing else running; on
PostgreSQL any number of ``serve`` and ``booksync worker`` processes share
one database, each claiming due connections with ``SKIP LOCKED``.  With
``sandbox`` the sandbox bank listens on a free loopback port, and the
server's outbound policy (public addresses only) lets it reach that one
port and no other private address (docs/web.md, "Serving").
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass

import uvicorn
from sqlalchemy import Engine

from booksync.db.engine import session_factory
from booksync.providers.url_policy import OutboundPolicy, set_default_policy
from booksync.sync.scheduler import Worker
from booksync.web.app import WebConfig, create_app

log = logging.getLogger("booksync.web")

__all__ = ["ServeOptions", "serve"]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    worker: bool = True
    sandbox: bool = False
    sandbox_seed: int = 0
    poll: float = 30.0


def serve(engine: Engine, options: ServeOptions, *, announce: bool = True) -> None:
    """Serve until SIGINT or SIGTERM; the worker finishes its runs in progress first."""
    from booksync.sandbox.server import SandboxHandle, start

    bank: SandboxHandle | None = None
    if options.sandbox:
        bank = start("127.0.0.1", 0, options.sandbox_seed)
        set_default_policy(OutboundPolicy.server(allow=[("127.0.0.1", bank.server.server_port)]))
    else:
        set_default_policy(OutboundPolicy.server())
    worker: Worker | None = None
    thread: threading.Thread | None = None
    if options.worker:
        worker = Worker(session_factory(engine), poll_interval=options.poll)
        thread = threading.Thread(target=worker.run_forever, name="booksync-worker", daemon=True)
        thread.start()
    app = create_app(engine, WebConfig(sandbox_url=bank.url if bank else None))
    # What exists now (the loaded application, its modules and tables) lives as long as
    # the server: out of the collector's reach, a full collection takes about a
    # millisecond instead of up to a hundred, which every request then waited for.
    gc.freeze()
    config = uvicorn.Config(app, host=options.host, port=options.port, log_level="info",
                            access_log=False, server_header=False, proxy_headers=False)
    server = uvicorn.Server(config)
    if announce:
        what = ", ".join(
            part for part in (
                "the worker" if worker else "",
                f"the sandbox bank at {bank.url}" if bank else "",
            ) if part
        )
        log.info("booksync serve on http://%s:%d%s", options.host, options.port,
                 f" with {what}" if what else "")
    try:
        server.run()
    finally:
        if worker is not None and thread is not None:
            worker.stop()
            thread.join(timeout=60)
        if bank is not None:
            bank.stop()
