"""The use cases: one transaction each, results as JSON, no secret in a repr."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from booksync.app.shapes import as_json
from booksync.app.users import add_user, create_token, disable_user, users
from booksync.errors import BooksyncError
from tests.users.conftest import PASSWORD


def test_use_cases_return_views_and_commit(engine: Engine, companies: dict[str, int]) -> None:
    view = add_user(engine, "clerk@example.com", "viewer", ["Globex GmbH", "Acme Ltd"], PASSWORD)
    assert (view.all_companies, view.companies) == (False, ["Acme Ltd", "Globex GmbH"])
    shaped = as_json(view)
    assert shaped["created_at"] == view.created_at.isoformat() and "password" not in str(shaped)
    created = create_token(engine, "clerk@example.com", "ci")
    assert created.token not in repr(created) and created.user == "clerk@example.com"
    assert as_json(created)["token"] == created.token
    assert disable_user(engine, "clerk@example.com").disabled
    assert [(u.email, u.disabled) for u in users(engine)] == [("clerk@example.com", True)]


def test_a_refused_use_case_writes_nothing(engine: Engine, companies: dict[str, int]) -> None:
    with pytest.raises(BooksyncError, match="no company named"):
        add_user(engine, "clerk@example.com", "viewer", ["Acme Ltd", "Nope"], PASSWORD)
    assert users(engine) == []
