"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

``db_url`` yields a fresh, migrated database: a copy of a migrated SQLite
file, or a copy of a migrated database on the PostgreSQL server named by
``BOOKSYNC_TEST_DATABASE_URL`` (default: the local server, database ``test``;
its role needs CREATEDB), made ahead of time (``tests/pg_copies.py``).
Without a reachable server the PostgreSQL cases skip, except under ``CI=true``
where they fail: CI must exercise both databases.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from booksync.app.companies import create_company
from booksync.db.engine import make_engine, session_factory
from booksync.db.migrate import upgrade
from booksync.ledger.models import Company
from tests.pg_copies import TemplateCopies

PG_URL = os.environ.get(
    "BOOKSYNC_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    b.strip() for b in os.environ.get("BOOKSYNC_TEST_DATABASES", "sqlite,postgresql").split(",")
]

# A fuzz test that names no max_examples runs the profile's (docs/testing.md,
# "Property tests and fuzzing"): hypothesis's usual 100 in the suite, far more
# when BOOKSYNC_HYPOTHESIS_PROFILE=fuzz asks for a long search.
settings.register_profile("ci", max_examples=100)
settings.register_profile("fuzz", max_examples=10_000)
settings.load_profile(os.environ.get("BOOKSYNC_HYPOTHESIS_PROFILE", "ci"))


def _pg_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to reach the server means "not here"
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test seals credentials with its own key, never the user's key file."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("BOOKSYNC_SECRET_KEY", key)
    return key


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    reason = _pg_available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
        pytest.skip(reason)
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _pg_database_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template(pg_admin: Engine) -> Iterator[str]:
    """A database migrated once per session, copied for each test.

    ``CREATE DATABASE ... TEMPLATE`` copies it in a tenth of the time an
    Alembic upgrade of a new schema takes, and the suite makes hundreds.
    The test role needs the CREATEDB privilege.
    """
    name = f"booksync_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(_pg_database_url(name))
    upgrade(engine)
    engine.dispose()
    yield name
    with pg_admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def pg_copies(pg_template: str) -> Iterator[TemplateCopies]:
    conninfo = make_url(PG_URL).set(drivername="postgresql")
    copies = TemplateCopies(conninfo.render_as_string(hide_password=False), pg_template)
    yield copies
    copies.close()


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database for one test, as a URL the CLI accepts too."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "books.db"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    copies: TemplateCopies = request.getfixturevalue("pg_copies")
    name = copies.take()
    yield _pg_database_url(name)
    copies.give_back(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def company(session: Session) -> Company:
    company = create_company(session, "Acme Ltd", "EUR", "DE")
    session.commit()
    return company
