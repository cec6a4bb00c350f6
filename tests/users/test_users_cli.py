"""``booksync user`` and ``booksync token`` end to end, through the command line's entry point."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from booksync.db.engine import make_engine, session_factory
from booksync.users.models import ApiToken, AppUser
from booksync.users.tokens import resolve_token
from tests.cli.clitools import Result, call, one_error

PASSWORD = "correct horse battery"
Run = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli("user", "list", stdin="...")`` -> (exit code, stdout, stderr), on a database
    with two companies."""

    def run_on_db(*args: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return call(capsys, "--db", db_url, *args)

    for name in ("Acme Ltd", "Globex GmbH"):
        code, _, err = run_on_db("init", "--company", name)
        assert code == 0, err
    return run_on_db


def _secrets(db_url: str) -> list[str]:
    """Every hash the database holds, as stored."""
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return [*session.scalars(select(AppUser.password_hash)),
                    *session.scalars(select(ApiToken.token_hash))]
    finally:
        engine.dispose()


def _resolves(db_url: str, token: str) -> bool:
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            return resolve_token(session, token) is not None
    finally:
        engine.dispose()


def test_a_password_is_only_taken_from_stdin(cli: Run) -> None:
    code, out, err = cli("user", "add", "owner@example.com", "--role", "admin", stdin=PASSWORD)
    assert code == 2 and "--password-stdin" in err and "shell history" in err
    code, out, _ = cli("user", "list", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_users_are_added_listed_and_disabled(cli: Run, db_url: str) -> None:
    code, out, err = cli("user", "add", "Owner@Example.com", "--role", "admin", "--password-stdin",
                         "--json", stdin=PASSWORD + "\nsecond line ignored\n")
    assert code == 0, err
    owner = json.loads(out)
    assert set(owner) == {"id", "email", "role", "all_companies", "companies", "disabled",
                        "created_at"}
    assert (owner["email"], owner["role"], owner["all_companies"], owner["companies"]) == (
        "owner@example.com", "admin", True, [])
    code, out, err = cli("user", "add", "clerk@example.com", "--role", "viewer",
                         "--company", "Globex GmbH", "--company", "Acme Ltd",
                         "--password-stdin", stdin=PASSWORD + "\r\n")
    assert (code, out.strip()) == (
        0, "added user clerk@example.com (viewer, sees Acme Ltd, Globex GmbH)"), err

    code, out, err = cli("user", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [(u["email"], u["companies"], u["disabled"]) for u in listed] == [
        ("clerk@example.com", ["Acme Ltd", "Globex GmbH"], False),
        ("owner@example.com", [], False),
    ]
    hashes = _secrets(db_url)
    assert len(hashes) == 2 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(h in out for h in hashes) and PASSWORD not in out and "argon2" not in out

    code, out, _ = cli("user", "disable", "CLERK@example.com")
    assert (code, out.strip()) == (0, "disabled user clerk@example.com: sessions ended, "
                                      "tokens revoked")
    code, out, _ = cli("user", "list")
    assert code == 0 and "clerk@example.com" in out and "yes" in out and "Acme Ltd" in out


def test_the_password_line_s_break_is_not_part_of_it(cli: Run, db_url: str) -> None:
    from booksync.users.accounts import authenticate

    assert cli("user", "add", "owner@example.com", "--role", "viewer", "--password-stdin",
               stdin=" spaced pass \r\n")[0] == 0
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        assert authenticate(session, "owner@example.com", " spaced pass ") is not None
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [(("owner@example.com", "--role", "admin"), PASSWORD, "already exists"),
     (("clerk@example.com", "--role", "viewer"), "short12\n", "at least 8 characters"),
     (("clerk@example.com", "--role", "viewer"), "", "at least 8 characters"),
     (("clerk@example.com", "--role", "boss"), PASSWORD, "role 'boss' is not one of"),
     (("clerk@example.com", "--role", "viewer", "--company", "Nope"), PASSWORD,
      "no company named 'Nope'"),
     (("clerk", "--role", "viewer"), PASSWORD, "'clerk' is not an email address")],
)
def test_a_refused_user_is_one_sentence_without_the_password(
    cli: Run, args: tuple[str, ...], stdin: str, fragment: str
) -> None:
    assert cli("user", "add", "owner@example.com", "--role", "admin", "--password-stdin",
               stdin=PASSWORD)[0] == 0
    result = cli("user", "add", *args, "--password-stdin", stdin=stdin)
    line = one_error(result, fragment)
    assert (stdin.strip() or PASSWORD) not in line
    code, out, _ = cli("user", "list", "--json")
    assert code == 0 and [u["email"] for u in json.loads(out)] == ["owner@example.com"]


def test_a_token_is_printed_once_and_works_until_its_user_is_disabled(
    cli: Run, db_url: str
) -> None:
    assert cli("user", "add", "owner@example.com", "--role", "accountant", "--password-stdin",
               stdin=PASSWORD)[0] == 0
    code, out, err = cli("token", "create", "--user", "owner@example.com", "--name", "ci")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("bks_") and "\n" not in token
    assert "shown only this once" in err and token not in err
    assert _resolves(db_url, token)

    code, out, err = cli("token", "create", "--user", "OWNER@example.com", "--json")
    assert code == 0, err
    created = json.loads(out)
    assert set(created) == {"id", "name", "user", "token", "created_at"}
    assert (created["name"], created["user"]) == ("api", "owner@example.com")
    assert _resolves(db_url, created["token"])

    hashes = _secrets(db_url)
    code, out, _ = cli("user", "list", "--json")
    assert not any(h in out for h in hashes) and token not in out

    assert cli("user", "disable", "owner@example.com")[0] == 0
    assert not _resolves(db_url, token) and not _resolves(db_url, created["token"])
    one_error(cli("token", "create", "--user", "owner@example.com"), "is disabled")
    one_error(cli("token", "create", "--user", "cy@example.com"), "no user with the email")


def test_the_installed_command_reads_the_password_from_a_pipe(cli: Run, db_url: str) -> None:
    """The real ``booksync`` script, its stdin a pipe as in ``echo ... | booksync user add``."""
    script = Path(sys.executable).with_name("booksync")
    done = subprocess.run(
        [str(script), "--db", db_url, "user", "add", "owner@example.com", "--role", "viewer",
         "--company", "Acme Ltd", "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    done = subprocess.run([str(script), "--db", db_url, "user", "list", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (user,) = json.loads(done.stdout)
    assert (user["email"], user["companies"]) == ("owner@example.com", ["Acme Ltd"])


def test_undecodable_input_is_one_sentence(cli: Run, db_url: str) -> None:
    """Bytes a shell could not decode reach booksync as lone surrogates."""
    script = Path(sys.executable).with_name("booksync")
    for args, stdin in (
        (["user", "add", "owner@example.com", "--role", "viewer", "--password-stdin"],
         b"\xff\xfe password\n"),
        (["user", "add", b"\xff@example.com", "--role", "viewer", "--password-stdin"],
         PASSWORD.encode() + b"\n"),
        (["user", "disable", b"\xff@example.com"], b""),
        (["token", "create", "--user", b"\xff@example.com"], b""),
    ):
        done = subprocess.run([str(script), "--db", db_url, *args], input=stdin,
                              capture_output=True, timeout=60)
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode == 1, err
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
