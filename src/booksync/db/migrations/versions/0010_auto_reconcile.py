"""Connections reconcile after each sync, and runs count what they reconciled.

Revision ID: 0010
Revises: 0009

``connection.auto_reconcile`` (on for every connection, as for new ones) and
``sync_run.reconciled`` (0 for the runs before it existed); see
docs/reconciliation.md, "Automatic reconciliation".  A company without any
reconciliation rule gets the two default invoice-matching rules a new
company starts with, so that a sync run only reads rules, never makes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from booksync.db.base import utcnow
from booksync.db.uuid7 import uuid7

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "connection",
        sa.Column("auto_reconcile", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "sync_run", sa.Column("reconciled", sa.Integer(), nullable=False, server_default="0")
    )
    _default_rules()


# name, sequence, auto: booksync.reconciliation.rules.DEFAULT_RULES when this was written.
DEFAULT_RULES = (("Invoices: exact match", 10, True), ("Invoices: suggestions", 20, False))


def _default_rules() -> None:
    bind = op.get_bind()
    without = bind.execute(sa.text(
        "SELECT id FROM company WHERE NOT EXISTS "
        "(SELECT 1 FROM reconcile_rule WHERE reconcile_rule.company_id = company.id)"
    )).scalars().all()
    rule = sa.table(
        "reconcile_rule",
        sa.column("uid", sa.Uuid()),
        sa.column("version", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("company_id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("sequence", sa.Integer()),
        sa.column("auto", sa.Boolean()),
        sa.column("active", sa.Boolean()),
        sa.column("journal_ids", sa.Text()),
        sa.column("nature", sa.String()),
        sa.column("tolerance_kind", sa.String()),
        sa.column("tolerance_value", sa.BigInteger()),
        sa.column("counterparts", sa.Text()),
        sa.column("partner_mappings", sa.Text()),
    )
    rows = [
        {
            "uid": uuid7(), "version": 1, "created_at": utcnow(), "company_id": company_id,
            "name": name, "kind": "invoice_matching", "sequence": sequence, "auto": auto,
            "active": True, "journal_ids": "[]", "nature": "both", "tolerance_kind": "none",
            "tolerance_value": 0, "counterparts": "[]", "partner_mappings": "[]",
        }
        for company_id in without
        for name, sequence, auto in DEFAULT_RULES
    ]
    if rows:
        op.bulk_insert(rule, rows)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35 has it): rebuilding sync_run, as a batch
    # alter would on SQLite, fails while statement lines refer to its runs.
    for table, column in (("sync_run", "reconciled"), ("connection", "auto_reconcile")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
