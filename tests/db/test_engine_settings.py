"""booksync's own SQLite connections turn on what the guards rely on, and queue writers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from booksync.db.engine import BUSY_TIMEOUT_MS, make_engine


def test_sqlite_connections_enable_what_the_guards_need(tmp_path: Path) -> None:
    """Foreign keys, recursive triggers and a trusted schema (the line guard reads a pragma)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'books.db'}")
    with engine.connect() as conn:
        settings = {
            name: conn.execute(text(f"PRAGMA {name}")).scalar_one()
            for name in ("foreign_keys", "recursive_triggers", "trusted_schema", "busy_timeout")
        }
    engine.dispose()
    # Writers wait ten minutes for each other: the longest write (a first sync
    # of a large bank, a big import) takes minutes, and failing it loses a run.
    assert settings == {
        "foreign_keys": 1, "recursive_triggers": 1, "trusted_schema": 1,
        "busy_timeout": BUSY_TIMEOUT_MS,
    }
    assert BUSY_TIMEOUT_MS >= 10 * 60 * 1000
