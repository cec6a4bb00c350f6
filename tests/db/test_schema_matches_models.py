"""The migrations build exactly the schema the models declare, on both databases.

Several changes add tables and columns at once; a column in a model but not
in its migration (or the other way round) would only show on a user's
upgraded database.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from booksync.db.models import metadata


def _deferred_line_key(difference: object) -> bool:
    """Migration 0004 makes a line's key to its entry deferrable on PostgreSQL (posted
    lines arrive before their entry, docs/ledger.md); the model states the plain key."""
    if not isinstance(difference, tuple) or difference[0] not in ("add_fk", "remove_fk"):
        return False
    key = difference[1]
    return key.parent.name == "line" and [c.name for c in key.columns] == ["entry_id"]


def test_the_migrated_schema_is_the_models_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert [d for d in differences if not _deferred_line_key(d)] == []
