"""Taxes, invoices and bills, payments, open items and bank reconciliations.

Revision ID: 0008
Revises: 0007

New tables only (docs/documents.md, docs/ledger.md "Open items and
reconciliation", docs/reconciliation.md); nothing existing changes.  Lines
already posted on reconcilable accounts (other than the bank suspense
account) become open items, owing their whole amount.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_document_sequence_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_sequence")),
        sa.UniqueConstraint(
            "company_id", "prefix", "year", name=op.f("uq_document_sequence_company_id")
        ),
    )
    op.create_table(
        "tax",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("price_included", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_tax_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_tax_company_id_company")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax")),
        sa.UniqueConstraint("company_id", "type", "name", name=op.f("uq_tax_company_id")),
        sa.UniqueConstraint("uid", name=op.f("uq_tax_uid")),
    )
    with op.batch_alter_table("tax", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tax_company_id"), ["company_id"], unique=False)

    op.create_table(
        "payment_batch",
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("outbound", sa.Boolean(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_payment_batch_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name=op.f("fk_payment_batch_journal_id_journal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_batch")),
        sa.UniqueConstraint("uid", name=op.f("uq_payment_batch_uid")),
    )
    with op.batch_alter_table("payment_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_batch_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "full_reconcile",
        sa.Column("exchange_entry_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_full_reconcile_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["exchange_entry_id"],
            ["entry.id"],
            name=op.f("fk_full_reconcile_exchange_entry_id_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_full_reconcile")),
        sa.UniqueConstraint("uid", name=op.f("uq_full_reconcile_uid")),
    )
    with op.batch_alter_table("full_reconcile", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_full_reconcile_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_full_reconcile_exchange_entry_id"), ["exchange_entry_id"], unique=False
        )

    op.create_table(
        "invoice",
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("ref", sa.String(length=500), nullable=True),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("untaxed", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("reversed_invoice_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_invoice_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["currency_code"], ["currency.code"], name=op.f("fk_invoice_currency_code_currency")
        ),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_invoice_entry_id_entry")),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name=op.f("fk_invoice_journal_id_journal")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_invoice_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["reversed_invoice_id"],
            ["invoice.id"],
            name=op.f("fk_invoice_reversed_invoice_id_invoice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_invoice_company_id")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_invoice_entry_id")),
        sa.UniqueConstraint("uid", name=op.f("uq_invoice_uid")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_company_id"), ["company_id"], unique=False)
        batch_op.create_index(
            "ix_invoice_company_partner", ["company_id", "partner_id", "state"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("outbound", sa.Boolean(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("ref", sa.String(length=500), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("partner_line_id", sa.Integer(), nullable=False),
        sa.Column("outstanding_line_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["payment_batch.id"], name=op.f("fk_payment_batch_id_payment_batch")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_payment_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["currency_code"], ["currency.code"], name=op.f("fk_payment_currency_code_currency")
        ),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_payment_entry_id_entry")),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["journal.id"], name=op.f("fk_payment_journal_id_journal")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_payment_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["partner_line_id"], ["line.id"], name=op.f("fk_payment_partner_line_id_line")
        ),
        sa.ForeignKeyConstraint(
            ["outstanding_line_id"], ["line.id"], name=op.f("fk_payment_outstanding_line_id_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_payment_entry_id")),
        sa.UniqueConstraint("partner_line_id", name=op.f("uq_payment_partner_line_id")),
        sa.UniqueConstraint("outstanding_line_id", name=op.f("uq_payment_outstanding_line_id")),
        sa.UniqueConstraint("uid", name=op.f("uq_payment_uid")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_company_id"), ["company_id"], unique=False)
        batch_op.create_index(
            "ix_payment_company_partner", ["company_id", "partner_id"], unique=False
        )

    op.create_table(
        "invoice_line",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("tax_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_invoice_line_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_invoice_line_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_line_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(["tax_id"], ["tax.id"], name=op.f("fk_invoice_line_tax_id_tax")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
        sa.UniqueConstraint("uid", name=op.f("uq_invoice_line_uid")),
    )
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_line_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_line_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "open_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("amount_currency", sa.BigInteger(), nullable=False),
        sa.Column("residual", sa.BigInteger(), nullable=False),
        sa.Column("residual_currency", sa.BigInteger(), nullable=False),
        sa.Column("full_reconcile_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_open_item_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_open_item_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["currency_code"], ["currency.code"], name=op.f("fk_open_item_currency_code_currency")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_open_item_entry_id_entry")
        ),
        sa.ForeignKeyConstraint(
            ["full_reconcile_id"],
            ["full_reconcile.id"],
            name=op.f("fk_open_item_full_reconcile_id_full_reconcile"),
        ),
        sa.ForeignKeyConstraint(["line_id"], ["line.id"], name=op.f("fk_open_item_line_id_line")),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_open_item_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_item")),
        sa.UniqueConstraint("line_id", name=op.f("uq_open_item_line_id")),
    )
    with op.batch_alter_table("open_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open_item_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(
            "ix_open_item_partner",
            ["company_id", "partner_id", "account_id"],
            unique=False,
            sqlite_where=sa.text("full_reconcile_id IS NULL"),
            postgresql_where=sa.text("full_reconcile_id IS NULL"),
        )
        batch_op.create_index(
            "ix_open_item_residual",
            ["company_id", "residual"],
            unique=False,
            sqlite_where=sa.text("full_reconcile_id IS NULL"),
            postgresql_where=sa.text("full_reconcile_id IS NULL"),
        )

    op.create_table(
        "partial_reconcile",
        sa.Column("debit_line_id", sa.Integer(), nullable=False),
        sa.Column("credit_line_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("debit_amount_currency", sa.BigInteger(), nullable=False),
        sa.Column("credit_amount_currency", sa.BigInteger(), nullable=False),
        sa.Column("full_reconcile_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_partial_reconcile_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["credit_line_id"], ["line.id"], name=op.f("fk_partial_reconcile_credit_line_id_line")
        ),
        sa.ForeignKeyConstraint(
            ["debit_line_id"], ["line.id"], name=op.f("fk_partial_reconcile_debit_line_id_line")
        ),
        sa.ForeignKeyConstraint(
            ["full_reconcile_id"],
            ["full_reconcile.id"],
            name=op.f("fk_partial_reconcile_full_reconcile_id_full_reconcile"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partial_reconcile")),
        sa.UniqueConstraint("uid", name=op.f("uq_partial_reconcile_uid")),
    )
    with op.batch_alter_table("partial_reconcile", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partial_reconcile_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partial_reconcile_credit_line_id"), ["credit_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partial_reconcile_debit_line_id"), ["debit_line_id"], unique=False
        )
        batch_op.create_index("ix_partial_reconcile_origin", ["company_id", "origin"], unique=False)

    op.create_table(
        "bank_reconciliation",
        sa.Column("statement_line_id", sa.Integer(), nullable=False),
        sa.Column("clearing_entry_id", sa.Integer(), nullable=False),
        sa.Column("reversal_entry_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clearing_entry_id"],
            ["entry.id"],
            name=op.f("fk_bank_reconciliation_clearing_entry_id_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["company.id"], name=op.f("fk_bank_reconciliation_company_id_company")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_bank_reconciliation_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["reversal_entry_id"],
            ["entry.id"],
            name=op.f("fk_bank_reconciliation_reversal_entry_id_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_line_id"],
            ["statement_line.id"],
            name=op.f("fk_bank_reconciliation_statement_line_id_statement_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_reconciliation")),
        sa.UniqueConstraint("uid", name=op.f("uq_bank_reconciliation_uid")),
    )
    with op.batch_alter_table("bank_reconciliation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bank_reconciliation_active_line",
            ["statement_line_id"],
            unique=True,
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_clearing_entry_id"), ["clearing_entry_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_reversal_entry_id"), ["reversal_entry_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_statement_line_id"),
            ["statement_line_id"],
            unique=False,
        )

    op.create_table(
        "bank_reconciliation_document",
        sa.Column("reconciliation_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_bank_reconciliation_document_company_id_company"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_bank_reconciliation_document_invoice_id_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_bank_reconciliation_document_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["reconciliation_id"],
            ["bank_reconciliation.id"],
            name=op.f("fk_bank_reconciliation_document_reconciliation_id_bank_reconciliation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_reconciliation_document")),
        sa.UniqueConstraint("uid", name=op.f("uq_bank_reconciliation_document_uid")),
    )
    with op.batch_alter_table("bank_reconciliation_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_document_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_document_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_document_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_reconciliation_document_reconciliation_id"),
            ["reconciliation_id"],
            unique=False,
        )
    op.execute(BACKFILL)


# The same selection as booksync.ledger.open_items.track_entries, for every posted line.
BACKFILL = """
INSERT INTO open_item (company_id, line_id, entry_id, account_id, partner_id, date, due_date,
                       currency_code, amount, amount_currency, residual, residual_currency)
