"""Any exception a use case lets out, as the one user-facing error or not at all.

The database's own refusals (a trigger's ``booksync:`` sentence, SQLite's
busy error) and a file the system could not open reach the caller as
:class:`~booksync.errors.BooksyncError` errors with their codes, so the CLI and
the web app show them alike (docs/architecture.md, "Errors").  Anything else
is a bug and stays what it is.
"""

from __future__ import annotations

import sys

from booksync.db.errors import locked_message
from booksync.errors import BooksyncError

__all__ = ["user_error"]


def user_error(exc: BaseException) -> BooksyncError | None:
    """``exc`` as a user-facing error, or None when it is not one (a bug)."""
    if isinstance(exc, BooksyncError):
        return exc
    locked = locked_message(exc)
    if locked:
        return BooksyncError(locked, code="database_busy")
    # SQLAlchemy is only loaded by commands that open a database: when it was
    # never imported, no error can be one of its own.
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError):
        return _database_error(exc)
    if isinstance(exc, OSError):
        text = f"{exc.strerror or exc}: {exc.filename or ''}".removesuffix(": ")
        return BooksyncError(text, code="file_error")
    return None


def _database_error(exc: BaseException) -> BooksyncError:
    """The first line of the driver's message; the trigger texts are already sentences."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()[0]
    if "booksync:" in text:
        return BooksyncError(
            text[text.index("booksync:") + len("booksync:") :].strip(),
            code="refused_by_database",
        )
    return BooksyncError(
        f"the database refused the operation: {text}", code="refused_by_database"
    )
