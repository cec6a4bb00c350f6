"""A statement line no longer carries a ``reconciled`` flag.

Revision ID: 0012
Revises: 0011

Whether a line is reconciled, and with what, is the ``bank_reconciliation``
table's to say (docs/reconciliation.md, "Reconciling a bank line"): the bank
line itself never changes, and the flag was never set.  No guard trigger
names the column, so it goes with a plain DROP COLUMN on both databases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE statement_line DROP COLUMN reconciled")


def downgrade() -> None:
    op.add_column(
        "statement_line",
        sa.Column("reconciled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
