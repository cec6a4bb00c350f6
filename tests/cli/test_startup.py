"""Every command starts without the libraries and modules only other commands use.

Starting Python and the CLI is part of every command's time (docs/architecture.md,
"Command line"): ``booksync --help`` imports no command module, no SQLAlchemy,
httpx, Alembic or Beancount, and ``booksync journal list`` on a SQLite file
only the modules that read it.  These tests hold that by what a fresh process
has imported, never by timing.  The registry that lets ``--help`` list the
commands without importing them is held to the commands themselves.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup

import booksync.cli
from booksync.cli.main import app, module_commands, run
from booksync.cli.registry import COMMANDS

HEAVY = (
    "sqlalchemy",
    "httpx",
    "alembic",
    "beancount",
    "psycopg",
    "cryptography",
    "schwifty",
    "pydantic",  # Typer's value checks, only for values that need them (cli/typer_checks.py)
)
COMMAND_MODULES = sorted({e.module for e in COMMANDS.values()})


def _imported_after(argv: list[str]) -> tuple[int, list[str]]:
    """Run ``booksync ARGV`` in a fresh interpreter: its exit code and every module it imported."""
    probe = (
        "import json, sys\n"
        "from booksync.cli.main import run\n"
        f"code = run({argv!r})\n"
        "sys.stdout.flush()\n"
        "sys.stdout.write('\\n' + json.dumps([code, sorted(sys.modules)]) + '\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return code, modules


def _under(modules: list[str], *roots: str) -> list[str]:
    return [m for m in modules if any(m == r or m.startswith(r + ".") for r in roots)]


def test_help_imports_no_command_module_and_no_heavy_library() -> None:
    code, modules = _imported_after(["--help"])
    assert code == 0
    assert _under(modules, *HEAVY) == []
    assert _under(modules, *COMMAND_MODULES, "booksync.cli.output") == []
    assert _under(modules, "booksync.ledger", "booksync.banking", "booksync.sync") == []
    assert _under(modules, "booksync.db", "booksync.formats", "booksync.providers") == []


def test_no_arguments_shows_the_help_without_importing_a_command() -> None:
    code, modules = _imported_after([])
    assert code == 2  # click's usage exit code: a command was expected
    assert _under(modules, *HEAVY, *COMMAND_MODULES) == []


def test_a_command_s_help_imports_its_module_only() -> None:
    code, modules = _imported_after(["journal", "--help"])
    assert code == 0
    assert _under(modules, *COMMAND_MODULES) == ["booksync.cli.masterdata"]
    assert _under(modules, *HEAVY) == []


# What ``journal list`` reads a SQLite file with: nothing of booksync beyond these.
JOURNAL_LIST_MODULES = {
    "booksync",
    "booksync.cli",
    "booksync.cli.context",
    "booksync.cli.main",
    "booksync.cli.masterdata",
    "booksync.cli.output",
    "booksync.cli.registry",
    "booksync.cli.typer_checks",
    "booksync.db",
    "booksync.db.errors",
    "booksync.db.location",
    "booksync.errors",
    "booksync.ledger",
    "booksync.ledger.errors",
    "booksync.ledger.lean",
}


@pytest.fixture(scope="module")
def books_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "books.db"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from booksync.cli.main import main; main()",
            "--db",
            str(path),
            "init",
            "--company",
            "Bench",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.mark.parametrize(
    "listing",
    [
        ["journal", "list"],
        ["journal", "list", "--json"],
        ["account", "list"],
        ["partner", "list", "--json"],
    ],
)
def test_a_listing_on_sqlite_imports_only_what_it_reads(
    books_file: Path, listing: list[str]
) -> None:
    code, modules = _imported_after(["--db", str(books_file), *listing])
    assert code == 0
    assert set(_under(modules, "booksync")) == JOURNAL_LIST_MODULES
    assert _under(modules, *HEAVY) == []


# -- the registry ----------------------------------------------------------------------


def _shown_help(command: Any) -> str:
    """The line ``booksync --help`` shows for a command: its help's first paragraph."""
    text = command.short_help or command.help or ""
    return inspect.cleandoc(text).split("\n\n")[0].strip()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_registry_s_help_line_is_the_command_s_own(name: str) -> None:
    command = module_commands(COMMANDS[name].module)[name]
    assert COMMANDS[name].help == _shown_help(command)
    # The stand-in listed by --help carries only the help line and the name.
    assert not command.hidden and not command.deprecated
    assert not getattr(command, "rich_help_panel", None)  # a falsy placeholder, or unset


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_every_command_a_module_registers_is_in_the_registry(module: str) -> None:
    listed = {name for name, entry in COMMANDS.items() if entry.module == module}
    assert set(module_commands(module)) == listed


def test_every_module_with_commands_is_in_the_registry() -> None:
    found = set()
    for info in pkgutil.iter_modules(booksync.cli.__path__, "booksync.cli."):
        if hasattr(importlib.import_module(info.name), "register"):
            found.add(info.name)
    assert found == set(COMMAND_MODULES)


def test_every_command_is_reachable_by_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    for name in COMMANDS:
        assert run([name, "--help"]) == 0, name
        out = capsys.readouterr().out
        assert f"booksync {name}" in out, name


def test_the_help_lists_the_commands_as_the_commands_themselves_would(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The stand-ins render exactly as the real commands do (in the registry's order)."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    ctx = group.make_context("booksync", ["--help"], resilient_parsing=True)
    group.format_help(ctx, ctx.make_formatter())
    listed = capsys.readouterr().out
    TyperGroup.format_help(group, ctx, ctx.make_formatter())  # every command built and asked
    real = capsys.readouterr().out
    assert listed == real
    assert "journal" in listed and "sandbox" in listed


def test_a_mistyped_command_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["jornal", "list"]) == 2
    assert "Did you mean 'journal'?" in capsys.readouterr().err


def test_values_that_need_typer_s_checks_still_get_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Text passes as it is; a number out of its bounds is Typer's usage error, as before."""
    assert run(["demo", "--months", "0"]) == 2
    assert "Invalid value for '--months'" in capsys.readouterr().err
    assert run(["sandbox", "serve", "--port", "x"]) == 2
    assert "Invalid value for '--port'" in capsys.readouterr().err
