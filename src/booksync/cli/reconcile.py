"""``booksync reconcile``: bank lines matched with what they pay.

A thin adapter over :mod:`booksync.app.reconcile`; how matching decides is
in docs/reconciliation.md.
"""

from __future__ import annotations

from typing import Any

import typer

from booksync.cli.context import opened
from booksync.cli.ids import parse_id
from booksync.cli.output import emit_json, say, table

reconcile_app = typer.Typer(
    help="Bank reconciliation: match statement lines with what they pay.", no_args_is_help=True
)
JSON = typer.Option(False, "--json", help="Print JSON.")
JOURNAL = typer.Option(None, "--journal", help="Only this bank journal (e.g. BNK1).")


def register(app: typer.Typer) -> None:
    app.add_typer(reconcile_app, name="reconcile")


@reconcile_app.command("list")
def reconcile_list(
    ctx: typer.Context, journal: str | None = JOURNAL, as_json: bool = JSON
) -> None:
    """List the lines to reconcile, oldest first, each with its suggestions."""
    from booksync.app.reconcile import to_reconcile
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        lines = to_reconcile(books, journal)
    if as_json:
        emit_json(shaped(lines))
        return
    if not lines:
        say("Nothing to reconcile.")
        return
    rows: list[tuple[Any, ...]] = []
    for line in lines:
        best = line.suggestions[0] if line.suggestions else None
        rows.append((
            line.id, line.date.isoformat(), f"{line.amount} {line.currency}", line.label,
            ", ".join(best.documents) if best and best.documents else (best.rule if best else ""),
            best.reason if best else "",
        ))
    table("Lines to reconcile", ["Line", "Date", "Amount", "Label", "Best match", "Why"], rows,
          right=["Amount"])


@reconcile_app.command("auto")
def reconcile_auto(
    ctx: typer.Context, journal: str | None = JOURNAL, as_json: bool = JSON
) -> None:
    """Reconcile every line whose match is certain; the others keep their suggestions."""
    from booksync.app.reconcile import auto
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        result = auto(books, journal)
    if as_json:
        emit_json(shaped(result))
        return
    say(
        f"{result.lines} lines: {result.reconciled} reconciled, {result.suggested} with "
        f"suggestions, {result.left} without"
    )


@reconcile_app.command("apply")
def reconcile_apply(
    ctx: typer.Context,
    line_id: str = typer.Argument(..., metavar="LINE_ID", help="The statement line."),
    documents: list[str] = typer.Option(
        [], "--document", metavar="NUMBER", help="An invoice or bill it pays (repeatable)."
    ),
    payments: list[str] = typer.Option(
        [], "--payment", metavar="ID", help="A registered payment it is (repeatable)."
    ),
    counterparts: list[str] = typer.Option(
        [], "--counterpart", metavar="ACCOUNT:AMOUNT[:LABEL]",
        help="Part of the amount booked to an account, e.g. 6500:2.50:Bank fees (repeatable).",
    ),
    partner: str | None = typer.Option(
        None, "--partner", help="What is left goes on this partner's account."
    ),
    as_json: bool = JSON,
) -> None:
    """Reconcile a line with documents, payments and counterparts (or its best suggestion).

    A partial payment leaves the document open for the rest; amounts that do
    not add up are refused with the difference named.
    """
    from booksync.app.reconcile import apply
    from booksync.app.shapes import as_json as shaped

    line = parse_id(line_id, "statement line id")
    payment_ids = [parse_id(p, "payment id") for p in payments]
    with opened(ctx) as books:
        done = apply(books, line, documents, payment_ids, counterparts, partner)
    if as_json:
        emit_json(shaped(done))
        return
    matched = f" with {', '.join(done.documents)}" if done.documents else ""
    say(f"Line {done.line} reconciled{matched} ({done.entry})")


@reconcile_app.command("undo")
def reconcile_undo(
    ctx: typer.Context,
    line_id: str = typer.Argument(..., metavar="LINE_ID", help="The statement line."),
    as_json: bool = JSON,
) -> None:
    """Undo a line's reconciliation: its clearing entry is reversed, the documents reopen."""
    from booksync.app.reconcile import undo
    from booksync.app.shapes import as_json as shaped

    line = parse_id(line_id, "statement line id")
    with opened(ctx) as books:
        done = undo(books, line)
    if as_json:
        emit_json(shaped(done))
        return
    say(f"Line {done.line} is to reconcile again (its clearing entry {done.entry} is reversed)")
