"""A database named plainly is the same file whether the engine opens it or the driver alone.

:func:`booksync.db.location.plain_sqlite_file` lets the simplest listings
skip SQLAlchemy (docs/architecture.md, "Command line"): whenever it names a
file, SQLAlchemy reads that very file from the same ``--db``; whenever the
engine would refuse the value, it names none, so the engine's sentence is
the one the user reads.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booksync.db.engine import DatabaseUnavailable, check_url
from booksync.db.location import ENV_URL, plain_sqlite_file

PREFIXES = st.sampled_from(["", "sqlite:///", "sqlite://", "sqlite:////", "~/", "./", "/"])
PATHS = st.text(alphabet="ab/.:@?%#~ \u00e9\n\t\x00[]", max_size=30)


@settings(deadline=None)
@given(PREFIXES, PATHS)
def test_a_plain_file_is_the_one_the_engine_reads(prefix: str, path: str) -> None:
    db = prefix + path
    plain = plain_sqlite_file(db)
    try:
        parsed = check_url(db)
    except DatabaseUnavailable:
        assert plain is None
        return
    if plain is not None:
        assert parsed.get_backend_name() == "sqlite"
        assert parsed.database == plain


@pytest.mark.parametrize(
    "db",
    [
        "",
        " books.db",
        "books.db?timeout=5",
        "sqlite:///books.db?timeout=5",
        "sqlite:///a%20b.db",
        "sqlite+pysqlite:///books.db",
        "postgresql://user@localhost/test",
        "postgresql+psycopg://user:secret@localhost:5432/test",
    ],
)
def test_anything_else_goes_through_the_engine(db: str) -> None:
    assert plain_sqlite_file(db) is None


def test_the_default_is_read_like_any_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_URL, "sqlite:////srv/books/booksync.db")
    assert plain_sqlite_file(None) == "/srv/books/booksync.db"
    monkeypatch.setenv(ENV_URL, "postgresql://localhost/books")
    assert plain_sqlite_file(None) is None
