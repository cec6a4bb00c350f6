"""Posted books hold whatever the connection's settings, and so does what they rest on.

Revision ID: 0005
Revises: 0004

Migrations 0002 and 0004 hold as long as a SQLite connection turns on
``foreign_keys`` and ``recursive_triggers``, as booksync's own connections
do.  A plain ``sqlite3`` shell has both off: ``OR REPLACE`` then deletes the
row it collides with without firing any delete trigger, and nothing checks a
reference.  This revision closes that, and guards the rows posted books
depend on, on both databases (docs/ledger.md, "How immutability is
enforced"):

- SQLite: an insert or update that collides on any unique key with a posted
  entry, a booked statement line or its alias, or master data in use is
  refused before ``OR REPLACE`` can delete anything.
- SQLite: a line may refer to an entry that does not exist yet only while the
  connection checks foreign keys: the bulk path inserts posted lines ahead
  of their entry and relies on the deferred key to fail a commit whose entry
  never came, which a connection without foreign keys would not do.  The
  check reads ``pragma_foreign_keys``, a table-valued function that a
  connection with ``trusted_schema`` off refuses in triggers: such a
  connection can insert no line at all (refused, never let through).
- SQLite: posting checks that every line's account exists (a join used to
  drop lines whose account was missing).
- Both: a posted entry's journal and reversed entry exist in its company.
- Both: the numbering counter only moves forward, over numbers that posted
  entries of its journal and year hold, up to the last one; it is never
  deleted once used.
- Both: an account's type and company, a company's currency, a journal's
  company and code, a partner's company, and a currency's code and exponent
  cannot change while entries or lines use them; on SQLite such rows cannot
  be deleted either (PostgreSQL's foreign keys refuse that on any
  connection).
- Both: booked statement lines (their entry is posted) and their
  transaction ids (aliases), which the bank importer relies on to book each
  transaction exactly once, cannot be changed (except ``reconciled``) or
  deleted; PostgreSQL refuses ``TRUNCATE`` of them and of the counters.
"""

from __future__ import annotations

from typing import NamedTuple

from alembic import op

from booksync.db.migrations.earlier import revision_module, trigger

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

IMMUTABLE = "booksync: posted entries and lines cannot be changed or deleted"
NO_ENTRY = (
    "booksync: a line must belong to an existing entry "
    "(lines may come ahead of their entry only while foreign keys are checked)"
)
REFERENCES = "booksync: the journal and reversed entry of a posted entry must exist in its company"
NUMBERING = (
    "booksync: the numbering of a journal only moves forward, over numbers its posted entries hold"
)
BANK = "booksync: booked statement lines and their transaction ids cannot be changed or deleted"
NO_TRUNCATE = "booksync: the books cannot be truncated"


class Guarded(NamedTuple):
    """A table whose rows posted books rest on while ``in_use`` (``{o}``: the row).

    (A named tuple: Alembic loads migrations outside ``sys.modules``, where
    dataclasses cannot resolve their annotations.)
    """

    table: str
    noun: str
    keys: tuple[tuple[str, ...], ...]  # unique keys besides id and uid
    columns: tuple[str, ...]  # what may not change while in use
    in_use: str

    @property
    def message(self) -> str:
        changed = ", ".join(c for c in self.columns if c != "id")
        return (f"booksync: {self.noun} in use by the books cannot be deleted, "
                f"replaced, or have its {changed} changed")


