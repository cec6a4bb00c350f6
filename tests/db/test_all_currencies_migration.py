"""Migration 0017 gives books made with the shorter currency table every code in use."""

from __future__ import annotations

from sqlalchemy import Engine, text

from booksync.money import CURRENCIES
from tests.helpers import migrate_to


def test_books_from_before_get_the_currencies_they_lack_and_keep_their_own(
    engine: Engine,
) -> None:
    migrate_to(engine, "0016")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO currency (code, name, exponent, uid, version, created_at) VALUES "
            "('EUR', 'Euro as it was', 2, '0190f0c0000070008000000000000001', 1, "
            "'2026-01-01 00:00:00')" if engine.dialect.name == "sqlite" else
            "INSERT INTO currency (code, name, exponent, uid, version, created_at) VALUES "
            "('EUR', 'Euro as it was', 2, '0190f0c0-0000-7000-8000-000000000001', 1, "
            "'2026-01-01 00:00:00+00')"))
    migrate_to(engine, "head")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT code, name FROM currency")).tuples().all())
        rub = conn.execute(text("SELECT exponent FROM currency WHERE code = 'RUB'")).scalar()
    assert set(rows) == set(CURRENCIES)
    assert rows["EUR"] == "Euro as it was" and rub == 2


def test_new_books_are_left_to_init(engine: Engine) -> None:
    migrate_to(engine, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM currency")).scalar() == 0
