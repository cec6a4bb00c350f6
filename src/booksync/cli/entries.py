"""``booksync entry``: add, import, post, reverse, show and list entries.

A thin adapter over :mod:`booksync.app.entries`: it parses the arguments
(``parse_line`` serves other command modules too), calls
the use case inside :func:`booksync.app.context.open_books` and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from booksync.cli.context import opened, state
from booksync.cli.dates import parse_date
from booksync.cli.ids import Page, after_option, entry_ref, limit_option, more_follow
from booksync.cli.output import console, emit_json, emit_json_rows, say, table
from booksync.ledger.entries import LineInput
from booksync.ledger.errors import InvalidEntry
from booksync.ledger.limits import shown as quoted
from booksync.money import MoneyError, parse_amount

entry_app = typer.Typer(help="Journal entries.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")
TABLE_LIMIT = "100"  # the table's first page; --json lists every entry unless --limit


def register(app: typer.Typer) -> None:
    app.add_typer(entry_app, name="entry")


def parse_line(spec: str) -> LineInput:
    """``ACCOUNT:DEBIT:CREDIT[:PARTNER[:LABEL]]``; the label may itself hold colons."""
    parts = spec.split(":", 4)
    if len(parts) < 3:
        raise InvalidEntry(f"line {quoted(spec)} must be ACCOUNT:DEBIT:CREDIT[:PARTNER[:LABEL]]")
    try:
        debit, credit = parse_amount(parts[1] or "0"), parse_amount(parts[2] or "0")
    except MoneyError as exc:
        raise InvalidEntry(f"line {quoted(spec)}: {exc}") from None
    return LineInput(
        account=parts[0],
        debit=debit,
        credit=credit,
        partner=(parts[3] if len(parts) > 3 else None) or None,
        label=(parts[4] if len(parts) > 4 else None) or None,
    )


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(data)
        return
    title = f"{data['number'] or 'Draft ' + str(data['id'])}  {data['date']}  {data['state']}"
    if data["ref"]:
        title += f"  {data['ref']}"
    table(
        title,
        ["Account", "Partner", "Label", "Debit", "Credit"],
        [
            (ln["account"], ln["partner"], ln["label"], ln["debit"], ln["credit"])
            for ln in data["lines"]
        ],
        right=["Debit", "Credit"],
    )


@entry_app.command("add")
def entry_add(
    ctx: typer.Context,
    journal: str = typer.Option(..., "--journal", help="Journal code, e.g. MISC."),
    date: str = typer.Option(..., "--date", help="Entry date YYYY-MM-DD."),
    ref: str | None = typer.Option(None, "--ref", help="Reference."),
    lines: list[str] = typer.Option(
        ..., "--line", help="ACCOUNT:DEBIT:CREDIT[:PARTNER[:LABEL]], repeat per line."
    ),
    post: bool = typer.Option(False, "--post", help="Post the entry at once."),
    as_json: bool = JSON,
) -> None:
    """Add one entry (a draft unless --post)."""
    from booksync.app.entries import add_entry

    day, parsed = parse_date(date), tuple(parse_line(s) for s in lines)
    with opened(ctx) as books:
        shown = add_entry(books, journal=journal, date=day, lines=parsed, ref=ref, post=post)
    _show(shown, as_json)


def _count_lines(file: Path) -> int:
    with file.open("rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


@entry_app.command("import")
def entry_import(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="JSON Lines file, one entry per line."),
    post: bool = typer.Option(False, "--post", help="Post the entries."),
) -> None:
    """Import entries from a JSONL file: all of them, or none if any line is wrong."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from booksync.app.context import open_books
    from booksync.app.entries import import_entries

    file.stat()  # a missing file is an error here, before a producer starts
    shown = sys.stderr.isatty()
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not shown,
    )
    chosen = state(ctx)
    with open_books(chosen.engine, chosen.company) as books, progress:
        # Entries are counted by lines: one pass over the file, only when the bar is seen
        # (and only over a regular file: a device such as /dev/zero has no end to count to).
        counted = shown and file.is_file()
        task = progress.add_task("import", total=_count_lines(file) if counted else None)
        done = import_entries(
            books, file, post=post,
            on_batch=lambda entries: progress.update(task, completed=entries),
        )
    say(f"imported {done} entries ({'posted' if post else 'draft'})")


@entry_app.command("post")
def entry_post(
    ctx: typer.Context, entry: str = typer.Argument(..., help="Entry id or number.")
) -> None:
    """Post a draft entry: checked, numbered, and from then on unchangeable."""
    from booksync.app.entries import post_draft

    with opened(ctx) as books:
        number = post_draft(books, entry_ref(entry))
    say(f"posted {number}")


@entry_app.command("reverse")
def entry_reverse(
    ctx: typer.Context,
    entry: str = typer.Argument(..., help="Entry id or number."),
    date: str | None = typer.Option(None, "--date", help="Reversal date (default: the entry's)."),
    as_json: bool = JSON,
) -> None:
    """Post the mirror entry of a posted entry."""
    from booksync.app.entries import reverse

    when = parse_date(date) if date else None
    with opened(ctx) as books:
        shown = reverse(books, entry_ref(entry), when)
    _show(shown, as_json)


@entry_app.command("show")
def entry_show(
    ctx: typer.Context,
    entry: str = typer.Argument(..., help="Entry id or number."),
    as_json: bool = JSON,
) -> None:
    """Show one entry with its lines."""
    from booksync.app.entries import show_entry

    with opened(ctx) as books:
        shown = show_entry(books, entry_ref(entry))
    _show(shown, as_json)


@entry_app.command("list")
def entry_list(
    ctx: typer.Context,
    journal: str | None = typer.Option(None, "--journal", help="Only this journal."),
    limit: str | None = limit_option(
        None, "At most N entries (default: 100 in the table, all with --json)."
    ),
    after: str | None = after_option("entry id"),
    as_json: bool = JSON,
) -> None:
    """List entries by date (then id), a page at a time with --limit and --after.

    JSON is written as the entries are read, so a long listing needs little memory.
    """
    from booksync.app.context import open_books
    from booksync.app.entries import list_entries

    chosen = state(ctx)
    if as_json:
        page = Page.read(limit, after)
        with open_books(chosen.engine, chosen.company) as books:
            emit_json_rows(
                list_entries(books, journal=journal, after=page.after, limit=page.limit)
            )
        return
    page = Page.read(limit or TABLE_LIMIT, after)
    with open_books(chosen.engine, chosen.company) as books:
        rows = list(
            list_entries(books, journal=journal, after=page.after, limit=page.one_more())
        )
    shown = rows[: page.limit]
    table(
        "Entries",
        ["Id", "Number", "Journal", "Date", "Ref", "State", "Amount"],
        [
            (r["id"], r["number"], r["journal"], r["date"], r["ref"], r["state"], r["total_debit"])
            for r in shown
        ],
        right=["Amount"],
    )
    if page.limit is not None and len(rows) > page.limit:
        more_follow("entries", shown[-1]["id"], page.limit)
