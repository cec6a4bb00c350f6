"""Migration 0013 adds the user tables and takes them away again, users and all."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from booksync.db.engine import session_factory
from booksync.users.accounts import add_user, list_users
from tests.helpers import migrate_to

TABLES = {"app_user", "app_user_company", "web_session", "api_token", "login_attempt"}


def test_0013_goes_down_and_up(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        add_user(session, "owner@example.com", "admin", [], "correct horse")
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrate_to(engine, "0012")
    assert TABLES.isdisjoint(inspect(engine).get_table_names())
    migrate_to(engine, "head")
    indexes = {i["name"] for t in TABLES for i in inspect(engine).get_indexes(t)}
    assert {"ix_login_attempt_email_at", "ix_login_attempt_remote_at",
            "ix_web_session_user_id", "ix_api_token_user_id"} <= indexes
    with session_factory(engine).begin() as session:
        assert list_users(session) == []
        add_user(session, "owner@example.com", "admin", [], "correct horse")
