"""``booksync sync``: synchronize connections now, and ``booksync sync log``.

``sync`` is both a command (``booksync sync 1 2``, ``booksync sync --all``)
and a group holding ``log``: a small group class sends every call that does
not name a subcommand to ``run``, so the short form stays the contract while
``booksync sync --help`` still lists both.

A thin adapter over :mod:`booksync.app.sync` (the use cases), imported only
when a sync command runs (docs/architecture.md, "Command line").
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from booksync.banking.states import RUN_COUNTERS
from booksync.cli.context import opened, state
from booksync.cli.dates import parse_date
from booksync.cli.ids import Page, after_option, limit_option, more_follow, parse_id
from booksync.cli.output import emit_json, moment, say, table

if TYPE_CHECKING:
    from booksync.sync.outcome import RunResult

JSON = typer.Option(False, "--json", help="Print JSON.")
# The run counts' headings, then the balance difference's (docs/banking.md).
COUNTS = [*(c.title for c in RUN_COUNTERS), "Balance diff."]
SHORT = [*(c.short for c in RUN_COUNTERS), "Diff."]
# An account's part of a run (docs/banking.md, "A synchronization run").
ACCOUNT_COUNTS = ["Fetched", "New", "Dup.", "Rev."]


class RunUnlessSubcommand(TyperGroup):
    """Routes ``sync log ...`` to ``log`` and anything else to ``run``."""

    default_command = "run"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """``ctx`` is Typer's context (a vendored click copy in newer Typer versions)."""
        first = args[0] if args else None
        if first is None or (first not in self.commands and first not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


sync_app = typer.Typer(
    cls=RunUnlessSubcommand,
    help="Synchronize bank connections now: `booksync sync ID ...` or `booksync sync --all` "
    "(the `run` command below); `booksync sync log` shows the runs.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")


def print_results(
    results: list[dict[str, Any]], title: str = "Synchronization", *, accounts: bool = False
) -> None:
    """The runs' table; with ``accounts``, each run's accounts after it."""
    table(
        title,
        ["Connection", "Run", "State", *COUNTS, "Error"],
        [
            (
                r["connection"],
                r["run"],
                r["state"],
                *_counts(r),
                r["error"],
            )
            for r in results
        ],
        right=COUNTS,
    )
    if accounts:
        print_accounts(results, "Accounts")


def print_accounts(
    runs: list[dict[str, Any]], title: str, *, failed_only: bool = False
) -> None:
    """Each run's accounts (or only those of runs where one failed): state, counts, error."""
    rows = [
        (
            r["run"],
            a["name"],
            a["journal"] or "",
            a["state"],
            a["fetched"],
            a["new"],
            a["duplicates"],
            a["reversed"],
            a["error"],
        )
        for r in runs
        if not failed_only or any(a["state"] == "failed" for a in r.get("accounts", ()))
        for a in r.get("accounts", ())
    ]
    if rows:
        table(
            title,
            ["Run", "Account", "Journal", "State", *ACCOUNT_COUNTS, "Error"],
            rows,
            right=ACCOUNT_COUNTS,
        )


def _counts(row: dict[str, Any]) -> list[Any]:
    """A run's counts and balance difference, as :data:`COUNTS` heads them."""
    return [*(row[c.name] for c in RUN_COUNTERS), row["balance_difference"]]


def print_log(rows: list[dict[str, Any]]) -> None:
    if not rows:
        say("no synchronization runs yet")
        return
    table(
        "Synchronization runs, newest first",
        ["Run", "Conn.", "Trigger", "Started", "Took", "Window", *SHORT, "State", "Error"],
        [
            (
                r["run"],
                r["connection"],
                r["trigger"],
                moment(r["started_at"]),
                _took(r),
                f"{r['window_start']}..{r['window_end']}" if r["window_start"] else "",
                *_counts(r),
                r["state"],
                r["error"],
            )
            for r in rows
        ],
        right=SHORT,
    )
    print_accounts(rows, "Runs where an account failed", failed_only=True)


def _took(row: dict[str, Any]) -> str:
    if not row["started_at"] or not row["finished_at"]:
        return ""
    seconds = (
        dt.datetime.fromisoformat(row["finished_at"]) - dt.datetime.fromisoformat(row["started_at"])
    ).total_seconds()
    return f"{seconds:.1f}s"


def _took_over(result: RunResult) -> None:
    if result.took_over:  # on stderr: stdout may be JSON
        sys.stderr.write(
            f"connection {result.connection}: took the lease over from {result.took_over}\n"
        )


@sync_app.command("run")
def sync_run(
    ctx: typer.Context,
    connections: list[str] | None = typer.Argument(None, help="Connection ids."),
    every: bool = typer.Option(False, "--all", help="Every connection that is not disconnected."),
    since: str | None = typer.Option(
        None, "--since", help="Fetch from this bank date (YYYY-MM-DD) instead of the watermark."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Take the connection over from a run that holds it (one whose process hangs "
        "or died); that run is closed as an error.",
    ),
    as_json: bool = JSON,
) -> None:
    """Synchronize the named connections (or --all) now; exit 1 if any run failed."""
    from booksync.app.sync import sync_connections

    start = parse_date(since, "--since") if since else None
    ids = [parse_id(i, "a connection id") for i in connections or []]
    chosen = state(ctx)
    results = sync_connections(
        chosen.engine, chosen.company, ids, every=every, since=start, force=force,
        on_result=_took_over,
    )
    rows = [r.as_dict() for r in results]
    if as_json:
        emit_json(rows)
    elif rows:
        print_results(rows, accounts=True)
    else:
        say("no connections to synchronize")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@sync_app.command("log")
def sync_log(
    ctx: typer.Context,
    connection: str | None = typer.Argument(None, help="Only this connection."),
    limit: str | None = limit_option("20", "How many runs (default: 20)."),
    after: str | None = after_option("run (older runs follow)"),
    as_json: bool = JSON,
) -> None:
    """Show the synchronization runs, newest first, a page at a time with --after."""
    from booksync.app.sync import sync_log as runs

    page = Page.read(limit, after)
    only = None if connection is None else parse_id(connection, "a connection id")
    with opened(ctx) as books:
        found = runs(books, only, limit=page.limit, after=page.after)
    shown = list(found.rows)
    if as_json:
        emit_json(shown)
        return
    print_log(shown)
    if found.more and page.limit is not None:
        more_follow("runs", shown[-1]["run"], page.limit)
