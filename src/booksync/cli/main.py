"""The ``booksync`` entry point: global options, command groups, error handling.

A user who makes a mistake gets one sentence on stderr and a non-zero exit,
never a traceback (docs/architecture.md, "Errors").

The commands are found through :mod:`booksync.cli.registry` and their
modules imported only when they run: ``booksync --help`` imports none of
them, and ``booksync journal list`` only the module of ``journal``
(docs/architecture.md, "Command line").
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from difflib import get_close_matches
from types import ModuleType
from typing import Any, cast

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from booksync.cli.context import AppState
from booksync.cli.registry import COMMANDS
from booksync.errors import BooksyncError


def _click_of_typer() -> ModuleType:
    """The click that Typer's commands and errors come from.

    Typer >= 0.25 runs on its own copy (``typer._click``) and raises its
    errors: catching only click's let a usage mistake (a missing option) end
    in a traceback.  Older versions run on click itself.
    """
    try:
        return importlib.import_module("typer._click")
    except ImportError:
        return importlib.import_module("click")


def _defer_typer_checks() -> None:
    """Typer's Pydantic checks only for values that need them (:mod:`booksync.cli.typer_checks`);
    a Typer without them is left as it is."""
    try:
        from booksync.cli.typer_checks import defer_value_checks
    except ImportError:
        return
    defer_value_checks()


_defer_typer_checks()
click = _click_of_typer()
USAGE_ERRORS: tuple[type[Exception], ...] = (click.exceptions.ClickException,)
# Typer's own Exit and Abort; click's too where Typer still runs on click.
EXITS: tuple[type[Exception], ...] = tuple(
    {typer.Exit, getattr(click.exceptions, "Exit", typer.Exit)}
)
ABORTS: tuple[type[Exception], ...] = tuple(
    {typer.Abort, getattr(click.exceptions, "Abort", typer.Abort)}
)


class LazyGroup(TyperGroup):
    """The top-level group: commands listed from the registry, built when asked for.

    ``get_command`` imports only the module of the command named and builds
    that module's commands from its ``register(app)``.  While the group's own
    help is written, each command is a stand-in carrying the registry's help
    line, so listing them imports nothing.
    """

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            return TyperCommand(cmd_name, help=entry.help)
        if cmd_name not in self.commands:
            self.commands.update(module_commands(entry.module))
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Typer suggests close names from the commands it holds: here, the registry's."""
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as exc:
            if (
                args
                and getattr(self, "suggest_commands", True)
                and "Did you mean" not in str(exc.message)
            ):
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    suggestions = ", ".join(f"{m!r}" for m in matches)
                    exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


def module_commands(module: str) -> dict[str, Any]:
    """The commands a command module registers, by name, as Typer builds them."""
    holder = typer.Typer()
    importlib.import_module(module).register(holder)
    return dict(typer.main.get_group(holder).commands)


app = typer.Typer(
    cls=LazyGroup,
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
    except EXITS as exc:
        return cast(int, cast(Any, exc).exit_code)
    except USAGE_ERRORS as exc:
        shown = cast(Any, exc)
        shown.show()
        return cast(int, shown.exit_code)
    except ABORTS:
        sys.stderr.write("aborted\n")
        return 1
    except Exception as exc:
        from booksync.app.errors import user_error

        error = user_error(exc)
        if error is None:
            raise
        return _fail(error)
    return result if isinstance(result, int) else 0


def _fail(error: BooksyncError) -> int:
    """One line on stderr (the message's own control characters and line breaks
    escaped) and the exit code of the error's kind."""
    from booksync.cli.output import human

    sys.stderr.write(f"error: {human(str(error))}\n")
    return error.exit_code


def main() -> None:
    sys.exit(run())
