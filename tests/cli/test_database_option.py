"""``--db``: bad URLs, empty values, missing files and databases never initialised.

Only ``init`` and ``demo`` create a database; every other command says what
is wrong in one sentence and leaves the file system as it was.  A URL in a
message never shows its password.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from booksync.errors import KINDS
from tests.cli.clitools import Result, call, ok_json, one_error
from tests.conftest import PG_URL

READ_ONLY = [
    ("account", "list"),
    ("journal", "list"),
    ("partner", "list"),
    ("currency", "list"),
    ("currency", "rate", "list"),
    ("institution", "list"),
    ("entry", "list"),
    ("entry", "show", "1"),
    ("report", "trial-balance"),
    ("connection", "list"),
    ("sync", "log"),
    ("sync", "--all"),
    ("statement", "list", "--journal", "BNK1"),
    ("worker", "--once"),
    ("export", "beancount", "out.beancount"),
]

# The exit code of a database that cannot be used, for scripts to tell it apart.
DATABASE_UNAVAILABLE = KINDS["database_unavailable"].exit_code


def db_error(result: Result, *fragments: str) -> str:
    return one_error(result, *fragments, exit_code=DATABASE_UNAVAILABLE)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgresql://postgres:s3cret@[::1", "is not valid"),
        ("postgresql://postgres:s3cret@localhost:port/test", "is not valid"),
        ("mysql://root:s3cret@localhost/books", "is not valid"),
        ("postgresql+asyncpg://postgres:s3cret@localhost/test", "is not valid"),
        ("oracle://scott:s3cret@db/books", "is not valid"),
        ("://s3cret@x", "is not valid"),
        ("sqlite:///x.db?bogus=1", "SQLite takes only the options"),
        ("postgresql://postgres:s3cret@127.0.0.1/test?password=s3cret&sslmode=bogus[",
         "cannot be opened"),
    ],
)
def test_a_bad_url_is_one_sentence_without_its_password(
    capsys: pytest.CaptureFixture[str], url: str, fragment: str
) -> None:
    line = db_error(call(capsys, "--db", url, "account", "list"), fragment)
    assert "s3cret" not in line


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_db_option_is_refused(
    capsys: pytest.CaptureFixture[str], value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    db_error(call(capsys, "--db", value, "account", "list"), "--db is empty")
    db_error(call(capsys, "--db", value, "init"), "--db is empty")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READ_ONLY)
def test_commands_other_than_init_never_create_a_database(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "sub" / "x.db"
    db_error(
        call(capsys, "--db", str(target), *args),
        f"database {target} does not exist; run `booksync init` first",
    )
    assert list(tmp_path.iterdir()) == []


def test_init_creates_the_folder_and_the_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "sub" / "x.db"
    assert call(capsys, "--db", str(target), "init", "--company", "Acme Ltd")[0] == 0
    assert ok_json(lambda *a: call(capsys, "--db", str(target), *a), "entry", "list") == []


def test_a_file_without_the_schema_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    db_error(call(capsys, "--db", str(empty), "account", "list"), "run `booksync init` first",
              "not a booksync database")
    assert empty.stat().st_size == 0
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all, only some text " * 200)
    db_error(call(capsys, "--db", str(garbage), "account", "list"), str(garbage))


def test_an_uninitialised_postgresql_schema_is_named(
    capsys: pytest.CaptureFixture[str], pg_admin: Engine
) -> None:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
        db_error(call(capsys, "--db", url, "account", "list"), "not a booksync database",
                  "run `booksync init` first")
        assert call(capsys, "--db", url, "init", "--company", "Acme Ltd")[0] == 0
        assert call(capsys, "--db", url, "account", "list")[0] == 0
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def test_an_unreachable_postgresql_server_is_one_sentence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:1/test"
    line = db_error(call(capsys, "--db", url, "account", "list"))
    assert "s3cret" not in line


def test_the_default_database_is_not_created_by_a_read(tmp_path: Path) -> None:
    """A real process with no --db: the user data folder stays as it was until init."""
    env = {k: v for k, v in os.environ.items() if k != "BOOKSYNC_DATABASE_URL"}
    env |= {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    probe = ["-c", "from booksync.cli.main import main; main()"]
    read = subprocess.run(
        [sys.executable, *probe, "account", "list"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert read.returncode == DATABASE_UNAVAILABLE, read.stderr
    assert read.stderr.startswith("error: database ") and "booksync init" in read.stderr
    assert len(read.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
    made = subprocess.run(
        [sys.executable, *probe, "init", "--company", "Acme Ltd"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "data" / "booksync" / "booksync.db").exists()
