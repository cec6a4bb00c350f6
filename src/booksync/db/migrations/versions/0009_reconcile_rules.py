"""Reconciliation rules.

Revision ID: 0009
Revises: 0008

One new table (docs/reconciliation.md, "Rules"); nothing existing changes.
A company's default rules are made when its rules are first read, not here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_rule",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("journal_ids", sa.Text(), nullable=False),
        sa.Column("nature", sa.String(length=8), nullable=False),
        sa.Column("amount_min", sa.BigInteger(), nullable=True),
        sa.Column("amount_max", sa.BigInteger(), nullable=True),
        sa.Column("label_contains", sa.String(length=500), nullable=True),
        sa.Column("label_regex", sa.String(length=500), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("currency_code", sa.String(length=3), nullable=True),
        sa.Column("tolerance_kind", sa.String(length=8), nullable=False),
        sa.Column("tolerance_value", sa.BigInteger(), nullable=False),
        sa.Column("tolerance_account_id", sa.Integer(), nullable=True),
        sa.Column("counterparts", sa.Text(), nullable=False),
        sa.Column("partner_mappings", sa.Text(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('button', 'suggestion', 'invoice_matching')",
            name=op.f("ck_reconcile_rule_kind"),
        ),
        sa.CheckConstraint(
            "nature IN ('in', 'out', 'both')", name=op.f("ck_reconcile_rule_nature")
        ),
        sa.CheckConstraint(
            "tolerance_kind IN ('none', 'percent', 'fixed')",
            name=op.f("ck_reconcile_rule_tolerance_kind"),
        ),
        sa.CheckConstraint(
            "label_contains IS NULL OR label_regex IS NULL",
            name=op.f("ck_reconcile_rule_one_label_condition"),
        ),
        sa.CheckConstraint(
            "amount_min IS NULL OR amount_max IS NULL OR amount_min <= amount_max",
            name=op.f("ck_reconcile_rule_amount_range"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_reconcile_rule_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["currency_code"],
            ["currency.code"],
            name=op.f("fk_reconcile_rule_currency_code_currency"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_reconcile_rule_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["tolerance_account_id"],
            ["account.id"],
            name=op.f("fk_reconcile_rule_tolerance_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconcile_rule")),
        sa.UniqueConstraint("uid", name=op.f("uq_reconcile_rule_uid")),
    )
    with op.batch_alter_table("reconcile_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reconcile_rule_company_id"), ["company_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reconcile_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconcile_rule_company_id"))

    op.drop_table("reconcile_rule")
