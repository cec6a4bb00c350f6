"""One user-facing error type: every kind has a stable code, an exit code and a status."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import booksync
from booksync.app.errors import user_error
from booksync.errors import KINDS, BooksyncError
from booksync.ledger.errors import NotFound


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_every_error_class_in_the_package_has_a_listed_code() -> None:
    for module in pkgutil.walk_packages(booksync.__path__, "booksync."):
        if ".migrations" not in module.name and ".cli" not in module.name:
            importlib.import_module(module.name)
    classes = _all_subclasses(BooksyncError)
    assert len(classes) >= 15
    for cls in classes:
        assert cls.code in KINDS, cls


def test_a_raise_site_may_name_a_precise_code_and_only_a_listed_one() -> None:
    error = NotFound("no such invoice", code="conflict")
    assert (error.code, error.exit_code, error.http_status) == ("conflict", 1, 409)
    assert NotFound("x").http_status == 404
    with pytest.raises(ValueError, match="unknown error code"):
        BooksyncError("x", code="no-such-code")


def test_database_and_file_errors_become_user_errors_and_bugs_stay_bugs(tmp_path) -> None:
    import sqlite3

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text(
            "CREATE TRIGGER t_no BEFORE INSERT ON t BEGIN "
            "SELECT RAISE(ABORT, 'booksync: nothing goes into t'); END"
        ))
    with pytest.raises(SQLAlchemyError) as info, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    refused = user_error(info.value)
    assert refused is not None
    assert (refused.code, str(refused)) == ("refused_by_database", "nothing goes into t")
    busy = user_error(sqlite3.OperationalError("database is locked"))
    assert busy is not None and busy.code == "database_busy" and busy.exit_code == 3
    missing = user_error(FileNotFoundError(2, "No such file or directory", "in.jsonl"))
    assert missing is not None
    assert (missing.code, str(missing)) == ("file_error", "No such file or directory: in.jsonl")
    assert user_error(KeyError("bug")) is None
