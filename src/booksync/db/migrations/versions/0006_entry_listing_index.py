"""Entries are listed, and paged, in (date, id) order within a company.

Revision ID: 0006
Revises: 0005

``entry list --after ID`` starts its page right after an entry in that
order; without an index in the same order, every page read and sorted all
the company's entries before it (docs/ledger.md, "Listing").
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entry_company_date_id", "entry", ["company_id", "date", "id"])


def downgrade() -> None:
    op.drop_index("ix_entry_company_date_id", table_name="entry")
