"""SQLite: a bulk insert reads the connection's foreign-key setting once per batch, not per line.

Revision ID: 0011
Revises: 0010

Migration 0005 refuses a line whose entry does not exist yet unless the
connection checks foreign keys, and reads ``pragma_foreign_keys`` to know:
a table-valued function that SQLite prepares anew (parses and compiles a
``PRAGMA`` statement) on every call.  The bulk path inserts every posted line
ahead of its entry, so that was one call per line, about a sixth of the
database's work in a bulk import (docs/ledger.md, "How immutability is
enforced").  The same guarantees now cost less:

- A posted line whose entry does not exist can only be there inside a
  transaction of a connection that checks foreign keys: the first one is
  refused anywhere else, and such a transaction cannot commit until the
  entry came (the key waits for the commit); ``PRAGMA foreign_keys`` changes
  nothing inside a transaction.  So a new line whose entry is missing is
  let through without reading the setting when a posted line is already
  waiting for the same entry, or for the entry with the id just before it
  (the writer numbers a batch's entries in a row); otherwise the setting is
  read as before.  A bulk insert reads it once per statement's first entry
  at most, instead of once per line.
- That rests on posted lines never waiting for an entry in committed books,
  which an ``UPDATE`` could break on a connection without foreign keys: a
  draft line moved to an entry that does not exist, then marked posted
  (``NULL <> 'posted'`` is not true, so 0002's guard let it through).  A
  line can no longer be marked posted unless its entry is there and posted,
  nor be moved to a missing entry unless foreign keys are checked.
- The two insert checks of a line (0004's guard and 0005's) are one
  trigger, which looks the entry up once.

PostgreSQL always checks foreign keys and has nothing of this: unchanged.
"""

from __future__ import annotations

from alembic import op

from booksync.db.migrations.earlier import revision_module, trigger

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

IMMUTABLE = "booksync: posted entries and lines cannot be changed or deleted"
NO_ENTRY = (
    "booksync: a line must belong to an existing entry "
    "(lines may come ahead of their entry only while foreign keys are checked)"
)
# A posted line of this id or uid is already there (OR REPLACE would delete it).
COLLIDES = "EXISTS (SELECT 1 FROM line WHERE (id = NEW.id OR uid = NEW.uid) AND posted <> 0)"
# True when the line is refused: the entry's own verdict if the entry exists; if it
# does not, a posted line waiting already proves foreign keys are on (see above);
# only then is the setting read.
REFUSED = f"""COALESCE(
        (SELECT NEW.posted <> 0 OR state = 'posted' FROM entry WHERE id = NEW.entry_id),
        (SELECT 0 FROM line WHERE entry_id = NEW.entry_id AND posted <> 0),
        (SELECT 0 FROM line WHERE entry_id = NEW.entry_id - 1 AND posted <> 0
           AND NOT EXISTS (SELECT 1 FROM entry WHERE id = NEW.entry_id - 1)),
        (SELECT foreign_keys FROM pragma_foreign_keys) = 0)
      OR {COLLIDES}"""

SQLITE = [
    "DROP TRIGGER line_insert_guard",
    "DROP TRIGGER line_insert_entry",
    "DROP TRIGGER line_update_guard",
    f"""CREATE TRIGGER line_insert_guard BEFORE INSERT ON line
    WHEN {REFUSED}
    BEGIN
      SELECT RAISE(ABORT, '{NO_ENTRY}')
      WHERE NOT EXISTS (SELECT 1 FROM entry WHERE id = NEW.entry_id) AND NOT {COLLIDES};
      SELECT RAISE(ABORT, '{IMMUTABLE}');
    END""",
    f"""CREATE TRIGGER line_update_guard BEFORE UPDATE ON line
    WHEN OLD.posted <> 0
      OR (NEW.posted <> 0 AND (SELECT state FROM entry WHERE id = NEW.entry_id) IS NOT 'posted')
      OR (NEW.entry_id <> OLD.entry_id
          AND (SELECT state FROM entry WHERE id = NEW.entry_id) = 'posted')
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER line_update_entry BEFORE UPDATE OF entry_id ON line
    WHEN NEW.entry_id IS NOT OLD.entry_id
      AND NOT EXISTS (SELECT 1 FROM entry WHERE id = NEW.entry_id)
      AND (SELECT foreign_keys FROM pragma_foreign_keys) = 0
    BEGIN SELECT RAISE(ABORT, '{NO_ENTRY}'); END""",
]


def _in_one_transaction() -> None:
    """Open the migration's transaction before the first trigger is dropped.

    Python's ``sqlite3`` begins a transaction before a data statement, never
    before a schema statement, which it runs on its own and commits at once:
    a run that went on to fail (a later revision refusing to go down) would
    leave these triggers changed under the old revision number.
    """
    driver = op.get_bind().connection.driver_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _in_one_transaction()
    for sql in SQLITE:
        op.execute(sql)


def downgrade() -> None:
    """Back to 0005's two insert checks and 0002's update guard."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _in_one_transaction()
    for name in ("line_insert_guard", "line_update_guard", "line_update_entry"):
        op.execute(f"DROP TRIGGER {name}")
    op.execute(trigger(revision_module("0004_entries_born_posted.py").SQLITE, "line_insert_guard"))
    op.execute(trigger(revision_module("0005_posted_books_any_connection.py").SQLITE_ENTRY,
                       "line_insert_entry"))
    op.execute(trigger(revision_module("0002_posted_books_immutable.py").SQLITE,
                       "line_update_guard"))
