"""Migration 0010 gives every company without a rule the default invoice-matching rules,
so that a sync run only ever reads rules."""

from __future__ import annotations

from sqlalchemy import Engine, text

from booksync.db.engine import session_factory
from booksync.ledger.companies import ensure_currencies
from booksync.ledger.models import Company
from tests.helpers import migrate_to


def test_companies_from_before_get_the_default_rules_once(engine: Engine) -> None:
    migrate_to(engine, "0009")
    with session_factory(engine)() as session, session.begin():
        ensure_currencies(session)
        # The columns the table had then: today's model has more.
        company_id = session.execute(Company.__table__.insert().values(
            name="Older Ltd", currency_code="EUR", country="DE"
        ).returning(Company.__table__.c.id)).scalar_one()
    migrate_to(engine, "head")
    with engine.connect() as conn:
        rules = conn.execute(text(
            "SELECT name, kind, sequence, auto, active FROM reconcile_rule "
            "WHERE company_id = :c ORDER BY sequence"
        ), {"c": company_id}).all()
        runs = conn.execute(text("SELECT count(*) FROM sync_run WHERE reconciled <> 0")).scalar()
        defaults = conn.execute(text("SELECT auto_reconcile FROM connection")).all()
    assert [tuple(r) for r in rules] == [
        ("Invoices: exact match", "invoice_matching", 10, True, True),
        ("Invoices: suggestions", "invoice_matching", 20, False, True),
    ]
    assert runs == 0 and defaults == []
    migrate_to(engine, "0009")
    migrate_to(engine, "head")
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM reconcile_rule WHERE company_id = :c"), {"c": company_id}
        ).scalar()
    assert count == 2
