"""Where the database is, without SQLAlchemy: the default, the URL forms, the file checks.

These are the parts of opening a database that need only the standard
library, so a command that reads a SQLite file with the driver alone
(:mod:`booksync.ledger.lean`) meets exactly the same default, the same
checks and the same sentences as one that opens it through the engine
(:mod:`booksync.db.engine`, which imports them from here).  Importing
SQLAlchemy costs more than the whole of a short command's other work
(docs/architecture.md, "Command line").
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from booksync.errors import BooksyncError

ENV_URL = "BOOKSYNC_DATABASE_URL"
SQLITE_PREFIX = "sqlite:///"

BUSY_TIMEOUT_MS = 10 * 60 * 1000
"""How long an SQLite writer waits for another process's write transaction.

SQLite admits one writer at a time; the others queue on this timeout.  The
longest writes (a first sync of a 300,000-transaction account, a
million-entry import) take minutes, so a worker and a manual sync must wait
that long rather than fail.  A URL's ``?timeout=SECONDS`` (the driver's own
option) sets another wait; the driver's default of 5 s is replaced by this.
"""


class DatabaseUnavailable(BooksyncError):
    """The database cannot be used as named: a bad URL, a missing file, no schema.

    The message is one sentence and never holds the URL's password.
    """

    code = "database_unavailable"


def default_url() -> str:
    """The URL used when neither ``--db`` nor ``BOOKSYNC_DATABASE_URL`` is given."""
    env = os.environ.get(ENV_URL)
    if env:
        return env
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("booksync", appauthor=False))
    return f"{SQLITE_PREFIX}{folder / 'booksync.db'}"


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` and bare file paths as well as full URLs."""
    if "://" not in url:
        return f"{SQLITE_PREFIX}{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def plain_sqlite_file(db: str | None) -> str | None:
    """The SQLite database ``db`` names (a file path, or ``:memory:``), when it is plainly one.

    ``db`` is what ``--db`` holds (None: :func:`default_url`).  Only a bare
    path or a ``sqlite:///`` URL with no options counts, and only when it
    holds none of the characters a URL gives a meaning to (``?`` starts the
    options, ``%`` an escape): for those the answer is the ``database`` part
    SQLAlchemy reads from the same URL.  Anything else, and anything invalid,
    is None, and the caller opens the database through the engine, whose
    checks explain what is wrong.
    """
    url = default_url() if db is None else db
    if not url.strip() or url != url.strip() or any(c in url for c in "\x00?%"):
        return None
    if "://" not in url:
        try:
            url = normalize_url(url)
        except (RuntimeError, ValueError, OSError):  # "~nobody/x": no such home
            return None
        if any(c in url for c in "\x00?%"):  # from the working directory or the home
            return None
    if not url.startswith(SQLITE_PREFIX):
        return None
    return url.removeprefix(SQLITE_PREFIX)


def never_initialised(shown: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"database {shown} is not a booksync database (it was never initialised); "
        "run `booksync init` first"
    )


def require_sqlite_schema(database: str | None) -> None:
    """The file exists and has booksync's tables: looked up read-only, so nothing is written."""
    if not database or database == ":memory:":
        raise never_initialised("in memory")
    path = Path(database)
    try:
        found = path.is_file()
    except OSError as exc:  # a name too long for the file system, ...
        raise DatabaseUnavailable(f"database {path} cannot be opened: {exc.strerror}") from None
    if not found:
        if path.exists():
            raise DatabaseUnavailable(f"database {path} is not a file")
        raise DatabaseUnavailable(f"database {path} does not exist; run `booksync init` first")
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            ready = probe.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'company'"
            ).fetchone()
        finally:
            probe.close()
    except sqlite3.Error as exc:  # "file is not a database", no permission, ...
        raise DatabaseUnavailable(f"database {path} cannot be opened: {exc}") from None
    if not ready:
        raise never_initialised(str(path))


__all__ = [
    "BUSY_TIMEOUT_MS",
    "ENV_URL",
    "DatabaseUnavailable",
    "default_url",
    "never_initialised",
    "normalize_url",
    "plain_sqlite_file",
    "require_sqlite_schema",
]
