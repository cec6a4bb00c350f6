"""Fixtures of the web tests: the app over a fresh database, users of each role, clients.

``web`` is the app over the ``engine`` fixture's database (SQLite and
PostgreSQL) with two companies and one user per role; ``sign_in(email)``
gives an httpx client (FastAPI's TestClient, over ``https://`` so that the
Secure session cookie is sent) signed in as that user, its CSRF token at
``client.csrf``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.ledger.models import Company
from booksync.users.accounts import add_user
from booksync.web.app import WebConfig, create_app

PASSWORD = "correct horse battery"
USERS = {
    "admin@example.com": ("admin", []),
    "accountant@example.com": ("accountant", ["Acme Ltd"]),
    "viewer@example.com": ("viewer", ["Acme Ltd"]),
    "outsider@example.com": ("accountant", ["Globex GmbH"]),
}
ADMIN, ACCOUNTANT, VIEWER, OUTSIDER = USERS
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Client(TestClient):
    csrf: str = ""


@dataclass
class Web:
    app: FastAPI
    engine: Engine
    company: Company
    other: Company

    def client(self) -> Client:
        return Client(self.app, base_url="https://testserver", follow_redirects=False)

    def sign_in(self, email: str) -> Client:
        client = self.client()
        answer = client.post("/login", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        # A page every role may read that renders quickly: /api/docs would first
        # build each test's new app's OpenAPI schema, a fifth of a second.
        page = client.get("/reports")
        found = CSRF.search(page.text)
        assert found, "the layout carries the session's CSRF token"
        client.csrf = found.group(1)
        return client


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lightest: the web tests hash four passwords and check some at
    every sign-in, and what they test is the app, not the hash's cost (tests/users
    holds the real parameters)."""
    from argon2 import PasswordHasher

    from booksync.users import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8,
                                                             parallelism=1))


@pytest.fixture
def web(engine: Engine, session: Session, company: Company) -> Iterator[Web]:
    other = create_company(session, "Globex GmbH", "EUR", "DE")
    for email, (role, companies) in USERS.items():
        add_user(session, email, role, companies, PASSWORD)
    session.commit()
    yield Web(create_app(engine, WebConfig()), engine, company, other)


@pytest.fixture
def sign_in(web: Web) -> Callable[[str], Client]:
    return web.sign_in
