"""Posted books are immutable, enforced by the database itself.

Revision ID: 0002
Revises: 0001

docs/ledger.md, "How immutability is enforced": the services refuse to change
posted entries, and these triggers refuse it again so that no code path, raw
SQL included, can.

- On SQLite, ``INSERT OR REPLACE`` and ``UPDATE OR REPLACE`` delete the row
  they collide with without firing delete triggers (unless the connection
  turned on ``recursive_triggers``, as booksync's engine does), so the guards
  also refuse any insert that collides with a posted row and any change of an
  ``id`` or ``uid``: identities never change.
- An entry is inserted as a draft; posting it (draft -> posted) checks that
  its lines balance and belong to its company, then marks the lines posted.
- A posted entry, and a posted line, can be neither updated nor deleted; no
  line can be added to a posted entry; TRUNCATE is refused on PostgreSQL.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

IMMUTABLE = "booksync: posted entries and lines cannot be changed or deleted"
UNBALANCED = "booksync: entry is not balanced or has no lines"
FOREIGN = "booksync: entry lines must belong to the company of their entry"
DRAFT_ONLY = "booksync: entries are inserted as drafts and posted afterwards"

SQLITE = [
    f"""CREATE TRIGGER entry_insert_draft BEFORE INSERT ON entry
    WHEN NEW.state <> 'draft'
    BEGIN SELECT RAISE(ABORT, '{DRAFT_ONLY}'); END""",
    f"""CREATE TRIGGER entry_insert_collision BEFORE INSERT ON entry
    WHEN EXISTS (SELECT 1 FROM entry WHERE (id = NEW.id OR uid = NEW.uid) AND state = 'posted')
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER entry_identity BEFORE UPDATE OF id, uid ON entry
    WHEN NEW.id <> OLD.id OR NEW.uid <> OLD.uid
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER entry_posted_no_update BEFORE UPDATE ON entry
    WHEN OLD.state = 'posted'
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER entry_posted_no_delete BEFORE DELETE ON entry
    WHEN OLD.state = 'posted'
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER entry_post AFTER UPDATE OF state ON entry
    WHEN NEW.state = 'posted'
    BEGIN
      SELECT RAISE(ABORT, '{UNBALANCED}')
      WHERE NOT EXISTS (SELECT 1 FROM line WHERE entry_id = NEW.id)
         OR (SELECT SUM(debit) - SUM(credit) FROM line WHERE entry_id = NEW.id) <> 0;
      SELECT RAISE(ABORT, '{FOREIGN}')
      WHERE EXISTS (
        SELECT 1 FROM line JOIN account ON account.id = line.account_id
        WHERE line.entry_id = NEW.id
          AND (line.company_id <> NEW.company_id OR account.company_id <> NEW.company_id));
      UPDATE line SET posted = 1 WHERE entry_id = NEW.id;
    END""",
    f"""CREATE TRIGGER line_insert_guard BEFORE INSERT ON line
    WHEN NEW.posted <> 0
      OR (SELECT state FROM entry WHERE id = NEW.entry_id) = 'posted'
      OR EXISTS (SELECT 1 FROM line WHERE (id = NEW.id OR uid = NEW.uid) AND posted <> 0)
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER line_identity BEFORE UPDATE OF id, uid ON line
    WHEN NEW.id <> OLD.id OR NEW.uid <> OLD.uid
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER line_update_guard BEFORE UPDATE ON line
    WHEN OLD.posted <> 0
      OR (NEW.posted <> 0 AND (SELECT state FROM entry WHERE id = NEW.entry_id) <> 'posted')
      OR (NEW.entry_id <> OLD.entry_id
          AND (SELECT state FROM entry WHERE id = NEW.entry_id) = 'posted')
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER line_delete_guard BEFORE DELETE ON line
    WHEN OLD.posted <> 0
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
]

POSTGRESQL = [
    f"""CREATE FUNCTION booksync_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'draft' THEN RAISE EXCEPTION '{DRAFT_ONLY}'; END IF;
        RETURN NEW;
      END IF;
      IF OLD.state = 'posted' THEN RAISE EXCEPTION '{IMMUTABLE}'; END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER entry_guard BEFORE INSERT OR UPDATE OR DELETE ON entry
    FOR EACH ROW EXECUTE FUNCTION booksync_entry_guard()""",
    f"""CREATE FUNCTION booksync_entry_post() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM line WHERE entry_id = NEW.id)
         OR (SELECT SUM(debit) - SUM(credit) FROM line WHERE entry_id = NEW.id) <> 0 THEN
        RAISE EXCEPTION '{UNBALANCED}';
      END IF;
      IF EXISTS (
        SELECT 1 FROM line JOIN account ON account.id = line.account_id
        WHERE line.entry_id = NEW.id
          AND (line.company_id <> NEW.company_id OR account.company_id <> NEW.company_id)) THEN
        RAISE EXCEPTION '{FOREIGN}';
      END IF;
      UPDATE line SET posted = true WHERE entry_id = NEW.id;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER entry_post AFTER UPDATE OF state ON entry
    FOR EACH ROW WHEN (NEW.state = 'posted' AND OLD.state <> 'posted')
    EXECUTE FUNCTION booksync_entry_post()""",
    f"""CREATE FUNCTION booksync_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE target_state text;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF OLD.posted THEN RAISE EXCEPTION '{IMMUTABLE}'; END IF;
        RETURN OLD;
      END IF;
      SELECT state INTO target_state FROM entry WHERE id = NEW.entry_id;
      IF TG_OP = 'INSERT' THEN
        IF NEW.posted OR target_state = 'posted' THEN RAISE EXCEPTION '{IMMUTABLE}'; END IF;
        RETURN NEW;
      END IF;
      IF OLD.posted
         OR (NEW.posted AND target_state <> 'posted')
         OR (NEW.entry_id <> OLD.entry_id AND target_state = 'posted') THEN
        RAISE EXCEPTION '{IMMUTABLE}';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER line_guard BEFORE INSERT OR UPDATE OR DELETE ON line
    FOR EACH ROW EXECUTE FUNCTION booksync_line_guard()""",
    f"""CREATE FUNCTION booksync_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{IMMUTABLE}'; END $$""",
    """CREATE TRIGGER line_no_truncate BEFORE TRUNCATE ON line
    FOR EACH STATEMENT EXECUTE FUNCTION booksync_no_truncate()""",
    """CREATE TRIGGER entry_no_truncate BEFORE TRUNCATE ON entry
    FOR EACH STATEMENT EXECUTE FUNCTION booksync_no_truncate()""",
]

SQLITE_DROP = [
    "entry_insert_draft",
    "entry_insert_collision",
    "entry_identity",
    "line_identity",
    "entry_posted_no_update",
    "entry_posted_no_delete",
    "entry_post",
    "line_insert_guard",
    "line_update_guard",
    "line_delete_guard",
]


def upgrade() -> None:
    statements = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL
    for sql in statements:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_DROP:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for table, trigger in [
        ("entry", "entry_guard"),
        ("entry", "entry_post"),
        ("line", "line_guard"),
        ("line", "line_no_truncate"),
        ("entry", "entry_no_truncate"),
    ]:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for fn in ["booksync_entry_guard", "booksync_entry_post", "booksync_line_guard",
               "booksync_no_truncate"]:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
