"""Engines and sessions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, so a reader never blocks the
writer and a dangling reference is refused as it is on PostgreSQL.
Temporary storage is in memory: a statement that may fire a trigger keeps a
statement journal there, and keeping it in a file doubled the time of a bulk
import.  The default database lives in the user's data directory;
``BOOKSYNC_DATABASE_URL`` or ``--db URL`` points elsewhere.

Only ``booksync init`` and the demo create a database: every other command
opens with ``must_exist``, so a mistyped path is an error rather than a new
empty file, and a database never initialised is named as such.  A URL is
checked before SQLAlchemy sees it (a bad port, an unknown driver and an
unclosed IPv6 bracket ended in tracebacks), and a URL shown in a message
never shows its password.  The default, the plain URL forms and the SQLite
file checks need no SQLAlchemy and live in :mod:`booksync.db.location`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from booksync.db.location import (
    BUSY_TIMEOUT_MS,
    ENV_URL,
    DatabaseUnavailable,
    default_url,
    never_initialised,
    normalize_url,
    require_sqlite_schema,
)

# The backends booksync is built and tested for, with their drivers.
DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
# What a sqlite:/// URL may add after "?" (handed to sqlite3.connect).
SQLITE_OPTIONS = {"timeout", "isolation_level", "detect_types", "check_same_thread"}


def shown_url(url: str | URL) -> str:
    """A URL for messages: no password (nor anything else before the host), no query."""
    if isinstance(url, URL):
        if url.get_backend_name() == "sqlite":
            return url.database or ":memory:"
        return url.set(query={}).render_as_string(hide_password=True)
    scheme, sep, rest = url.partition("://")
    if "@" in rest:  # the password may hold any character, so hide all of user info
        rest = "***@" + rest.rpartition("@")[2]
    rest = rest.split("?", 1)[0]
    return repr(f"{scheme}{sep}{rest}")[1:-1][:200]


def _invalid(url: str, reason: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"the database URL {shown_url(url)} is not valid: {reason}")


def check_url(url: str) -> URL:
    """The URL (or SQLite path) as SQLAlchemy reads it, if booksync can use it."""
    if not url.strip():
        raise DatabaseUnavailable("the database URL is empty")
    if "\x00" in url:
        raise _invalid(url, "it holds a NUL character")
    try:
        full = normalize_url(url)
    except (RuntimeError, ValueError, OSError) as exc:  # "~nobody/x": no such home
        raise _invalid(url, str(exc).splitlines()[0] if str(exc) else "not a path") from None
    try:
        parsed = make_url(full)
        parsed.port  # noqa: B018 (reading it checks it)
    except ArgumentError:
        form = "write it as postgresql://USER@HOST:PORT/DATABASE or a file path"
        raise _invalid(url, form) from None
    except ValueError:
        form = "its host or port cannot be read (an IPv6 host goes in [...])"
        raise _invalid(url, form) from None
    backend = parsed.get_backend_name()
    if backend not in DRIVERS:
        raise _invalid(url, "booksync works with SQLite files and postgresql:// databases")
    if parsed.get_driver_name() != DRIVERS[backend]:
        raise _invalid(url, f"booksync talks to {backend} through {DRIVERS[backend]}")
    if backend == "sqlite" and not set(parsed.query) <= SQLITE_OPTIONS:
        raise _invalid(url, f"SQLite takes only the options {', '.join(sorted(SQLITE_OPTIONS))}")
    return parsed


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
    # The line guard reads pragma_foreign_keys inside a trigger, which a build
    # that defaults trusted_schema off forbids (docs/ledger.md).
    cur.execute("PRAGMA trusted_schema=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def make_engine(url: str | None = None, *, must_exist: bool = False) -> Engine:
    """An engine for ``url`` (default: :func:`default_url`).

    Without ``must_exist`` the SQLite file's folder is created when needed
    (``init``, the demo, tests); with it, the database must exist and hold
    booksync's tables, else :class:`DatabaseUnavailable` says so.
    """
    parsed = check_url(default_url() if url is None else url)
    if parsed.get_backend_name() == "sqlite":
        if must_exist:
            require_sqlite_schema(parsed.database)
        elif parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = _create(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = _create(parsed, pool_pre_ping=True)
    if must_exist:
        try:
            _require_schema(engine, parsed)
        except DatabaseUnavailable:
            engine.dispose()
            raise
    return engine


def _create(url: URL, **options: Any) -> Engine:
    try:
        return create_engine(url, **options)
    except (TypeError, ValueError) as exc:  # an option's value the driver cannot read
        shown = shown_url(url)
        reason = f"an option's value cannot be read ({exc})"
        raise DatabaseUnavailable(f"the database URL {shown} is not valid: {reason}") from None


def _require_schema(engine: Engine, url: URL) -> None:
    """Connect once and look for booksync's tables (``company`` is made by the first migration)."""
    shown = shown_url(url)
    try:
        with engine.connect() as conn:
            ready = inspect(conn).has_table("company")
    except DBAPIError as exc:
        reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
        text = reason[0] if reason else type(exc).__name__
        if url.password:
            text = text.replace(str(url.password), "***")
        raise DatabaseUnavailable(f"database {shown} cannot be opened: {text}") from None
    except (TypeError, ValueError) as exc:  # options the driver does not know
        raise DatabaseUnavailable(f"the database URL {shown} is not valid: {exc}") from None
    if not ready:
        raise never_initialised(shown)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


__all__ = [
    "BUSY_TIMEOUT_MS",
    "DRIVERS",
    "ENV_URL",
    "DatabaseUnavailable",
    "check_url",
    "default_url",
    "make_engine",
    "normalize_url",
    "session_factory",
    "shown_url",
]