# Index-backed where a check runs on every write; a scan of line only where the
# check runs on a rare statement (a collision, a delete, a change of the columns).
MASTER = [
    Guarded("company", "a company", (("name",),), ("id", "currency_code"),
            "EXISTS (SELECT 1 FROM entry WHERE entry.company_id = {o}.id)"),
    Guarded("account", "an account", (("company_id", "code"),), ("id", "type", "company_id"),
            "EXISTS (SELECT 1 FROM line WHERE line.account_id = {o}.id)"),
    Guarded("journal", "a journal", (("company_id", "code"),), ("id", "company_id", "code"),
            "EXISTS (SELECT 1 FROM entry WHERE entry.company_id = {o}.company_id "
            "AND entry.journal_id = {o}.id)"),
    Guarded("partner", "a partner", (("company_id", "name"),), ("id", "company_id"),
            "EXISTS (SELECT 1 FROM line WHERE line.partner_id = {o}.id)"),
    Guarded("currency", "a currency", (("code",),), ("id", "code", "exponent"),
            "(EXISTS (SELECT 1 FROM company WHERE company.currency_code = {o}.code) "
            "OR EXISTS (SELECT 1 FROM line WHERE line.currency_code = {o}.code))"),
]
_STATEMENT_COLUMNS = (
    "id", "uid", "created_at", "company_id", "journal_id", "provider_account_id", "sync_run_id",
    "entry_id", "date", "value_date", "transacted_at", "amount", "currency_code", "label",
    "partner_name", "counterparty_iban", "provider_transaction_id", "is_opening", "raw",
)
BANKING = [
    Guarded("statement_line", "a statement line", (), _STATEMENT_COLUMNS,
            "EXISTS (SELECT 1 FROM entry WHERE entry.id = {o}.entry_id "
            "AND entry.state = 'posted')"),
    Guarded("transaction_alias", "a transaction id",
            (("provider_account_id", "transaction_id"),),
            ("id", "uid", "created_at", "company_id", "provider_account_id",
             "statement_line_id", "transaction_id"),
            "EXISTS (SELECT 1 FROM statement_line JOIN entry ON entry.id = statement_line.entry_id"
            " WHERE statement_line.id = {o}.statement_line_id AND entry.state = 'posted')"),
]


def _message(guard: Guarded) -> str:
    return BANK if guard in BANKING else guard.message


def _collides(guard: Guarded, other: str) -> str:
    """``other`` row holds one of NEW's unique values (id, uid or another key)."""
    keys = [f"{other}.id = NEW.id", f"{other}.uid = NEW.uid"]
    keys += [" AND ".join(f"{other}.{c} = NEW.{c}" for c in key) for key in guard.keys]
    return " OR ".join(f"({k})" for k in keys)


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _sqlite_guard(guard: Guarded) -> list[str]:
    """Refuse replacing, changing or deleting a row in use, on any connection."""
    t, msg, in_use = guard.table, _message(guard), guard.in_use
    return [
        f"""CREATE TRIGGER {t}_insert_in_use BEFORE INSERT ON {t}
        WHEN EXISTS (SELECT 1 FROM {t} AS o WHERE ({_collides(guard, "o")})
                     AND {in_use.format(o="o")})
        BEGIN SELECT RAISE(ABORT, '{msg}'); END""",
        f"""CREATE TRIGGER {t}_update_in_use BEFORE UPDATE ON {t}
        WHEN (({_changed(guard.columns)}) AND {in_use.format(o="OLD")})
          OR EXISTS (SELECT 1 FROM {t} AS o WHERE o.id <> OLD.id
                     AND ({_collides(guard, "o")}) AND {in_use.format(o="o")})
        BEGIN SELECT RAISE(ABORT, '{msg}'); END""",
        f"""CREATE TRIGGER {t}_delete_in_use BEFORE DELETE ON {t}
        WHEN {in_use.format(o="OLD")}
        BEGIN SELECT RAISE(ABORT, '{msg}'); END""",
    ]


def _number(dialect: str, code: str, counter: str) -> str:
    """The number the writer gives ``counter`` in the journal ``code``: ``SAL/2026/00042``."""
    if dialect == "sqlite":
        return f"printf('%s/%d/%05d', {code}, NEW.year, {counter})"
    digits = f"CASE WHEN {counter} < 100000 THEN lpad(({counter})::text, 5, '0') " \
             f"ELSE ({counter})::text END"
    return f"{code} || '/' || NEW.year || '/' || {digits}"


def _counter_refused(dialect: str) -> str:
    """A counter update that goes back, skips, or moves a counter elsewhere.

    Posting writes the counter back once per transaction, after the entries
    it numbered: every number from the old value up to the new one is then
    held by a posted entry (one index lookup each), and the next is not.
    """
    if dialect == "sqlite":
        counters = ("(WITH RECURSIVE c(n) AS (SELECT OLD.last_number + 1 UNION ALL "
                    "SELECT n + 1 FROM c WHERE n < NEW.last_number) SELECT n FROM c) AS k")
    else:
        counters = "generate_series(OLD.last_number + 1, NEW.last_number) AS k(n)"
    held = f"""(SELECT count(*) FROM {counters}
          JOIN journal ON journal.id = NEW.journal_id
          JOIN entry ON entry.company_id = NEW.company_id
           AND entry.number = {_number(dialect, "journal.code", "k.n")}
           AND entry.state = 'posted')"""
    code = "(SELECT code FROM journal WHERE journal.id = NEW.journal_id)"
    return f"""NEW.id <> OLD.id OR NEW.company_id <> OLD.company_id
      OR NEW.journal_id <> OLD.journal_id OR NEW.year <> OLD.year
      OR NEW.last_number < OLD.last_number
      OR (NEW.last_number > OLD.last_number AND (
          NEW.last_number - OLD.last_number <> {held}
          OR EXISTS (SELECT 1 FROM entry WHERE entry.company_id = NEW.company_id
                     AND entry.number = {_number(dialect, code, "NEW.last_number + 1")}
                     AND entry.state = 'posted')))"""


