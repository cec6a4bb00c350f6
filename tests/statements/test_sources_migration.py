"""Migration 0007 on books that hold synced lines: down to 0006 and up again.

Each provider account's lines and transaction ids move onto its online
source and back, row for row; a line without a provider account gets its
journal's manual source; the guards of both revisions are each exactly
their own; and after the round trip a sync still books nothing twice.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from booksync.db.migrations.earlier import revision_module
from tests.db.test_migrations import _rules
from tests.helpers import migrate_to
from tests.sync.support import Books, assert_exactly_once

LINES = ("SELECT id, uid, journal_id, provider_account_id, entry_id, date, amount, label, "
         "provider_transaction_id, is_opening FROM statement_line ORDER BY id")
ALIASES_0006 = ("SELECT id, uid, provider_account_id, statement_line_id, transaction_id "
                "FROM transaction_alias ORDER BY id")
ALIASES_HEAD = ("SELECT a.id, a.uid, s.provider_account_id, a.statement_line_id, "
                "a.transaction_id FROM transaction_alias a "
                "JOIN statement_source s ON s.id = a.source_id ORDER BY a.id")


def _rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _tables(engine: Engine) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(engine).get_table_names())


def _bank_guards_0005(engine: Engine) -> set[str]:
    """The text of 0005's guards of statement lines and aliases, as this database stores it."""
    m5 = revision_module("0005_posted_books_any_connection.py")
    if engine.dialect.name == "sqlite":
        return {sql for guard in m5.BANKING for sql in m5._sqlite_guard(guard)}
    return {sql for guard in m5.BANKING for sql in m5._pg_guard(guard)}


def test_synced_books_go_down_and_up_keeping_every_line_and_id(
    factory: sessionmaker[Session], lean_books: Books, engine: Engine
) -> None:
    books = lean_books
    assert books.sync().state == "success"
    at_head = _rules(engine)
    lines = _rows(engine, LINES)
    aliases = _rows(engine, ALIASES_HEAD)
    assert lines and aliases

    migrate_to(engine, "0006")
    assert "statement_source" not in _tables(engine)
    assert _rows(engine, LINES) == lines
    assert _rows(engine, ALIASES_0006) == aliases
    stored = {sql for _, sql in _rules(engine)}
    if engine.dialect.name == "sqlite":
        assert _bank_guards_0005(engine) <= stored  # 0005's own triggers, word for word
    assert not any("statement_source" in sql for sql in stored)
    # a line no provider account brought (the 0006 column allowed it)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO statement_line (uid, version, created_at, company_id, journal_id, "
            "provider_account_id, sync_run_id, entry_id, date, amount, currency_code, label, "
            "is_opening, reconciled) SELECT :uid, 1, created_at, company_id, journal_id, NULL, "
            "NULL, entry_id, date, amount, currency_code, 'By hand', is_opening, reconciled "
            "FROM statement_line WHERE id = :first"),
            {"uid": "0" * 31 + "1" if engine.dialect.name == "sqlite"
             else "00000000-0000-0000-0000-000000000001", "first": lines[0][0]})

    migrate_to(engine, "head")
    assert _rules(engine) == at_head
    assert _rows(engine, ALIASES_HEAD) == aliases
    sources = {
        line_id: (kind, account, journal)
        for line_id, kind, account, journal in _rows(
            engine,
            "SELECT l.id, s.kind, s.provider_account_id, s.journal_id FROM statement_line l "
            "JOIN statement_source s ON s.id = l.source_id",
        )
    }
    by_hand = max(sources)
    for line in lines:
        assert sources[line[0]] == ("online", line[3], line[2])  # its account's, its journal
    assert sources[by_hand] == ("manual", None, lines[0][2])
    assert len(sources) == len(lines) + 1
    # one online source per provider account, each in the account's journal
    assert sorted(_rows(engine, "SELECT s.provider_account_id, s.journal_id, s.name "
                                "FROM statement_source s WHERE s.kind = 'online'")) == sorted(
        _rows(engine, "SELECT id, journal_id, name FROM provider_account"))

    ((manual,),) = _rows(engine, "SELECT id FROM statement_source WHERE kind = 'manual'")
    with engine.connect() as conn, pytest.raises(DBAPIError, match="booked statement lines"):
        conn.execute(text("UPDATE statement_line SET source_id = :s WHERE id = :line"),
                     {"s": manual, "line": lines[-1][0]})
    # the round trip lost no transaction id: nothing is booked twice (the hand-made
    # line has no provider account, so the bank's truth does not count it)
    again = books.sync()
    assert again.state == "success" and again.new == 0 and again.duplicates > 0
    assert_exactly_once(factory, books)


def test_going_down_refuses_transaction_ids_0006_cannot_hold(
    lean_books: Books, engine: Engine
) -> None:
    """A file's ids have no provider account: 0006 would lose them, so it refuses."""
    assert lean_books.sync().state == "success"
    line, journal, company = _rows(
        engine, "SELECT id, journal_id, company_id FROM statement_line ORDER BY id LIMIT 1")[0]
    sqlite = engine.dialect.name == "sqlite"
    uid = "'" + ("0" * 31 + "{n}" if sqlite else "00000000-0000-0000-0000-00000000000{n}") + "'"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO statement_source (uid, version, created_at, company_id, journal_id, "
            f"kind, name) VALUES ({uid.format(n=1)}, 1, CURRENT_TIMESTAMP, :c, :j, 'file', "
            "'march.xml')"), {"c": company, "j": journal})
        conn.execute(text(
            "INSERT INTO transaction_alias (uid, version, created_at, company_id, source_id, "
            f"statement_line_id, transaction_id) SELECT {uid.format(n=2)}, 1, "
            "CURRENT_TIMESTAMP, :c, id, :line, 'E2E-1' FROM statement_source "
            "WHERE kind = 'file'"), {"c": company, "line": line})
    before = _rules(engine), _rows(engine, "SELECT version_num FROM alembic_version")
    with pytest.raises(RuntimeError, match="cannot go back before revision 0007"):
        migrate_to(engine, "0006")
    assert (_rules(engine), _rows(engine, "SELECT version_num FROM alembic_version")) == before
    assert "statement_source" in _tables(engine)
