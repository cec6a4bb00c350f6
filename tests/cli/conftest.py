"""Fixtures of the CLI tests: a fresh database per test (both backends), and a company."""

from __future__ import annotations

import pytest

from tests.cli.clitools import Cli, Result, call


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli("entry", "list", "--json")`` -> (exit code, stdout, stderr)."""

    def run_on_db(*args: str, company: str | None = None) -> Result:
        chosen = ["--company", company] if company else []
        return call(capsys, "--db", db_url, *chosen, *args)

    return run_on_db


@pytest.fixture
def acme(cli: Cli) -> Cli:
    code, _, err = cli("init", "--company", "Acme Ltd")
    assert code == 0, err
    return cli
