"""booksync's own SQLite connections turn on what the database's guards rely on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from booksync.db.engine import make_engine


def test_sqlite_connections_enable_what_the_guards_need(tmp_path: Path) -> None:
    """Foreign keys, recursive triggers and a trusted schema (the line guard reads a pragma)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'books.db'}")
    with engine.connect() as conn:
        settings = {
            name: conn.execute(text(f"PRAGMA {name}")).scalar_one()
            for name in ("foreign_keys", "recursive_triggers", "trusted_schema")
        }
    engine.dispose()
    assert settings == {"foreign_keys": 1, "recursive_triggers": 1, "trusted_schema": 1}
