"""A page of entries is a seek on the listing index, not a sort of the company's entries."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from booksync.ledger.listing import keyset_page
from booksync.ledger.models import Company, Entry
from tests.helpers import simple


def test_a_page_seeks_the_listing_index(
    backend: str, session: Session, company: Company
) -> None:
    if backend != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    first = simple(session, company, "1200", "3000", "10.00")
    query = keyset_page(
        session,
        select(Entry.id).where(Entry.company_id == company.id),
        Entry.date,
        Entry.id,
        after=first,
        limit=100,
        owner=Entry.company_id == company.id,
        missing="none",
    )
    sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = " | ".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_entry_company_date_id" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
