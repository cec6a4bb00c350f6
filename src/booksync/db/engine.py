"""Engines and sessions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, so a reader never blocks the
writer and a dangling reference is refused as it is on PostgreSQL.
Temporary storage is in memory: a statement that may fire a trigger keeps a
statement journal there, and keeping it in a file doubled the time of a bulk
import.  The default database lives in the user's data directory;
``BOOKSYNC_DATABASE_URL`` or ``--db URL`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ENV_URL = "BOOKSYNC_DATABASE_URL"


def default_url() -> str:
    """The URL used when neither ``--db`` nor ``BOOKSYNC_DATABASE_URL`` is given."""
    env = os.environ.get(ENV_URL)
    if env:
        return env
    folder = Path(user_data_dir("booksync", appauthor=False))
    return f"sqlite:///{folder / 'booksync.db'}"


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` and bare file paths as well as full URLs."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


BUSY_TIMEOUT_MS = 10 * 60 * 1000
"""How long an SQLite writer waits for another process's write transaction.

SQLite admits one writer at a time; the others queue on this timeout.  The
longest writes (a first sync of a 300,000-transaction account, a
million-entry import) take minutes, so a worker and a manual sync must wait
that long rather than fail.  A URL's ``?timeout=SECONDS`` (the driver's own
option) sets another wait; the driver's default of 5 s is replaced by this.
"""
_DRIVER_DEFAULT_MS = 5000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    (busy,) = cur.execute("PRAGMA busy_timeout").fetchone()
    if busy == _DRIVER_DEFAULT_MS:  # not chosen in the URL: first, so the pragmas below wait too
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # REPLACE's implicit deletes must fire the immutability triggers too.
    cur.execute("PRAGMA recursive_triggers=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url``; creates the SQLite file's folder when needed."""
    full = normalize_url(url or default_url())
    parsed = make_url(full)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(full)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(full, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
