"""Statement lines come from a statement source: a connection, a file, or a hand.

Revision ID: 0007
Revises: 0006

Until now statement lines, their transaction ids (aliases) and the
exactly-once rules were keyed on the provider account, so a bank journal
could only book what an online connection fetched.  This revision adds the
``statement_source`` table (docs/banking.md, "Statement sources"): each line
belongs to one source of its journal, ``online`` (one per provider account),
``file`` or ``manual`` (at most one per journal), and aliases are unique per
source.

- Every existing provider account gets its ``online`` source (its journal, or
  the journal of its lines if it has none), and its lines and aliases move
  onto it; a line without a provider account (none are written so, but the
  column allowed it) goes to its journal's ``manual`` source.
- ``statement_line`` gains ``source_id`` (NOT NULL once filled),
  ``partner_id`` (the partner known when the line was made) and
  ``reference`` (the bank's structured or remittance reference);
  ``provider_account_id`` stays, as information.
- ``transaction_alias`` is unique on ``(source_id, transaction_id)`` instead
  of ``(provider_account_id, transaction_id)``, and loses
  ``provider_account_id``: a source stands for exactly one provider account,
  so the old uniqueness carries over unchanged.
- Migration 0005's guards of booked statement lines and aliases (no change
  but ``reconciled``, no delete, no ``OR REPLACE`` collision on a unique key)
  are rebuilt from 0005's own builders for the new columns and key, and a
  source with booked lines is guarded the same way: its journal, kind and
  provider account cannot change, nor can it be deleted, since the aliases
  that book each transaction once are keyed on it (docs/ledger.md, "How
  immutability is enforced").

On SQLite ``statement_line`` and ``transaction_alias`` are rebuilt (new NOT
NULL and foreign key columns need a new table).  The drop of the old
``statement_line`` would find the aliases still pointing at it, and
booksync's connections check foreign keys, so the aliases are set aside in a
temporary table for the rebuild and put back with their ids.

Downgrade puts 0006's tables and 0005's guards back.  It refuses while a
transaction id belongs to a source without a provider account (a statement
file's), which 0006 has no place for; lines entered by hand go back as lines
without a provider account.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic import op

from booksync.db.base import utcnow
from booksync.db.migrations.earlier import revision_module
from booksync.db.uuid7 import uuid7

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

GUARDS_0005 = "0005_posted_books_any_connection.py"
SOURCE = "booksync: the source of booked statement lines cannot be changed or deleted"
MANUAL_NAME = "Entered by hand"  # booksync.statements.sources names a manual source so too
MANUAL_ONLY = "kind = 'manual'"
STASH = "booksync_alias_stash"
ALIAS_COLUMNS = "id, uid, version, created_at, company_id, statement_line_id, transaction_id"


# -- the guards ---------------------------------------------------------------------------


def _guards(m5: ModuleType) -> list[Any]:
    """0005's bank guards for the new columns and key, and the source's own guard."""
    line, alias = m5.BANKING
    source = m5.Guarded(
        "statement_source",
        "a statement source",
        (("provider_account_id",),),
        ("id", "uid", "created_at", "company_id", "journal_id", "kind", "provider_account_id"),
        "EXISTS (SELECT 1 FROM statement_line JOIN entry ON entry.id = statement_line.entry_id"
        " WHERE statement_line.source_id = {o}.id AND entry.state = 'posted')",
    )
    return [
        line._replace(columns=(*line.columns, "source_id", "partner_id", "reference")),
        alias._replace(
            keys=(("source_id", "transaction_id"),),
            columns=tuple("source_id" if c == "provider_account_id" else c for c in alias.columns),
        ),
        source,
    ]


def _message(m5: ModuleType, guard: Any) -> str:
    return SOURCE if guard.table == "statement_source" else m5.BANK


def _sqlite_guards(m5: ModuleType) -> list[str]:
    """0005's SQLite triggers for the new guards, with 0005's bank message.

    A source's unique keys are its id, uid and provider account, and the
    partial index of a journal's one manual source, whose collision
    ``_collides`` (full keys only) cannot state: it is added to the check.
    """
    out: list[str] = []
    for guard in _guards(m5):
        statements = [
            sql.replace(guard.message, _message(m5, guard)) for sql in m5._sqlite_guard(guard)
        ]
        if guard.table == "statement_source":
            keys = m5._collides(guard, "o")
            manual = (
                f"{keys} OR (o.journal_id = NEW.journal_id AND o.kind = 'manual' "
                "AND NEW.kind = 'manual')"
            )
            assert all(keys in sql for sql in statements[:2])
            statements = [sql.replace(keys, manual) for sql in statements]
        out += statements
    return out


def _pg_guards(m5: ModuleType) -> list[str]:
    guards = [
        sql.replace(guard.message, _message(m5, guard))
        for guard in _guards(m5)
        for sql in m5._pg_guard(guard)
    ]
    return [
        *guards,
        """CREATE TRIGGER statement_source_no_truncate BEFORE TRUNCATE ON statement_source
        FOR EACH STATEMENT EXECUTE FUNCTION booksync_no_truncate_books()""",
    ]


def _old_guards(m5: ModuleType, sqlite: bool) -> list[str]:
    """0005's guards of ``statement_line`` and ``transaction_alias``, as 0005 made them."""
    if sqlite:
        return [sql for guard in m5.BANKING for sql in m5._sqlite_guard(guard)]
    return [sql for guard in m5.BANKING for sql in m5._pg_guard(guard)]


