"""The bulk writer under the ledger and the statement importer (``booksync.db.bulk``)."""

from __future__ import annotations

import datetime as dt
import pickle
import uuid

import pytest
from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booksync.db import bulk
from booksync.db.bulk import BulkInsert, BulkSQL, Insert, Stamps
from booksync.ledger.models import Company, Line, Partner
from tests.helpers import simple


def _table(model: type[Partner] | type[Line]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def test_ids_come_back_in_the_order_of_the_rows(session: Session, company: Company) -> None:
    """Over several statements (500 rows each), and read back through the ORM as any row."""
    names = [f"Partner {n:04d}" for n in range(1234, 0, -1)]
    started = dt.datetime.now(dt.UTC)
    writer = BulkInsert(session.connection(), _table(Partner), ("company_id", "name"))
    ids = writer.insert_returning_ids([(company.id, name) for name in names])
    session.commit()
    assert len(set(ids)) == len(names)
    read = {p.id: p for p in session.scalars(select(Partner).where(Partner.id.in_(ids)))}
    assert [read[i].name for i in ids] == names
    one = read[ids[0]]
    assert isinstance(one.uid, uuid.UUID) and one.uid.version == 7
    assert one.version == 1 and one.created_at >= started.replace(microsecond=0)
    assert one.created_at.tzinfo is not None


def test_rows_without_ids_back(session: Session, company: Company) -> None:
    """On PostgreSQL these go by COPY: the rows read back the same."""
    BulkInsert(session.connection(), _table(Partner), ("company_id", "name", "email")).insert(
        [(company.id, "O'Brien & Co", "ob@example.com"), (company.id, "Tab\\less", None)]
    )
    BulkInsert(session.connection(), _table(Partner), ("company_id", "name")).insert([])
    session.commit()
    rows = session.execute(
        select(Partner.name, Partner.email, Partner.version)
        .where(Partner.company_id == company.id).order_by(Partner.name)
    ).all()
    assert [tuple(r) for r in rows] == [("O'Brien & Co", "ob@example.com", 1),
                                        ("Tab\\less", None, 1)]


@pytest.mark.parametrize("copy", [True, False])
def test_a_refusal_of_the_database_is_an_sqlalchemy_error(
    session: Session, company: Company, monkeypatch: pytest.MonkeyPatch, copy: bool
) -> None:
    """A trigger's refusal reaches the application as from any statement (its ``booksync:``)."""
    monkeypatch.setattr(bulk, "PG_COPY", copy)
    posted = simple(session, company, "6100", "1000", "50", "2026-01-10")
    account = session.scalar(select(Line.account_id).where(Line.entry_id == posted).limit(1))
    columns = ("company_id", "entry_id", "account_id", "debit", "credit", "date", "posted")
    writer = BulkInsert(session.connection(), _table(Line), columns)
    with pytest.raises(DBAPIError, match="booksync: posted entries and lines cannot be changed"):
        writer.insert([(company.id, posted, account, 0, 0, dt.date(2026, 1, 10), False)])
    session.rollback()


def test_statements_carry_their_constants(engine: Engine) -> None:
    insert = Insert("line", ("uid", "label"), {"version": 1, "posted": True, "ref": "it's {x}"},
                    returning="uid, id")
    sql = BulkSQL(engine.dialect).text(insert.statement, 2)
    mark = ["?", "?", "?", "?"] if engine.dialect.name == "sqlite" else ["$1", "$2", "$3", "$4"]
    assert sql == (
        "INSERT INTO line (uid, label, version, posted, ref) VALUES "
        f"({mark[0]}, {mark[1]}, 1, TRUE, 'it''s {{x}}'), "
        f"({mark[2]}, {mark[3]}, 1, TRUE, 'it''s {{x}}') "
        "RETURNING uid, id"
    )


def test_stamps_pickle_to_a_producer(engine: Engine) -> None:
    stamps = pickle.loads(pickle.dumps(Stamps(engine.dialect)))
    uids = stamps.uids(3)
    assert uids == sorted(uids) and len(set(uids)) == 3
    assert stamps.now() is not None
