"""Posted books are immutable, and the DATABASE says so too (docs/ledger.md).

Every statement here bypasses the services: raw SQL on a plain connection.
Each refusal is checked twice: the statement raises, and the rows read back
afterwards on a fresh connection are exactly as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booksync.db.base import utcnow
from booksync.db.uuid7 import uuid7
from booksync.ledger.companies import create_company
from booksync.ledger.entries import get_entry
from booksync.ledger.models import Company, Entry, Line
from booksync.ledger.writer import defer_entry_references
from tests.helpers import book, entry, simple


def rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        query = text(f"SELECT t.id, t.* FROM {table} t ORDER BY t.id")
        return [tuple(r) for r in conn.execute(query)]


def refused(engine: Engine, sql: str, params: dict[str, Any] | None = None) -> str:
    """Run ``sql`` on its own connection; it must fail. Returns the error text."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # a lock wait must fail, not hang
            conn.execute(text("SET lock_timeout = '5s'"))
        with pytest.raises(DBAPIError) as info:
            conn.execute(text(sql), params or {})
            conn.commit()
        conn.rollback()
    return str(info.value)


def accepted(engine: Engine, sql: str, params: dict[str, Any] | None = None) -> int:
    with engine.begin() as conn:
        return conn.execute(text(sql), params or {}).rowcount


@pytest.fixture
def books(session: Session, company: Company) -> dict[str, int]:
    """One posted entry and one balanced draft, as ids."""
    posted = book(session, company, entry(
        "SAL", "2026-01-15", ("1100", "119", "0"), ("4000", "0", "100"), ("2100", "0", "19")))
    draft = simple(session, company, "6100", "1200", "800", "2026-01-20", post=False)
    e = get_entry(session, company, posted)
    d = get_entry(session, company, draft)
    ids = {
        "posted": posted,
        "posted_line": e.lines[0].id,
        "draft": draft,
        "draft_line": d.lines[0].id,
        "company": company.id,
    }
    session.rollback()  # end the read transaction: its locks would block TRUNCATE
    return ids


def snapshot(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return rows(engine, "entry"), rows(engine, "line")


# --- posted lines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE line SET debit = debit + 1 WHERE id = :id",
        "UPDATE line SET label = 'changed' WHERE id = :id",
        "UPDATE line SET posted = :false WHERE id = :id",
        "UPDATE line SET account_id = (SELECT min(id) FROM account) WHERE id = :id",
        "UPDATE line SET date = :day WHERE id = :id",
        "DELETE FROM line WHERE id = :id",
        "DELETE FROM line",
    ],
)
def test_posted_line_cannot_change(engine: Engine, books: dict[str, int], sql: str) -> None:
    before = snapshot(engine)
    message = refused(engine, sql, {"id": books["posted_line"], "false": False,
                                    "day": dt.date(2030, 1, 1)})
    assert "cannot be changed or deleted" in message
    assert snapshot(engine) == before


# --- posted entries --------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE entry SET ref = 'changed' WHERE id = :id",
        "UPDATE entry SET date = :day WHERE id = :id",
        "UPDATE entry SET number = 'SAL/2026/00099' WHERE id = :id",
        "UPDATE entry SET state = 'draft' WHERE id = :id",
        "UPDATE entry SET version = version WHERE id = :id",
        "DELETE FROM entry WHERE id = :id",
        "DELETE FROM entry",
    ],
)
def test_posted_entry_cannot_change(engine: Engine, books: dict[str, int], sql: str) -> None:
    before = snapshot(engine)
    message = refused(engine, sql, {"id": books["posted"], "day": dt.date(2030, 1, 1)})
    assert "cannot be changed or deleted" in message
    assert snapshot(engine) == before


def _line_values(books: dict[str, int], entry_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "uid": uuid7(), "version": 1, "created_at": utcnow(), "company_id": books["company"],
        "entry_id": entry_id, "account_id": extra.pop("account_id", None), "debit": 0,
        "credit": 0, "date": dt.date(2026, 1, 15), "posted": False, **extra,
    }