def _drops(statements: list[str]) -> list[str]:
    """What removes ``statements``' triggers, then their functions."""
    drops = []
    for sql in statements:
        if sql.startswith("CREATE TRIGGER"):
            words = sql.split()
            on = f" ON {sql.split(' ON ')[1].split()[0]}" if "EXECUTE FUNCTION" in sql else ""
            drops.append(f"DROP TRIGGER {words[2]}{on}")
    for sql in statements:
        if sql.startswith("CREATE FUNCTION"):
            drops.append(f"DROP FUNCTION {sql.split()[2].split('(')[0]}()")
    return drops


# -- sources --------------------------------------------------------------------------------


def _create_sources() -> None:
    op.create_table(
        "statement_source",
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("provider_account_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('online', 'file', 'manual')", name=op.f("ck_statement_source_kind")
        ),
        sa.CheckConstraint(
            "(kind = 'online' AND provider_account_id IS NOT NULL) "
            "OR (kind <> 'online' AND provider_account_id IS NULL)",
            name=op.f("ck_statement_source_online_account"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_statement_source_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name=op.f("fk_statement_source_journal_id_journal")
        ),
        sa.ForeignKeyConstraint(
            ["provider_account_id"],
            ["provider_account.id"],
            name=op.f("fk_statement_source_provider_account_id_provider_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_source")),
        sa.UniqueConstraint(
            "provider_account_id", name=op.f("uq_statement_source_provider_account_id")
        ),
        sa.UniqueConstraint("uid", name=op.f("uq_statement_source_uid")),
    )
    op.create_index(op.f("ix_statement_source_company_id"), "statement_source", ["company_id"])
    op.create_index(op.f("ix_statement_source_journal_id"), "statement_source", ["journal_id"])
    op.create_index(
        "uq_statement_source_manual",
        "statement_source",
        ["journal_id"],
        unique=True,
        sqlite_where=sa.text(MANUAL_ONLY),
        postgresql_where=sa.text(MANUAL_ONLY),
    )


def _fill_sources(bind: sa.Connection) -> None:
    """An online source per provider account that has a journal or lines; a manual one
    per journal holding lines without a provider account."""
    accounts = bind.execute(
        sa.text(
            "SELECT pa.id, pa.company_id, COALESCE(pa.journal_id, (SELECT MIN(l.journal_id) "
            "FROM statement_line l WHERE l.provider_account_id = pa.id)), pa.name "
            "FROM provider_account pa ORDER BY pa.id"
        )
    ).all()
    manual = bind.execute(
        sa.text(
            "SELECT DISTINCT company_id, journal_id FROM statement_line "
            "WHERE provider_account_id IS NULL ORDER BY journal_id"
        )
    ).all()
    rows = [
        {"company_id": c, "journal_id": j, "kind": "online", "provider_account_id": a, "name": n}
        for a, c, j, n in accounts
        if j is not None
    ]
    rows += [
        {
            "company_id": c,
            "journal_id": j,
            "kind": "manual",
            "provider_account_id": None,
            "name": MANUAL_NAME,
        }
        for c, j in manual
    ]
    if not rows:
        return
    table = sa.table(
        "statement_source",
        *(
            sa.column(c)
            for c in ("company_id", "journal_id", "kind", "provider_account_id", "name", "version")
        ),
        sa.column("uid", sa.Uuid()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = utcnow()
    bind.execute(
        sa.insert(table), [{**r, "uid": uuid7(), "version": 1, "created_at": now} for r in rows]
    )


# -- upgrade ---------------------------------------------------------------------------------


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    m5 = revision_module(GUARDS_0005)
    for sql in _drops(_old_guards(m5, sqlite)):
        op.execute(sql)
    _create_sources()
    _fill_sources(bind)

    op.add_column("statement_line", sa.Column("source_id", sa.Integer(), nullable=True))
    op.add_column("statement_line", sa.Column("partner_id", sa.Integer(), nullable=True))
    op.add_column("statement_line", sa.Column("reference", sa.String(length=500), nullable=True))
    op.execute(
        "UPDATE statement_line SET source_id = (SELECT s.id FROM statement_source s "
        "WHERE s.provider_account_id = statement_line.provider_account_id) "
        "WHERE provider_account_id IS NOT NULL"
    )
    op.execute(
        "UPDATE statement_line SET source_id = (SELECT s.id FROM statement_source s "
        "WHERE s.journal_id = statement_line.journal_id AND s.kind = 'manual') "
        "WHERE source_id IS NULL"
    )
    op.add_column("transaction_alias", sa.Column("source_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE transaction_alias SET source_id = (SELECT s.id FROM statement_source s "
        "WHERE s.provider_account_id = transaction_alias.provider_account_id)"
    )
    if sqlite:
        op.execute(
            f"CREATE TEMP TABLE {STASH} AS SELECT {ALIAS_COLUMNS}, source_id FROM transaction_alias"
        )
        op.execute("DELETE FROM transaction_alias")

    with op.batch_alter_table("statement_line") as batch:
        batch.alter_column("source_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_statement_line_source_id_statement_source"),
            "statement_source",
            ["source_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_statement_line_partner_id_partner"), "partner", ["partner_id"], ["id"]
        )
        batch.drop_index("ix_statement_line_account_date")
        batch.create_index("ix_statement_line_source_date", ["source_id", "date"])
    with op.batch_alter_table("transaction_alias") as batch:
        batch.drop_constraint(op.f("uq_transaction_alias_provider_account_id"), type_="unique")
        batch.drop_constraint(
            op.f("fk_transaction_alias_provider_account_id_provider_account"), type_="foreignkey"
        )
        batch.drop_column("provider_account_id")
        batch.alter_column("source_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_transaction_alias_source_id_statement_source"),
            "statement_source",
            ["source_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            op.f("uq_transaction_alias_source_id"), ["source_id", "transaction_id"]
        )
    if sqlite:
        op.execute(
            f"INSERT INTO transaction_alias ({ALIAS_COLUMNS}, source_id) "
            f"SELECT {ALIAS_COLUMNS}, source_id FROM {STASH}"
        )
        op.execute(f"DROP TABLE {STASH}")

    for sql in _sqlite_guards(m5) if sqlite else _pg_guards(m5):
        op.execute(sql)


# -- downgrade -------------------------------------------------------------------------------


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    m5 = revision_module(GUARDS_0005)
    unplaced = bind.execute(
        sa.text(
            "SELECT COUNT(*) FROM transaction_alias a JOIN statement_source s "
            "ON s.id = a.source_id WHERE s.provider_account_id IS NULL"
        )
    ).scalar_one()
    if unplaced:
        raise RuntimeError(
            f"booksync: cannot go back before revision 0007: {unplaced} transaction ids belong "
            "to statement sources without a provider account, which 0006 cannot hold"
        )
    for sql in _drops(_sqlite_guards(m5) if sqlite else _pg_guards(m5)):
        op.execute(sql)

    op.add_column(
        "transaction_alias", sa.Column("provider_account_id", sa.Integer(), nullable=True)
    )
    op.execute(
        "UPDATE transaction_alias SET provider_account_id = (SELECT s.provider_account_id "
        "FROM statement_source s WHERE s.id = transaction_alias.source_id)"
    )
    if sqlite:
        op.execute(
            f"CREATE TEMP TABLE {STASH} AS SELECT {ALIAS_COLUMNS}, provider_account_id "
            "FROM transaction_alias"
        )
        op.execute("DELETE FROM transaction_alias")

    with op.batch_alter_table("statement_line") as batch:
        batch.drop_index("ix_statement_line_source_date")
        batch.create_index("ix_statement_line_account_date", ["provider_account_id", "date"])
        batch.drop_constraint(op.f("fk_statement_line_partner_id_partner"), type_="foreignkey")
        batch.drop_constraint(
            op.f("fk_statement_line_source_id_statement_source"), type_="foreignkey"
        )
        batch.drop_column("reference")
        batch.drop_column("partner_id")
        batch.drop_column("source_id")
    with op.batch_alter_table("transaction_alias") as batch:
        batch.drop_constraint(op.f("uq_transaction_alias_source_id"), type_="unique")
        batch.drop_constraint(
            op.f("fk_transaction_alias_source_id_statement_source"), type_="foreignkey"
        )
        batch.drop_column("source_id")
        batch.alter_column("provider_account_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_transaction_alias_provider_account_id_provider_account"),
            "provider_account",
            ["provider_account_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            op.f("uq_transaction_alias_provider_account_id"),
            ["provider_account_id", "transaction_id"],
        )
    if sqlite:
        op.execute(
            f"INSERT INTO transaction_alias ({ALIAS_COLUMNS}, provider_account_id) "
            f"SELECT {ALIAS_COLUMNS}, provider_account_id FROM {STASH}"
        )
        op.execute(f"DROP TABLE {STASH}")

    op.drop_index("uq_statement_source_manual", table_name="statement_source")
    op.drop_index(op.f("ix_statement_source_journal_id"), table_name="statement_source")
    op.drop_index(op.f("ix_statement_source_company_id"), table_name="statement_source")
    op.drop_table("statement_source")
    for sql in _old_guards(m5, sqlite):
        op.execute(sql)
