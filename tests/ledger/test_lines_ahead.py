"""Lines ahead of their entry, on a SQLite connection without foreign keys (migration 0011).

The bulk writer inserts posted lines before their entry and relies on the
foreign key, checked at the commit, to fail a transaction whose entry never
comes.  A connection that does not check foreign keys (a ``sqlite3`` shell)
must therefore never leave a line without its entry, nor a posted line
waiting for one: migration 0011 lets a line through without reading the
connection's setting only when a posted line is already waiting, so these
tests pin down that nothing else can make one wait.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from booksync.db.migrate import alembic_config
from booksync.ledger.models import Company
from tests.helpers import entry_rows, line_rows, simple

NO_ENTRY = "a line must belong to an existing entry"
POSTED = "posted entries and lines cannot be changed or deleted"
NEW_UID = "lower(hex(randomblob(16)))"


@pytest.fixture
def plain(engine: Engine) -> sqlite3.Connection:
    """A connection with SQLite's own defaults: foreign keys off, as in a shell."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL always checks foreign keys")
    path = make_url(str(engine.url)).database
    assert path
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (0,)
    return conn


@pytest.fixture
def books(session: Session, company: Company) -> dict[str, Any]:
    posted = simple(session, company, "6100", "1000", "50", "2026-01-10")
    draft = simple(session, company, "6100", "1200", "80", "2026-01-20", post=False)
    session.commit()
    return {"company": company.id, "posted": posted, "draft": draft}


def _state(session: Session, company_id: int) -> tuple[object, ...]:
    return entry_rows(session, company_id), line_rows(session, company_id)


def _refused(conn: sqlite3.Connection, sql: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(sqlite3.DatabaseError, match=message):
        conn.execute(sql, params)
    conn.rollback()


def _posted_lines_for(entry: str) -> str:
    """Two posted lines for the entry ``entry`` (an SQL expression), copied from a posted entry."""
    return (
        "INSERT INTO line (uid, version, created_at, company_id, entry_id, account_id, debit, "
        f"credit, date, posted) SELECT {NEW_UID}, 1, created_at, company_id, {entry}, account_id, "
        "debit, credit, date, 1 FROM line WHERE entry_id = :posted"
    )


def test_a_draft_line_cannot_move_to_a_missing_entry(
    session: Session, books: dict[str, Any], plain: sqlite3.Connection
) -> None:
    before = _state(session, books["company"])
    _refused(plain, "UPDATE line SET entry_id = 999 WHERE entry_id = :draft", books, NO_ENTRY)
    assert _state(session, books["company"]) == before


def test_a_line_whose_entry_is_gone_cannot_be_marked_posted(
    session: Session, books: dict[str, Any], plain: sqlite3.Connection
) -> None:
    """A draft deleted without foreign keys leaves its lines: none of them may become posted.

    Before 0011 this was how a posted line came to wait for an entry that would
    never come (``NULL <> 'posted'`` let the update through).
    """
    plain.execute("DELETE FROM entry WHERE id = :draft", books)
    plain.commit()
    before = _state(session, books["company"])
    _refused(plain, "UPDATE line SET posted = 1 WHERE entry_id = :draft", books, POSTED)
    assert _state(session, books["company"]) == before


@pytest.mark.parametrize("entry", [":draft", ":draft + 1"])
def test_waiting_draft_lines_do_not_let_posted_lines_in(
    session: Session, books: dict[str, Any], plain: sqlite3.Connection, entry: str
) -> None:
    """Only a *posted* line waiting for an entry shows that foreign keys are checked."""
    plain.execute("DELETE FROM entry WHERE id = :draft", books)  # its draft lines stay
    plain.commit()
    before = _state(session, books["company"])
    _refused(plain, _posted_lines_for(entry), books, NO_ENTRY)
    assert _state(session, books["company"]) == before


def test_posted_lines_ahead_of_entries_in_a_row_need_foreign_keys(
    session: Session, books: dict[str, Any], plain: sqlite3.Connection
) -> None:
    """The writer's shape (posted lines for new ids one after another) is refused without keys."""
    before = _state(session, books["company"])
    (last,) = plain.execute("SELECT max(id) FROM entry").fetchone()
    for offset in (1, 2):
        _refused(plain, _posted_lines_for(str(last + offset)), books, NO_ENTRY)
    assert _state(session, books["company"]) == before


def test_with_foreign_keys_lines_wait_for_entries_in_a_row_until_the_commit(
    session: Session, books: dict[str, Any], plain: sqlite3.Connection
) -> None:
    plain.execute("PRAGMA foreign_keys = ON")
    plain.execute("BEGIN")
    plain.execute("PRAGMA defer_foreign_keys = ON")  # for this transaction only
    (last,) = plain.execute("SELECT max(id) FROM entry").fetchone()
    for offset in (1, 2, 3):
        plain.execute(_posted_lines_for(str(last + offset)), books)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        plain.commit()
    plain.rollback()
    (lines,) = plain.execute("SELECT count(*) FROM line WHERE entry_id > ?", (last,)).fetchone()
    assert lines == 0


def test_0011_goes_down_to_the_checks_of_0005_exactly(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("0011 changes SQLite's triggers only")
    query = text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")

    def rules() -> list[tuple[str, str]]:
        with engine.connect() as conn:
            return [(str(name), str(sql)) for name, sql in conn.execute(query)]

    def to(revision: str) -> None:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            if revision == "head":
                command.upgrade(cfg, "head")
            else:
                command.downgrade(cfg, revision)

    at_head = rules()
    to("0010")
    at_0010 = dict(rules())
    assert "line_insert_entry" in at_0010 and "line_update_entry" not in at_0010
    assert "pragma_foreign_keys" in at_0010["line_insert_entry"]
    to("head")
    assert rules() == at_head
