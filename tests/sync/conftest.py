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
    with start(world=World(5, today=TODAY)) as handle:
        yield handle


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
    return _linked(factory, session, company, bank, ("business", "usd"))


def _linked(
    factory: sessionmaker[Session],
    session: Session,
    company: Company,
    bank: SandboxHandle,
    profiles: tuple[str, ...],
) -> Books:
    add_rates(session, company)
    session.commit()
    return connect(factory, company.id, bank, profiles=profiles)


@pytest.fixture
def live_bank() -> Iterator[SandboxHandle]:
    """A sandbox bank whose today is the real one, as the CLI's window is."""
    with start(world=World(5)) as handle:
        yield handle


@pytest.fixture
def live_books(
    factory: sessionmaker[Session], session: Session, company: Company, live_bank: SandboxHandle
) -> Books:
    """The EUR business account of ``live_bank``: for runs of the CLI in other processes."""
    return _linked(factory, session, company, live_bank, ("business",))
