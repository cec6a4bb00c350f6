"""Every currency of ISO 4217 in use, in books made when the table held fewer.

Revision ID: 0017
Revises: 0016

The currency table is filled from ``booksync.money.CURRENCIES`` when books
are made and by each ``booksync init``; that list grew from 75 codes to all
those in use, so books made before get the codes they lack here, without
waiting for an ``init``: a journal, a rate or a company in one of them would
otherwise fail on the table's foreign key.  Codes already there are kept as
they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from booksync.db.base import utcnow
from booksync.db.uuid7 import uuid7
from booksync.money import CURRENCIES

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_CURRENCY = sa.table(
    "currency", sa.column("code", sa.String()), sa.column("name", sa.String()),
    sa.column("exponent", sa.Integer()), sa.column("uid", sa.Uuid()),
    sa.column("version", sa.Integer()), sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    conn = op.get_bind()
    known = set(conn.execute(sa.select(_CURRENCY.c.code)).scalars())
    if not known:
        return  # new books: ``booksync init`` loads the whole table
    now = utcnow()
    missing = [
        {"code": code, "name": name, "exponent": exp, "uid": uuid7(), "version": 1,
         "created_at": now}
        for code, (exp, name) in sorted(CURRENCIES.items()) if code not in known
    ]
    if missing:
        op.bulk_insert(_CURRENCY, missing)


def downgrade() -> None:
    """Nothing: a code may be in use by then, and an unused one does no harm."""
