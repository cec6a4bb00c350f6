"""``booksync user`` and ``booksync token``: the web app's users and API tokens.

A thin adapter over :mod:`booksync.app.users`, imported only when one of
these commands runs (docs/architecture.md, "Command line").  A password is
read from standard input, never from an argument: arguments are visible to
every user of the machine and stay in shell history.  A new token is
printed once, alone on standard output so a script can capture it, with a
note on standard error that it will not be shown again (docs/users.md,
"API tokens").
"""

from __future__ import annotations

import sys

import typer

from booksync.cli.context import state
from booksync.cli.output import emit_json, moment, say, table
from booksync.errors import BooksyncError

user_app = typer.Typer(
    help="Web app users: their roles and the companies they see.",
    no_args_is_help=True,
)
token_app = typer.Typer(help="API tokens: bearer credentials for programs.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


def _read_password() -> str:
    """The first line of standard input, its line break removed; not echoed on a terminal."""
    try:
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass("Password: ")
        line = sys.stdin.readline()
    except UnicodeDecodeError:
        raise BooksyncError("the password on standard input is not UTF-8 text") from None
    return line.removesuffix("\n").removesuffix("\r")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The address the user signs in with."),
    role: str = typer.Option(
        ..., "--role", help="admin, accountant or viewer (docs/users.md)."
    ),
    companies: list[str] = typer.Option(
        [], "--company", metavar="NAME",
        help="A company the user sees (repeatable; default: every company).",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    as_json: bool = JSON,
) -> None:
    """Add a user who signs in to the web app; the password comes from stdin."""
    if not password_stdin:
        ctx.fail(
            "give --password-stdin and the password on standard input "
            "(a password in an argument is visible to others and kept in shell history)"
        )
    from booksync.app.shapes import as_json as shaped
    from booksync.app.users import add_user

    password = _read_password()
    row = shaped(add_user(state(ctx).engine, email, role, companies, password))
    if as_json:
        emit_json(row)
        return
    seen = "every company" if row["all_companies"] else ", ".join(row["companies"])
    say(f"added user {row['email']} ({row['role']}, sees {seen})")


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the users, disabled ones too."""
    from booksync.app.shapes import as_json as shaped
    from booksync.app.users import users

    rows = shaped(users(state(ctx).engine))
    if as_json:
        emit_json(rows)
        return
    table(
        "Users",
        ["ID", "Email", "Role", "Companies", "Disabled", "Added"],
        [(r["id"], r["email"], r["role"],
          "all" if r["all_companies"] else ", ".join(r["companies"]),
          "yes" if r["disabled"] else "", moment(r["created_at"])) for r in rows],
        right=["ID"],
    )


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's address."),
) -> None:
    """Disable a user: their web sessions end and their API tokens stop working."""
    from booksync.app.users import disable_user

    view = disable_user(state(ctx).engine, email)
    say(f"disabled user {view.email}: sessions ended, tokens revoked")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    user: str = typer.Option(..., "--user", metavar="EMAIL", help="The token's user."),
    name: str = typer.Option(
        "api", "--name", help="What will use the token, to tell tokens apart."
    ),
    as_json: bool = JSON,
) -> None:
    """Create an API token for a user; it is printed this once and never again."""
    from booksync.app.shapes import as_json as shaped
    from booksync.app.users import create_token

    created = create_token(state(ctx).engine, user, name)
    if as_json:
        emit_json(shaped(created))
    else:
        sys.stdout.write(created.token + "\n")
        sys.stdout.flush()
    say(
        f"created token {created.id} {created.name!r} for {created.user}; it is shown only "
        "this once (booksync keeps only its hash): store it now",
        err=True,
    )
