"""Fixtures of the user tests: two companies and a user of each role."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.users.accounts import add_user
from booksync.users.models import AppUser

PASSWORD = "correct horse battery"


@pytest.fixture
def companies(session: Session) -> dict[str, int]:
    """Two companies, by name -> id."""
    made = {name: create_company(session, name, "EUR", "DE").id
            for name in ("Acme Ltd", "Globex GmbH")}
    session.commit()
    return made


@pytest.fixture
def owner(session: Session) -> AppUser:
    """An admin (every company)."""
    user = add_user(session, "Owner@Example.com ", "admin", [], PASSWORD)
    session.commit()
    return user


@pytest.fixture
def clerk(session: Session, companies: dict[str, int]) -> AppUser:
    """An accountant of Acme Ltd only."""
    user = add_user(session, "clerk@example.com", "accountant", ["Acme Ltd"], PASSWORD)
    session.commit()
    return user