# On SQLite, the writer's "create the counter unless it exists" is an INSERT
# ... ON CONFLICT DO NOTHING, and a BEFORE trigger cannot tell it from INSERT OR
# REPLACE: an insert of a fresh counter that already exists is skipped (what
# DO NOTHING does anyway); any other insert that meets an existing counter, or
# starts anywhere but zero, is refused.
SQLITE_SEQUENCE = [
    f"""CREATE TRIGGER sequence_insert_guard BEFORE INSERT ON sequence
    BEGIN
      SELECT RAISE(IGNORE)
      WHERE NEW.last_number = 0
        AND EXISTS (SELECT 1 FROM sequence WHERE journal_id = NEW.journal_id
                    AND year = NEW.year AND company_id = NEW.company_id)
        AND NOT EXISTS (SELECT 1 FROM sequence WHERE id = NEW.id
                        AND (journal_id <> NEW.journal_id OR year <> NEW.year));
      SELECT RAISE(ABORT, '{NUMBERING}')
      WHERE NEW.last_number <> 0
         OR EXISTS (SELECT 1 FROM sequence WHERE id = NEW.id
                    OR (journal_id = NEW.journal_id AND year = NEW.year));
    END""",
    f"""CREATE TRIGGER sequence_update_guard BEFORE UPDATE ON sequence
    WHEN {_counter_refused("sqlite")}
    BEGIN SELECT RAISE(ABORT, '{NUMBERING}'); END""",
    f"""CREATE TRIGGER sequence_delete_guard BEFORE DELETE ON sequence
    WHEN OLD.last_number > 0
    BEGIN SELECT RAISE(ABORT, '{NUMBERING}'); END""",
]

# A posted entry's journal or reversed entry is missing or of another company.
ELSEWHERE = """NOT EXISTS (SELECT 1 FROM journal WHERE id = NEW.journal_id
                      AND company_id = NEW.company_id)
          OR (NEW.reversal_of_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM entry WHERE id = NEW.reversal_of_id
                              AND company_id = NEW.company_id))"""

SQLITE_ENTRY = [
    # OR REPLACE must never reach a posted entry through number or reversal_of_id
    # (id and uid: migration 0002).
    f"""CREATE TRIGGER entry_insert_keys BEFORE INSERT ON entry
    WHEN EXISTS (SELECT 1 FROM entry WHERE company_id = NEW.company_id
                 AND number = NEW.number AND state = 'posted')
      OR EXISTS (SELECT 1 FROM entry WHERE reversal_of_id = NEW.reversal_of_id
                 AND state = 'posted')
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    f"""CREATE TRIGGER entry_update_keys BEFORE UPDATE OF company_id, number, reversal_of_id
    ON entry
    WHEN EXISTS (SELECT 1 FROM entry WHERE company_id = NEW.company_id
                 AND number = NEW.number AND state = 'posted' AND id <> OLD.id)
      OR EXISTS (SELECT 1 FROM entry WHERE reversal_of_id = NEW.reversal_of_id
                 AND state = 'posted' AND id <> OLD.id)
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
    *[
        f"""CREATE TRIGGER entry_{event}_references BEFORE {spec} ON entry
        WHEN NEW.state = 'posted' AND ({ELSEWHERE})
        BEGIN SELECT RAISE(ABORT, '{REFERENCES}'); END"""
        for event, spec in [("insert", "INSERT"), ("update", "UPDATE")]
    ],
    f"""CREATE TRIGGER line_insert_entry BEFORE INSERT ON line
    WHEN NOT EXISTS (SELECT 1 FROM entry WHERE id = NEW.entry_id)
      AND (SELECT foreign_keys FROM pragma_foreign_keys) = 0
    BEGIN SELECT RAISE(ABORT, '{NO_ENTRY}'); END""",
]
SQLITE_NEW = [
    *SQLITE_ENTRY,
    *SQLITE_SEQUENCE,
    *[sql for guard in MASTER + BANKING for sql in _sqlite_guard(guard)],
]


