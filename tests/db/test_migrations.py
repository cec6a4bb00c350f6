"""Migrations go down as well as up, and each end enforces its own rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.exc import DBAPIError

from booksync.db.base import utcnow
from booksync.db.engine import session_factory
from booksync.db.migrate import upgrade
from booksync.db.uuid7 import uuid7
from booksync.ledger.companies import create_company
from booksync.ledger.entries import EntryInput, LineInput, add_entries
from booksync.ledger.models import Company, Entry
from tests.helpers import migrate_to


def _company_and_journal(engine: Engine) -> tuple[int, int]:
    with session_factory(engine)() as session, session.begin():
        company = create_company(session, "Acme Ltd", "EUR", "DE")
        journal = session.execute(
            text("SELECT id FROM journal WHERE company_id = :c AND code = 'MISC'"),
            {"c": company.id},
        ).scalar_one()
        return company.id, journal


def _insert_posted_entry(engine: Engine, company_id: int, journal_id: int) -> None:
    """A raw insert of a posted entry with no lines: each revision refuses it its own way."""
    with engine.connect() as conn:
        conn.execute(insert(Entry), {
            "uid": uuid7(), "version": 1, "created_at": utcnow(), "company_id": company_id,
            "journal_id": journal_id, "date": dt.date(2026, 3, 1), "state": "posted",
            "number": "MISC/2026/00001",
        })
        conn.commit()


def test_downgrade_restores_drafts_first_and_upgrade_lines_first(engine: Engine) -> None:
    company_id, journal_id = _company_and_journal(engine)
    migrate_to(engine, "0003")
    with pytest.raises(DBAPIError, match="inserted as drafts"):
        _insert_posted_entry(engine, company_id, journal_id)
    migrate_to(engine, "head")
    with pytest.raises(DBAPIError, match="not balanced or has no lines"):
        _insert_posted_entry(engine, company_id, journal_id)
    with session_factory(engine)() as session, session.begin():
        company = session.get(Company, company_id)
        assert company is not None
        data = EntryInput("MISC", dt.date(2026, 3, 1), (
            LineInput("6100", debit=Decimal("10.00")), LineInput("1000", credit=Decimal("10.00"))))
        (entry_id,) = add_entries(session, company, [data], post=True)
    with engine.connect() as conn:
        posted = conn.execute(text("SELECT posted FROM line WHERE entry_id = :id"),
                              {"id": entry_id}).scalars().all()
    assert len(posted) == 2 and all(posted)
    upgrade(engine)  # at head already: nothing to do, nothing broken


def test_every_reference_to_entries_and_lines_is_indexed(engine: Engine) -> None:
    """Posted entries are inserted while their lines' references wait for the commit.

    Meanwhile each new entry makes the database look for every row that
    refers to it, in each referring table: without an index that is a scan
    per entry, and a bulk insert turns quadratic.
    """
    inspector = inspect(engine)
    unindexed = []
    for table in inspector.get_table_names():
        leading = {tuple(index["column_names"][:1]) for index in inspector.get_indexes(table)}
        leading |= {tuple(u["column_names"][:1]) for u in inspector.get_unique_constraints(table)}
        for key in inspector.get_foreign_keys(table):
            if key["referred_table"] in ("entry", "line"):
                column = key["constrained_columns"][0]
                if (column,) not in leading:
                    unindexed.append(f"{table}.{column}")
    assert unindexed == []


def _rules(engine: Engine) -> set[tuple[str, str]]:
    """Every trigger and trigger function of the database, with its text."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = (
                "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace "
                "UNION ALL SELECT proname, prosrc FROM pg_proc "
                "WHERE pronamespace = current_schema()::regnamespace"
            )
        return {(str(name), str(sql)) for name, sql in conn.execute(text(query))}


def _move_counter_on(engine: Engine, company_id: int) -> None:
    """Skip five numbers of the company's counter (rolled back if the database allows it)."""
    with engine.connect() as conn:
        conn.execute(text("UPDATE sequence SET last_number = last_number + 5 "
                          "WHERE company_id = :c"), {"c": company_id})
        conn.rollback()


def test_an_existing_database_gains_the_guards_of_any_connection(engine: Engine) -> None:
    """0005 upgrades books that already hold entries, and goes down to 0004's rules exactly."""
    company_id, _ = _company_and_journal(engine)
    with session_factory(engine)() as session, session.begin():
        company = session.get(Company, company_id)
        assert company is not None
        data = EntryInput("MISC", dt.date(2026, 3, 1), (
            LineInput("6100", debit=Decimal("10.00")), LineInput("1000", credit=Decimal("10.00"))))
        add_entries(session, company, [data], post=True)
    with engine.connect() as conn:
        before = [tuple(r) for r in conn.execute(text("SELECT * FROM entry ORDER BY id"))]
    migrate_to(engine, "0004")
    at_0004 = _rules(engine)
    _move_counter_on(engine, company_id)  # 0004 lets the numbering skip
    migrate_to(engine, "head")
    with pytest.raises(DBAPIError, match="numbering of a journal only moves forward"):
        _move_counter_on(engine, company_id)
    with engine.connect() as conn:
        after = [tuple(r) for r in conn.execute(text("SELECT * FROM entry ORDER BY id"))]
    assert after == before
    assert {name for name, _ in _rules(engine)} > {name for name, _ in at_0004}
    migrate_to(engine, "0004")
    assert _rules(engine) == at_0004
