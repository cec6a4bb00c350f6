"""Entries may be inserted already posted, after their posted lines.

Revision ID: 0004
Revises: 0003

Posting a draft rewrites every line (to mark it posted) and the entry (to
number it), which made posting half of a bulk import's database time.  A
bulk writer now inserts the lines first, already posted, and then their
entry, posted and numbered, so each row is written once.  The rules of
migration 0002 stay whole; they are only restated for this order:

- A line may be inserted for an entry that does not exist yet (the foreign
  key waits for the commit, which fails if the entry never comes).  A line
  for an existing entry is refused if the entry is posted, or if the line
  says it is posted: posted lines only ever arrive ahead of their entry.
- An entry inserted as posted must find its lines already there, all
  posted, balanced and of its company.  An entry inserted as a draft must
  find no lines waiting for it.
- Posting a draft by an update works as before.

The foreign key from a line to its entry becomes deferrable on PostgreSQL
(still checked at once unless a transaction defers it); SQLite defers every
foreign key of a transaction with ``PRAGMA defer_foreign_keys``.  While such
checks wait, each new entry makes SQLite look for the rows that refer to it
in every referring table, so ``statement_line.entry_id`` gets the index the
others have (without it, a first bank sync of 100,000 transactions took
minutes instead of seconds).
"""

from __future__ import annotations

from types import ModuleType

from alembic import op

from booksync.db.migrations.earlier import revision_module, trigger

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

IMMUTABLE = "booksync: posted entries and lines cannot be changed or deleted"
UNBALANCED = "booksync: entry is not balanced or has no lines"
FOREIGN = "booksync: entry lines must belong to the company of their entry"
DRAFT_LINES = "booksync: a posted entry cannot have draft lines"
WAITING_LINES = "booksync: lines inserted ahead of an entry must be posted with it"

