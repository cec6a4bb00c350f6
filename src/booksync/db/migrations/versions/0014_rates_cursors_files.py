"""More ways in for bank data: a company's rate source, a provider's cursor, a run's
accounts, saved CSV profiles.

Revision ID: 0014
Revises: 0013

``company.rate_source`` names where a missing exchange rate comes from
(docs/banking.md, "Exchange rates"); ``connection.sync_cursor`` holds a
cursor-based provider's position; ``sync_run.reversed`` counts booked lines a
provider withdrew and the run reversed; ``sync_run_account`` records each
provider account's part of a run, so that one failing account no longer fails
the others (docs/banking.md, "A synchronization run"); ``csv_profile`` keeps how
a bank's CSV export reads (docs/banking.md, "Statement files").  Nothing
existing changes meaning; going down drops the new columns and tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from booksync.db.base import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _business_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.add_column("company", sa.Column("rate_source", sa.String(length=16), nullable=True))
    op.add_column("connection", sa.Column("sync_cursor", sa.Text(), nullable=True))
    op.add_column("sync_run", sa.Column("reversed", sa.Integer(), nullable=False,
                                        server_default=sa.text("0")))
    op.create_table(
        "sync_run_account",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("provider_account_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("reversed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        *_business_columns(),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"],
                                name=op.f("fk_sync_run_account_company_id_company")),
        sa.ForeignKeyConstraint(
            ["provider_account_id"], ["provider_account.id"],
            name=op.f("fk_sync_run_account_provider_account_id_provider_account")),
        sa.ForeignKeyConstraint(["run_id"], ["sync_run.id"],
                                name=op.f("fk_sync_run_account_run_id_sync_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_run_account")),
        sa.UniqueConstraint("uid", name=op.f("uq_sync_run_account_uid")),
    )
    op.create_index(op.f("ix_sync_run_account_company_id"), "sync_run_account", ["company_id"])
    op.create_index(op.f("ix_sync_run_account_run_id"), "sync_run_account", ["run_id"])
    op.create_table(
        "csv_profile",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        *_business_columns(),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"],
                                name=op.f("fk_csv_profile_company_id_company")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csv_profile")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_csv_profile_company_id")),
        sa.UniqueConstraint("uid", name=op.f("uq_csv_profile_uid")),
    )
    op.create_index(op.f("ix_csv_profile_company_id"), "csv_profile", ["company_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_csv_profile_company_id"), table_name="csv_profile")
    op.drop_table("csv_profile")
    op.drop_index(op.f("ix_sync_run_account_run_id"), table_name="sync_run_account")
    op.drop_index(op.f("ix_sync_run_account_company_id"), table_name="sync_run_account")
    op.drop_table("sync_run_account")
    op.drop_column("sync_run", "reversed")
    op.drop_column("connection", "sync_cursor")
    op.drop_column("company", "rate_source")
