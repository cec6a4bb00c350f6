"""The listings read without the ORM answer exactly as the ORM path does.

On a SQLite file named plainly, ``account|journal|partner list`` read with
the driver alone (:mod:`booksync.ledger.lean`, docs/architecture.md,
"Command line"); a URL with an option (``?timeout=``) sends the same command
through the engine and the ORM services.  Both must print the same bytes,
tables and JSON, and refuse with the same sentence and exit code.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import Select

from booksync.db.location import plain_sqlite_file
from booksync.ledger import lean
from booksync.ledger.models import Account, Company, Journal, Partner
from tests.cli.clitools import Result, call

LISTINGS = [("account", "list"), ("journal", "list"), ("partner", "list")]


def _compiled(statement: Select[tuple[object, ...]]) -> str:
    return " ".join(str(statement.compile(dialect=sqlite.dialect())).split())


def test_the_statements_are_the_ones_the_orm_sends() -> None:
    """Same tables, columns, filters and order as the ORM services, for SQLite."""
    company = bindparam("company")
    orm = {
        lean.COMPANY_NAMED: select(Company.id).where(Company.name == bindparam("name")),
        lean.FIRST_COMPANIES: select(Company.id).order_by(Company.id).limit(2),
        lean.ACCOUNTS: select(
            Account.code, Account.name, Account.type, Account.reconcile, Account.active
        )
        .where(Account.company_id == company)
        .order_by(Account.code),
        lean.JOURNALS: select(Journal.code, Journal.name, Journal.type)
        .where(Journal.company_id == company)
        .order_by(Journal.code),
        lean.PARTNERS: select(Partner.name, Partner.iban, Partner.email)
        .where(Partner.company_id == company)
        .order_by(Partner.name),
    }
    for sql, statement in orm.items():
        assert _compiled(statement) == sql


@pytest.fixture
def books(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "books.db"
    shutil.copy(sqlite_template, path)
    return path


def _both(capsys: pytest.CaptureFixture[str], path: Path, *argv: str) -> tuple[Result, Result]:
    """``booksync ARGV`` read plainly, then through the ORM."""
    plain, orm = str(path), f"sqlite:///{path}?timeout=60"
    assert plain_sqlite_file(plain) is not None and plain_sqlite_file(orm) is None
    return call(capsys, "--db", plain, *argv), call(capsys, "--db", orm, *argv)


def _ok(capsys: pytest.CaptureFixture[str], path: Path, *argv: str) -> None:
    code, _, err = call(capsys, "--db", str(path), *argv)
    assert code == 0, err


def test_both_paths_print_the_same(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _ok(capsys, books, "init", "--company", "Acme Ltd")
    _ok(capsys, books, "init", "--company", "Beta [bold]GmbH[/bold]", "--currency", "USD")
    acme = ("--company", "Acme Ltd")
    _ok(
        capsys,
        books,
        *acme,
        "account",
        "add",
        "7999",
        "Zeta \u00e9",
        "--type",
        "expense",
        "--reconcile",
    )
    _ok(capsys, books, *acme, "account", "add", "10", "a lower", "--type", "asset")
    _ok(
        capsys,
        books,
        *acme,
        "partner",
        "add",
        "Zo\u00eb GmbH",
        "--iban",
        "DE89370400440532013000",
        "--email",
        "z@example.com",
    )
    _ok(capsys, books, *acme, "partner", "add", "acme lower")
    _ok(capsys, books, *acme, "partner", "add", "Bob :warning: [red]x[/red]")
    _ok(
        capsys,
        books,
        *acme,
        "bank-account",
        "create",
        "--account-number",
        "DE89370400440532013000",
        "--bank",
        "Bank X",
    )
    with sqlite3.connect(books) as conn:
        conn.execute("UPDATE account SET active = 0 WHERE code = '7999'")
    for company in (
        [],
        ["--company", "Acme Ltd"],
        ["--company", "Beta [bold]GmbH[/bold]"],
        ["--company", "Nobody"],
    ):
        for listing in LISTINGS:
            for shape in ([], ["--json"]):
                plain, orm = _both(capsys, books, *company, *listing, *shape)
                assert plain == orm, (company, listing, shape)
    plain, _ = _both(capsys, books, "--company", "Acme Ltd", "account", "list", "--json")
    assert '"active": false' in plain[1] and '"reconcile": true' in plain[1]
    assert _both(capsys, books, "journal", "list")[0][0] == 1  # two companies: name one


def test_both_paths_refuse_alike(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for listing in LISTINGS:  # no company yet
        plain, orm = _both(capsys, books, *listing)
        assert plain == orm and plain[0] == 1
    _ok(capsys, books, "init", "--company", "Acme Ltd")
    with sqlite3.connect(books) as conn:  # a table gone: the database's refusal, one line
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DROP TABLE partner")
    plain, orm = _both(capsys, books, "partner", "list")
    assert plain == orm
    assert plain[0] == 1 and "no such table: partner" in plain[2]