SQLITE = [
    "DROP TRIGGER entry_insert_draft",
    "DROP TRIGGER line_insert_guard",
    # One pass over the entry's lines: how many, the balance (sum, not total:
    # exact integers), and any that are drafts or belong elsewhere.
    f"""CREATE TRIGGER entry_insert_check BEFORE INSERT ON entry
    BEGIN
      SELECT RAISE(ABORT, '{WAITING_LINES}')
      WHERE NEW.state <> 'posted' AND EXISTS (SELECT 1 FROM line WHERE entry_id = NEW.id);
      SELECT CASE
        WHEN n = 0 OR difference <> 0 THEN RAISE(ABORT, '{UNBALANCED}')
        WHEN drafts > 0 THEN RAISE(ABORT, '{DRAFT_LINES}')
        WHEN foreign_lines > 0 THEN RAISE(ABORT, '{FOREIGN}')
      END
      FROM (
        SELECT count(*) AS n,
               sum(line.debit) - sum(line.credit) AS difference,
               sum(line.posted = 0) AS drafts,
               sum(line.company_id <> NEW.company_id
                   OR account.company_id <> NEW.company_id) AS foreign_lines
        FROM line JOIN account ON account.id = line.account_id
        WHERE line.entry_id = NEW.id)
      WHERE NEW.state = 'posted';
    END""",
    f"""CREATE TRIGGER line_insert_guard BEFORE INSERT ON line
    WHEN COALESCE(
        (SELECT NEW.posted <> 0 OR state = 'posted' FROM entry WHERE id = NEW.entry_id), 0)
      OR EXISTS (SELECT 1 FROM line WHERE (id = NEW.id OR uid = NEW.uid) AND posted <> 0)
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
]

# The checks a posted entry's lines must pass, shared by both ways of posting.
# ``inserted``: the entry arrives posted, so its lines must already be posted;
# otherwise a draft is being posted and its lines are drafts still.
PG_CHECK_LINES = f"""CREATE FUNCTION booksync_check_lines(
      entry integer, company integer, inserted boolean) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE n bigint; difference numeric; drafts bigint; foreign_lines bigint;
    BEGIN
      SELECT count(*), coalesce(sum(line.debit), 0) - coalesce(sum(line.credit), 0),
             count(*) FILTER (WHERE NOT line.posted),
             count(*) FILTER (WHERE line.company_id <> company OR account.company_id <> company)
        INTO n, difference, drafts, foreign_lines
        FROM line JOIN account ON account.id = line.account_id
        WHERE line.entry_id = entry;
      IF n = 0 OR difference <> 0 THEN RAISE EXCEPTION '{UNBALANCED}'; END IF;
      IF inserted AND drafts > 0 THEN RAISE EXCEPTION '{DRAFT_LINES}'; END IF;
      IF foreign_lines > 0 THEN RAISE EXCEPTION '{FOREIGN}'; END IF;
    END $$"""

PG_ENTRY_GUARD = f"""CREATE OR REPLACE FUNCTION booksync_entry_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.state = 'posted' THEN
          PERFORM booksync_check_lines(NEW.id, NEW.company_id, true);
        ELSIF EXISTS (SELECT 1 FROM line WHERE entry_id = NEW.id) THEN
          RAISE EXCEPTION '{WAITING_LINES}';
        END IF;
        RETURN NEW;
      END IF;
      IF OLD.state = 'posted' THEN RAISE EXCEPTION '{IMMUTABLE}'; END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$"""

PG_ENTRY_POST = """CREATE OR REPLACE FUNCTION booksync_entry_post() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM booksync_check_lines(NEW.id, NEW.company_id, false);
      UPDATE line SET posted = true WHERE entry_id = NEW.id;
      RETURN NULL;
    END $$"""

PG_LINE_GUARD = f"""CREATE OR REPLACE FUNCTION booksync_line_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE target_state text;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.posted THEN RAISE EXCEPTION '{IMMUTABLE}'; END IF;
        RETURN OLD;
      END IF;
      SELECT state INTO target_state FROM entry WHERE id = NEW.entry_id;
      IF TG_OP = 'INSERT' THEN
        IF target_state = 'posted' OR (NEW.posted AND target_state IS NOT NULL) THEN
          RAISE EXCEPTION '{IMMUTABLE}';
        END IF;
        RETURN NEW;
      END IF;
      IF OLD.posted
         OR (NEW.posted AND target_state <> 'posted')
         OR (NEW.entry_id <> OLD.entry_id AND target_state = 'posted') THEN
        RAISE EXCEPTION '{IMMUTABLE}';
      END IF;
      RETURN NEW;
    END $$"""

POSTGRESQL = [
    "ALTER TABLE line ALTER CONSTRAINT fk_line_entry_id_entry DEFERRABLE INITIALLY IMMEDIATE",
    PG_CHECK_LINES,
    PG_ENTRY_GUARD,
    PG_ENTRY_POST,
    PG_LINE_GUARD,
]


def upgrade() -> None:
    statements = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL
    for sql in statements:
        op.execute(sql)
    op.create_index("ix_statement_line_entry_id", "statement_line", ["entry_id"])


def _revision_0002() -> ModuleType:
    """Migration 0002's module, whose statements the downgrade puts back."""
    return revision_module("0002_posted_books_immutable.py")


def downgrade() -> None:
    """Back to migration 0002's rules: entries are inserted as drafts only."""
    op.drop_index("ix_statement_line_entry_id", "statement_line")
    before = _revision_0002()
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER entry_insert_check")
        op.execute("DROP TRIGGER line_insert_guard")
        op.execute(trigger(before.SQLITE, "entry_insert_draft"))
        op.execute(trigger(before.SQLITE, "line_insert_guard"))
        return
    op.execute("ALTER TABLE line ALTER CONSTRAINT fk_line_entry_id_entry NOT DEFERRABLE")
    for sql in before.POSTGRESQL:
        if sql.startswith("CREATE FUNCTION booksync_") and "no_truncate" not in sql:
            op.execute(sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute("DROP FUNCTION booksync_check_lines(integer, integer, boolean)")