def _first_account(engine: Engine, company_id: int, code: str = "1000") -> int:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT id FROM account WHERE company_id = :c AND code = :code"),
            {"c": company_id, "code": code},
        ).scalar()
    assert found is not None
    return int(found)


def test_no_line_can_be_added_to_a_posted_entry(engine: Engine, books: dict[str, int]) -> None:
    before = snapshot(engine)
    cash = _first_account(engine, books["company"])
    for values in (
        _line_values(books, books["posted"], account_id=cash, debit=100),
        _line_values(books, books["posted"], account_id=cash),  # even an empty one
    ):
        with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="cannot be changed"):
                conn.execute(insert(Line), values)
            conn.rollback()
    assert snapshot(engine) == before


def test_a_draft_line_cannot_move_into_a_posted_entry(
    engine: Engine, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    refused(engine, "UPDATE line SET entry_id = :posted WHERE id = :line",
            {"posted": books["posted"], "line": books["draft_line"]})
    assert snapshot(engine) == before


def test_lines_are_not_marked_posted_behind_the_entrys_back(
    engine: Engine, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    refused(engine, "UPDATE line SET posted = :true WHERE id = :line",
            {"true": True, "line": books["draft_line"]})
    with engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(insert(Line), _line_values(
                books, books["draft"], account_id=_first_account(engine, books["company"]),
                posted=True))
        conn.rollback()
    assert snapshot(engine) == before


# --- entries inserted already posted (lines first, migration 0004) ----------------------

WAITING = 900_001  # the id of an entry whose lines arrive before it


def _posted_entry_values(books: dict[str, int], engine: Engine, **extra: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        journal = conn.execute(text("SELECT journal_id FROM entry WHERE id = :id"),
                               {"id": books["posted"]}).scalar()
    return {
        "id": WAITING, "uid": uuid7(), "version": 1, "created_at": utcnow(),
        "company_id": books["company"], "journal_id": journal, "date": dt.date(2026, 2, 1),
        "state": "posted", "number": "SAL/2026/00077", "posted_at": utcnow(), **extra,
    }


def _lines_ahead(
    books: dict[str, int], engine: Engine, amounts: list[tuple[int, int]], **extra: Any
) -> list[dict[str, Any]]:
    cash = _first_account(engine, books["company"])
    return [
        _line_values(books, WAITING, account_id=extra.get("account_id", cash), debit=debit,
                     credit=credit, posted=extra.get("posted", True))
        for debit, credit in amounts
    ]


def _insert_lines_then_entry(
    engine: Engine, lines: list[dict[str, Any]], entry_values: dict[str, Any] | None
) -> None:
    """Lines first with their entry reference deferred, then the entry, then commit."""
    with engine.connect() as conn:
        defer_entry_references(conn)
        conn.execute(insert(Line), lines)
        if entry_values is not None:
            conn.execute(insert(Entry), entry_values)
        conn.commit()


def test_an_entry_inserted_posted_with_its_balanced_lines_is_accepted(
    engine: Engine, books: dict[str, int]
) -> None:
    _insert_lines_then_entry(engine, _lines_ahead(books, engine, [(150, 0), (0, 150)]),
                             _posted_entry_values(books, engine))
    with engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM entry WHERE id = :id"),
                             {"id": WAITING}).scalar()
        posted = conn.execute(text("SELECT posted FROM line WHERE entry_id = :id"),
                              {"id": WAITING}).scalars().all()
    assert state == "posted" and len(posted) == 2 and all(posted)
    # and it is as frozen as any other posted entry
    before = snapshot(engine)
    refused(engine, "UPDATE line SET debit = 1 WHERE entry_id = :id", {"id": WAITING})
    refused(engine, "DELETE FROM entry WHERE id = :id", {"id": WAITING})
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("amounts", "extra", "message"),
    [
        ([(150, 0), (0, 149)], {}, "not balanced"),
        ([(150, 0), (0, 150)], {"posted": False}, "cannot have draft lines"),
        ([(150, 0), (0, 150)], {"foreign": True}, "belong to the company"),
    ],
)
def test_an_entry_inserted_posted_is_checked_against_the_lines_ahead_of_it(
    engine: Engine, session: Session, books: dict[str, int],
    amounts: list[tuple[int, int]], extra: dict[str, Any], message: str,
) -> None:
    extra = dict(extra)  # the parameters are shared by both databases' runs
    if extra.pop("foreign", False):
        other = create_company(session, "Other GmbH", "EUR", "DE")
        session.commit()
        extra["account_id"] = _first_account(engine, other.id, "6100")
    before = snapshot(engine)
    with pytest.raises(DBAPIError, match=message):
        _insert_lines_then_entry(engine, _lines_ahead(books, engine, amounts, **extra),
                                 _posted_entry_values(books, engine))
    assert snapshot(engine) == before


def test_a_posted_entry_cannot_be_inserted_directly(
    engine: Engine, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="not balanced or has no lines"):
            conn.execute(insert(Entry), _posted_entry_values(books, engine))
        conn.rollback()
    assert snapshot(engine) == before


def test_posted_lines_ahead_of_a_draft_are_refused(
    engine: Engine, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    with pytest.raises(DBAPIError, match="must be posted with it"):
        _insert_lines_then_entry(
            engine, _lines_ahead(books, engine, [(150, 0), (0, 150)]),
            _posted_entry_values(books, engine, state="draft", number=None, posted_at=None))
    assert snapshot(engine) == before


def test_posted_lines_whose_entry_never_comes_fail_the_commit(
    engine: Engine, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    with pytest.raises(DBAPIError, match=r"(?i)foreign key"):
        _insert_lines_then_entry(engine, _lines_ahead(books, engine, [(150, 0), (0, 150)]),
                                 None)
    assert snapshot(engine) == before


def test_lines_ahead_of_their_entry_need_the_reference_deferred(
    engine: Engine, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    with engine.connect() as conn:
        with pytest.raises(DBAPIError, match=r"(?i)foreign key"):
            conn.execute(insert(Line), _lines_ahead(books, engine, [(150, 0)]))
        conn.rollback()
    assert snapshot(engine) == before


def test_a_posted_line_cannot_join_an_existing_draft(
    engine: Engine, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    with engine.connect() as conn:
        defer_entry_references(conn)
        with pytest.raises(DBAPIError, match="cannot be changed"):
            conn.execute(insert(Line), _line_values(
                books, books["draft"], account_id=_first_account(engine, books["company"]),
                debit=5, posted=True))
        conn.rollback()
    assert snapshot(engine) == before


# --- posting through raw SQL -----------------------------------------------------------


def test_raw_sql_cannot_post_an_unbalanced_entry(engine: Engine, books: dict[str, int]) -> None:
    # unbalance the draft (allowed: it is a draft), then try to post it by hand
    accepted(engine, "UPDATE line SET debit = debit + 1 WHERE id = :id",
             {"id": books["draft_line"]})
    before = snapshot(engine)
    message = refused(engine, "UPDATE entry SET state = 'posted' WHERE id = :id",
                      {"id": books["draft"]})
    assert "not balanced" in message
    assert snapshot(engine) == before
    with engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM entry WHERE id = :id"),
                             {"id": books["draft"]}).scalar()
        posted = conn.execute(text("SELECT posted FROM line WHERE entry_id = :id"),
                              {"id": books["draft"]}).scalars().all()
    assert state == "draft"
    assert not any(posted)


def test_raw_sql_cannot_post_an_entry_without_lines(
    engine: Engine, books: dict[str, int]
) -> None:
    accepted(engine, "DELETE FROM line WHERE entry_id = :id", {"id": books["draft"]})
    before = snapshot(engine)
    assert "not balanced" in refused(
        engine, "UPDATE entry SET state = 'posted' WHERE id = :id", {"id": books["draft"]})
    assert snapshot(engine) == before


def test_raw_sql_cannot_post_lines_of_another_company(
    engine: Engine, session: Session, books: dict[str, int]
) -> None:
    other = create_company(session, "Other GmbH", "EUR", "DE")
    session.commit()
    foreign = _first_account(engine, other.id, "6100")
    accepted(engine, "UPDATE line SET account_id = :a WHERE id = :id",
             {"a": foreign, "id": books["draft_line"]})
    before = snapshot(engine)
    assert "belong to the company" in refused(
        engine, "UPDATE entry SET state = 'posted' WHERE id = :id", {"id": books["draft"]})
    assert snapshot(engine) == before


def test_raw_sql_posting_of_a_balanced_draft_marks_its_lines(
    engine: Engine, books: dict[str, int]
) -> None:
    """The guard is not a blanket refusal: a balanced draft posts and its lines follow."""
    assert accepted(engine, "UPDATE entry SET state = 'posted', number = 'MISC/2026/00001' "
                            "WHERE id = :id", {"id": books["draft"]}) == 1
    with engine.connect() as conn:
        posted = conn.execute(text("SELECT posted FROM line WHERE entry_id = :id"),
                              {"id": books["draft"]}).scalars().all()
    assert posted and all(posted)
    # and from now on it is as frozen as the other one
    before = snapshot(engine)
    refused(engine, "DELETE FROM line WHERE id = :id", {"id": books["draft_line"]})
    refused(engine, "UPDATE entry SET ref = 'x' WHERE id = :id", {"id": books["draft"]})
    assert snapshot(engine) == before


def test_drafts_stay_editable(engine: Engine, books: dict[str, int]) -> None:
    assert accepted(engine, "UPDATE line SET label = 'fixed' WHERE id = :id",
                    {"id": books["draft_line"]}) == 1
    assert accepted(engine, "UPDATE entry SET ref = 'fixed' WHERE id = :id",
                    {"id": books["draft"]}) == 1
    accepted(engine, "DELETE FROM line WHERE entry_id = :id", {"id": books["draft"]})
    assert accepted(engine, "DELETE FROM entry WHERE id = :id", {"id": books["draft"]}) == 1


def test_orm_changes_to_posted_rows_are_refused(
    engine: Engine, session: Session, company: Company, books: dict[str, int]
) -> None:
    before = snapshot(engine)
    posted = get_entry(session, company, books["posted"])
    posted.lines[0].debit += 100
    with pytest.raises(DBAPIError):
        session.commit()
    session.rollback()
    posted = get_entry(session, company, books["posted"])
    session.delete(posted.lines[1])
    with pytest.raises(DBAPIError):
        session.commit()
    session.rollback()
    assert snapshot(engine) == before


# --- backend-specific holes ------------------------------------------------------------


@pytest.mark.parametrize("table", ["line", "entry", "entry CASCADE", "company CASCADE"])
def test_truncate_is_refused_on_postgresql(
    engine: Engine, books: dict[str, int], table: str
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    before = snapshot(engine)
    message = refused(engine, f"TRUNCATE {table}")
    # Plain TRUNCATE of entry or line already fails on a foreign key to it (line's
    # to entry; open items' and settlements' to line) before any trigger runs.
    if table not in ("entry", "line"):
        assert "cannot be changed or deleted" in message
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "sql",
    [
        # REPLACE deletes the conflicting posted row without firing DELETE triggers
        "UPDATE OR REPLACE line SET id = :posted_line WHERE id = :draft_line",
        "INSERT OR REPLACE INTO line (id, uid, version, created_at, company_id, entry_id, "
        "account_id, debit, credit, date, posted) SELECT :posted_line, uid, version, "
        "created_at, company_id, entry_id, account_id, debit, credit, date, posted "
        "FROM line WHERE id = :draft_line",
    ],
)
def test_sqlite_replace_cannot_remove_a_posted_line(
    engine: Engine, books: dict[str, int], sql: str
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("OR REPLACE is SQLite syntax")
    before = snapshot(engine)
    with engine.connect() as conn:
        try:
            conn.execute(text(sql), {"posted_line": books["posted_line"],
                                     "draft_line": books["draft_line"]})
            conn.commit()
        except DBAPIError:
            conn.rollback()
    posted_line = [r for r in snapshot(engine)[1] if r[0] == books["posted_line"]]
    assert posted_line == [r for r in before[1] if r[0] == books["posted_line"]]
