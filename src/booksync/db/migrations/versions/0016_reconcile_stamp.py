"""What a bank journal's last fruitless automatic pass found, so a sync matches only new lines.

Revision ID: 0016
Revises: 0015

A sync's automatic reconciliation re-matches a journal's old unreconciled
lines only when something they could match has changed since the last pass
over all of them applied nothing (docs/reconciliation.md, "Automatic
reconciliation"); ``reconcile_stamp`` keeps, per journal, what that pass read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("line_max_id", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("line_versions", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name="fk_reconcile_stamp_company_id_company"
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name="fk_reconcile_stamp_journal_id_journal"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_stamp"),
        sa.UniqueConstraint("journal_id", name="uq_reconcile_stamp_journal_id"),
    )
    op.create_index("ix_reconcile_stamp_company_id", "reconcile_stamp", ["company_id"])


def downgrade() -> None:
    op.drop_index("ix_reconcile_stamp_company_id", table_name="reconcile_stamp")
    op.drop_table("reconcile_stamp")
