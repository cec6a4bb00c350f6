"""The ``booksync`` entry point: global options, command groups, error handling.

A user who makes a mistake gets one sentence on stderr and a non-zero exit,
never a traceback (docs/architecture.md, "Errors").
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import cast

import click
import typer

from booksync.app.errors import user_error
from booksync.cli import (
    banking,
    connections,
    currencies,
    demo,
    entries,
    masterdata,
    reports,
    sandbox,
    setup,
    statements,
    sync,
    transfer,
    worker,
)
from booksync.cli.context import AppState
from booksync.cli.output import human
from booksync.errors import BooksyncError

app = typer.Typer(
    name="booksync",
    help="Keep a company's books in step with its banks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="BOOKSYNC_DATABASE_URL",
        help="Database URL or SQLite file (default: booksync.db in the user data folder).",
        show_envvar=True,
    ),
    company: str | None = typer.Option(
        None, "--company", help="Company to work on when there are several."
    ),
) -> None:
    ctx.obj = AppState(db=db, company=company)


setup.register(app)
masterdata.register(app)
currencies.register(app)
entries.register(app)
reports.register(app)
transfer.register(app)
banking.register(app)
connections.register(app)
sync.register(app)
statements.register(app)
demo.register(app)
sandbox.register(app)
worker.register(app)


def _usage_error_types() -> tuple[type[Exception], ...]:
    """click's ``ClickException``, and the copy newer Typer versions vendor (``typer._click``).

    Typer >= 0.25 raises its own copy: catching only click's let a usage
    mistake (a missing option) end in a traceback.
    """
    found: list[type[Exception]] = [click.ClickException]
    try:
        vendored = importlib.import_module("typer._click.exceptions")
    except ImportError:
        return tuple(found)
    found.append(vendored.ClickException)
    return tuple(found)


USAGE_ERRORS = _usage_error_types()


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (tests call this directly)."""
    if argv is not None and any("\x00" in arg for arg in argv):
        # A shell cannot pass one; a caller in-process can, and PostgreSQL would
        # refuse it mid-query where SQLite would store it.
        sys.stderr.write("error: an argument holds a NUL character, which no command accepts\n")
        return 1
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="booksync",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except USAGE_ERRORS as exc:
        shown = cast(click.ClickException, exc)
        shown.show()
        return shown.exit_code
    except (click.exceptions.Abort, typer.Abort):
        sys.stderr.write("aborted\n")
        return 1
    except Exception as exc:
        error = user_error(exc)
        if error is None:
            raise
        return _fail(error)
    return result if isinstance(result, int) else 0


def _fail(error: BooksyncError) -> int:
    """One line on stderr (the message's own control characters and line breaks
    escaped) and the exit code of the error's kind."""
    sys.stderr.write(f"error: {human(str(error))}\n")
    return error.exit_code


def main() -> None:
    sys.exit(run())
