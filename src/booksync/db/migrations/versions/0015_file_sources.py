"""A bank journal's statement file source is one per name.

Revision ID: 0015
Revises: 0014

Statement files of a journal book through its ``file`` source (docs/banking.md,
"Statement sources"), made on first use like the ``manual`` one; the partial
unique index lets two imports making it at once end with one source.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_statement_source_file", "statement_source", ["journal_id", "name"], unique=True,
        sqlite_where=sa.text("kind = 'file'"), postgresql_where=sa.text("kind = 'file'"),
    )


def downgrade() -> None:
    op.drop_index("uq_statement_source_file", table_name="statement_source")
