"""Rows given column by column, with ids taken before the insert (``BulkInsert.insert_columns``).

The statement booking path writes a hundred thousand statement lines and
aliases this way (docs/ledger.md, "Bank lines in bulk"); here on a plain
table, on SQLite and PostgreSQL, read back through the ORM.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Date, Engine, Table, column, select
from sqlalchemy.orm import Session

from booksync.db import bulk
from booksync.db.base import UTCDateTime
from booksync.db.bulk import BulkInsert, Same
from booksync.ledger.models import Company, Partner


def _partners(session: Session) -> BulkInsert:
    table = Partner.__table__
    assert isinstance(table, Table)
    return BulkInsert(session.connection(), table, ("company_id", "name", "email"))


def test_ids_taken_ahead_follow_the_rows_and_the_rows_already_there(
    session: Session, company: Company
) -> None:
    session.add(Partner(company_id=company.id, name="Already there"))
    session.flush()
    before = session.scalar(select(Partner.id).where(Partner.name == "Already there"))
    assert before is not None
    names = [f"Partner {n:04d}" for n in range(1203, 0, -1)]
    emails = [None if n % 3 else f"p{n}@example.com" for n in range(len(names))]
    ids = _partners(session).insert_columns(len(names), [Same(company.id), names, emails],
                                           ids=True)
    more = _partners(session).insert_columns(1, [Same(company.id), ["Last"], Same(None)],
                                            ids=True)
    session.commit()
    assert ids == sorted(ids) and len(set(ids)) == len(names) and ids[0] > before
    assert more[0] > ids[-1]
    read = {p.id: p for p in session.scalars(select(Partner).where(Partner.company_id
                                                                   == company.id))}
    assert [(read[i].name, read[i].email) for i in ids] == list(zip(names, emails, strict=True))
    assert read[more[0]].email is None and read[more[0]].version == 1


def test_no_ids_asked_none_given(session: Session, company: Company) -> None:
    assert _partners(session).insert_columns(2, [Same(company.id), ["A", "B"], ["a@example.com",
                                                                              None]]) == []
    assert _partners(session).insert_columns(0, [Same(company.id), [], []], ids=True) == []
    session.commit()
    names = session.scalars(select(Partner.name).where(Partner.company_id == company.id)
                            .order_by(Partner.name)).all()
    assert names == ["A", "B"]


def test_a_column_that_does_not_fit_is_refused(session: Session, company: Company) -> None:
    with pytest.raises(ValueError, match="2 columns given, 3 expected"):
        _partners(session).insert_columns(1, [Same(company.id), ["A"]])
    with pytest.raises(ValueError, match="a column of 1 values for 2 rows"):
        _partners(session).insert_columns(2, [Same(company.id), ["A"], [None, None]])


def test_instants_are_stored_each_as_itself(engine: Engine) -> None:
    """Equal instants written in different zones format differently on SQLite, which keeps
    the wall time: each is processed as the column's own processor does, whether the
    instants repeat (remembered by value and offset) or seldom do (each processed)."""
    process = bulk.bind_processor(column("at", UTCDateTime()), engine.dialect)
    utc = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    paris = utc.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert utc == paris
    repeating = [utc, paris, None, utc, paris, utc, utc, utc]
    distinct = [utc + dt.timedelta(seconds=n) for n in range(6)] + [paris, None]
    for values in (repeating, distinct):
        assert bulk._processed(values, process, True) == [
            None if v is None else process(v) for v in values
        ]
    days = [dt.date(2026, 1, 1 + n % 3) for n in range(9)] + [None]
    day = bulk.bind_processor(column("day", Date()), engine.dialect)
    assert bulk._processed(days, day, True) == [None if v is None else day(v) for v in days]