def _pg_guard(guard: Guarded) -> list[str]:
    """Refuse changing a row in use; foreign keys already refuse deleting master data."""
    t, msg = guard.table, _message(guard)
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in guard.columns)
    delete = "" if guard in MASTER else (
        f"IF TG_OP = 'DELETE' THEN IF {guard.in_use.format(o='OLD')} THEN "
        f"RAISE EXCEPTION '{msg}'; END IF; RETURN OLD; END IF;")
    events = "UPDATE" if guard in MASTER else "UPDATE OR DELETE"
    return [
        f"""CREATE FUNCTION booksync_{t}_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          {delete}
          IF ({changed}) AND {guard.in_use.format(o="OLD")} THEN
            RAISE EXCEPTION '{msg}';
          END IF;
          RETURN NEW;
        END $$""",
        f"""CREATE TRIGGER {t}_in_use BEFORE {events} ON {t}
        FOR EACH ROW EXECUTE FUNCTION booksync_{t}_in_use()""",
    ]


PG_SEQUENCE = [
    f"""CREATE FUNCTION booksync_sequence_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.last_number <> 0 THEN RAISE EXCEPTION '{NUMBERING}'; END IF;
        RETURN NEW;
      END IF;
      IF TG_OP = 'DELETE' THEN
        IF OLD.last_number > 0 THEN RAISE EXCEPTION '{NUMBERING}'; END IF;
        RETURN OLD;
      END IF;
      IF {_counter_refused("postgresql")} THEN RAISE EXCEPTION '{NUMBERING}'; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER sequence_guard BEFORE INSERT OR UPDATE OR DELETE ON sequence
    FOR EACH ROW EXECUTE FUNCTION booksync_sequence_guard()""",
    f"""CREATE FUNCTION booksync_no_truncate_books() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{NO_TRUNCATE}'; END $$""",
    *[
        f"""CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
        FOR EACH STATEMENT EXECUTE FUNCTION booksync_no_truncate_books()"""
        for t in ("sequence", "statement_line", "transaction_alias")
    ],
]
PG_ENTRY = [
    f"""CREATE FUNCTION booksync_entry_references() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF {ELSEWHERE} THEN RAISE EXCEPTION '{REFERENCES}'; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER entry_references BEFORE INSERT OR UPDATE ON entry
    FOR EACH ROW WHEN (NEW.state = 'posted') EXECUTE FUNCTION booksync_entry_references()""",
]
POSTGRESQL = [
    *PG_ENTRY, *PG_SEQUENCE, *[sql for guard in MASTER + BANKING for sql in _pg_guard(guard)],
]


def _posting_sees_missing_accounts() -> list[str]:
    """0002's and 0004's posting checks, with lines whose account is missing counted.

    They joined line to account, so a line whose account did not exist (a
    connection without foreign keys) dropped out of the check and was posted.
    """
    posting = trigger(revision_module("0002_posted_books_immutable.py").SQLITE, "entry_post")
    inserting = trigger(revision_module("0004_entries_born_posted.py").SQLITE, "entry_insert_check")
    old = "JOIN account ON account.id = line.account_id"
    new = "LEFT JOIN account ON account.id = line.account_id"
    foreign = "account.company_id <> NEW.company_id"
    missing = "account.company_id IS NOT NEW.company_id"
    fixed = [sql.replace(old, new).replace(foreign, missing) for sql in (posting, inserting)]
    assert all(new in sql and missing in sql for sql in fixed)
    return ["DROP TRIGGER entry_post", "DROP TRIGGER entry_insert_check", *fixed]


def _sqlite_names() -> list[str]:
    return [sql.split()[2] for sql in SQLITE_NEW]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for sql in [*_posting_sees_missing_accounts(), *SQLITE_NEW]:
            op.execute(sql)
        return
    for sql in POSTGRESQL:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _sqlite_names():
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TRIGGER entry_post")
        op.execute("DROP TRIGGER entry_insert_check")
        op.execute(trigger(revision_module("0002_posted_books_immutable.py").SQLITE, "entry_post"))
        op.execute(trigger(revision_module("0004_entries_born_posted.py").SQLITE,
                            "entry_insert_check"))
        return
    for sql in POSTGRESQL:
        if sql.startswith("CREATE TRIGGER"):
            name, table = sql.split()[2], sql.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER {name} ON {table}")
    for sql in POSTGRESQL:
        if sql.startswith("CREATE FUNCTION"):
            op.execute(f"DROP FUNCTION {sql.split()[2].split('(')[0]}()")
