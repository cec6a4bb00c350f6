"""Fixtures for the sync tests: a session factory, a sandbox bank, a linked company."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from booksync.db.engine import session_factory
from booksync.ledger.models import Company
from booksync.sandbox.server import SandboxHandle, start
from booksync.sandbox.world import World
from tests.sync.support import TODAY, Books, add_rates, connect


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def bank() -> Iterator[SandboxHandle]:
    handle = start(world=World(5, today=TODAY))
    yield handle
    handle.stop()


@pytest.fixture
def books(
    factory: sessionmaker[Session], session: Session, company: Company, bank: SandboxHandle
) -> Books:
    """The company connected to every sandbox account, rates for USD and JPY recorded."""
    add_rates(session, company)
    session.commit()
    return connect(factory, company.id, bank)


@pytest.fixture
def lean_books(
    factory: sessionmaker[Session], session: Session, company: Company, bank: SandboxHandle
) -> Books:
    """Only the busy EUR business and USD accounts: enough to prove a point, quick to sync."""
    add_rates(session, company)
    session.commit()
    return connect(factory, company.id, bank, profiles=("business", "usd"))