SELECT line.company_id, line.id, line.entry_id, line.account_id, line.partner_id, line.date,
       line.date, COALESCE(line.currency_code, company.currency_code),
       line.debit - line.credit, COALESCE(line.amount_currency, line.debit - line.credit),
       line.debit - line.credit, COALESCE(line.amount_currency, line.debit - line.credit)
FROM line
JOIN account ON account.id = line.account_id
JOIN company ON company.id = line.company_id
WHERE line.posted AND account.reconcile
  AND (account.role IS NULL OR account.role <> 'suspense')
  AND (line.debit <> line.credit OR COALESCE(line.amount_currency, 0) <> 0)
"""


def downgrade() -> None:
    with op.batch_alter_table("bank_reconciliation_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_document_reconciliation_id"))
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_document_payment_id"))
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_document_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_document_company_id"))

    op.drop_table("bank_reconciliation_document")
    with op.batch_alter_table("bank_reconciliation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_statement_line_id"))
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_reversal_entry_id"))
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_clearing_entry_id"))
        batch_op.drop_index(batch_op.f("ix_bank_reconciliation_company_id"))
        batch_op.drop_index(
            "ix_bank_reconciliation_active_line",
            sqlite_where=sa.text("state = 'active'"),
            postgresql_where=sa.text("state = 'active'"),
        )

    op.drop_table("bank_reconciliation")
    with op.batch_alter_table("partial_reconcile", schema=None) as batch_op:
        batch_op.drop_index("ix_partial_reconcile_origin")
        batch_op.drop_index(batch_op.f("ix_partial_reconcile_debit_line_id"))
        batch_op.drop_index(batch_op.f("ix_partial_reconcile_credit_line_id"))
        batch_op.drop_index(batch_op.f("ix_partial_reconcile_company_id"))

    op.drop_table("partial_reconcile")
    with op.batch_alter_table("open_item", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_open_item_residual",
            sqlite_where=sa.text("full_reconcile_id IS NULL"),
            postgresql_where=sa.text("full_reconcile_id IS NULL"),
        )
        batch_op.drop_index(
            "ix_open_item_partner",
            sqlite_where=sa.text("full_reconcile_id IS NULL"),
            postgresql_where=sa.text("full_reconcile_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_open_item_entry_id"))

    op.drop_table("open_item")
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_line_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_line_company_id"))

    op.drop_table("invoice_line")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_company_partner")
        batch_op.drop_index(batch_op.f("ix_payment_company_id"))
        batch_op.drop_index(batch_op.f("ix_payment_batch_id"))

    op.drop_table("payment")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_company_partner")
        batch_op.drop_index(batch_op.f("ix_invoice_company_id"))

    op.drop_table("invoice")
    with op.batch_alter_table("full_reconcile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_full_reconcile_exchange_entry_id"))
        batch_op.drop_index(batch_op.f("ix_full_reconcile_company_id"))

    op.drop_table("full_reconcile")
    with op.batch_alter_table("payment_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_batch_company_id"))

    op.drop_table("payment_batch")
    with op.batch_alter_table("tax", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tax_company_id"))

    op.drop_table("tax")
    op.drop_table("document_sequence")
