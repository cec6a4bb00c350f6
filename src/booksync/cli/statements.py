"""``booksync statement``: a bank journal's statement lines, listed, added by hand or imported.

Amounts are signed in the account's currency (positive = money in), and the
opening line of a first sync is listed too, so the amounts add up to the
journal's balance; the table ends with that total.  ``statement add`` books
a line entered by hand exactly as a fetched one (docs/banking.md, "Lines
entered by hand"); ``statement import`` books a statement file's (docs/banking.md,
"Statement files").
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from booksync.cli.context import opened, state
from booksync.cli.ids import Page, after_option, limit_option, more_follow
from booksync.cli.output import emit_json, emit_json_rows, say, table

statement_app = typer.Typer(help="Bank statement lines.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(statement_app, name="statement")


def print_statement(
    rows: list[dict[str, Any]], title: str, *, tail: int | None = None, pending: bool = False
) -> None:
    """The lines (or the last ``tail`` of them) and the total of all of them."""
    if not rows:
        say(f"{title}: no {'pending transactions' if pending else 'lines'}")
        return
    total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
    shown = rows[-tail:] if tail and len(rows) > tail else rows
    body: list[tuple[Any, ...]] = []
    if len(shown) < len(rows):
        body.append(("", f"... {len(rows) - len(shown)} earlier lines", "", "", "", ""))
    body += [
        (
            r["date"],
            r["label"],
            r["partner"],
            r["amount"],
            r["entry"],
            "yes" if r["reconciled"] else "",
        )
        for r in shown
    ]
    body.append(("", "Total" if not pending else "Total pending", "", str(total), "", ""))
    table(
        title,
        ["Date", "Label", "Partner", "Amount", "Entry", "Reconciled"],
        body,
        right=["Amount"],
    )


@statement_app.command("list")
def statement_list(
    ctx: typer.Context,
    journal: str = typer.Option(..., "--journal", help="Bank journal code, e.g. BNK1."),
    pending: bool = typer.Option(
        False, "--pending", help="List the staged pending transactions instead."
    ),
    limit: str | None = limit_option(None, "At most N lines (default: all)."),
    after: str | None = after_option("line id"),
    as_json: bool = JSON,
) -> None:
    """List a bank journal's statement lines by date (or its pending transactions).

    With --limit or --after the table's total is the total of the lines shown.
    """
    from booksync.app.context import open_books
    from booksync.app.statements import list_lines

    page = Page.read(limit, after)
    chosen = state(ctx)
    if as_json:
        with open_books(chosen.engine, chosen.company) as opened:
            emit_json_rows(
                list_lines(opened, journal, pending=pending, after=page.after, limit=page.limit)
            )
        return
    with open_books(chosen.engine, chosen.company) as opened:
        rows = list(list_lines(
            opened, journal, pending=pending, after=page.after, limit=page.one_more()
        ))
    shown = rows[: page.limit]
    kind = "Pending transactions" if pending else "Statement lines"
    print_statement(shown, f"{kind} of {journal}", pending=pending)
    if page.limit is not None and len(rows) > page.limit:
        more_follow("lines", shown[-1]["id"], page.limit)


@statement_app.command("add")
def statement_add(
    ctx: typer.Context,
    journal: str = typer.Option(..., "--journal", help="Bank journal code, e.g. BNK1."),
    date: str = typer.Option(..., "--date", help="Bank date YYYY-MM-DD."),
    amount: str = typer.Option(
        ..., "--amount", help="Signed, in the journal's currency: positive = money in."
    ),
    label: str = typer.Option(..., "--label", help="What the bank statement says."),
    partner: str | None = typer.Option(None, "--partner", help="An existing partner's name."),
    ref: str | None = typer.Option(None, "--ref", help="The payment's reference."),
    iban: str | None = typer.Option(None, "--iban", help="The counterparty's IBAN (checked)."),
    as_json: bool = JSON,
) -> None:
    """Add a statement line by hand, booked with its entry like a fetched one."""
    from booksync.app.statements import add_line
    from booksync.cli.dates import parse_date
    from booksync.ledger.errors import InvalidEntry
    from booksync.money import MoneyError, parse_amount
    from booksync.statements.manual import ManualLine

    try:
        value = parse_amount(amount)
    except MoneyError as exc:
        raise InvalidEntry(str(exc)) from None
    given = ManualLine(journal, parse_date(date), value, label, partner, ref, iban)
    with opened(ctx) as books:
        row = add_line(books, given)
    if as_json:
        emit_json(row)
        return
    say(
        f"statement line {row['id']}: {row['date']}  {row['amount']}  {row['label']}  "
        f"entry {row['entry']}"
    )


@statement_app.command("import")
def statement_import(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The statement file.", dir_okay=False),
    journal: str = typer.Option(..., "--journal", help="Bank journal code, e.g. BNK1."),
    fmt: str = typer.Option(
        "auto", "--format", help="auto, camt053, mt940, ofx or csv (csv needs --profile)."
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="The saved CSV profile the file reads with."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be booked and the balances; write nothing."
    ),
    as_json: bool = JSON,
) -> None:
    """Import a bank statement file (CAMT.053, MT940, OFX/QFX or CSV) into a bank journal."""
    from booksync.app.statement_files import import_statement_file

    with opened(ctx) as books:
        done = import_statement_file(books, file, journal, fmt=fmt, profile=profile,
                                     dry_run=dry_run)
    if as_json:
        emit_json(done)
        return
    table(
        f"{done['file']} ({done['format']}) into {done['journal']}"
        + (": a dry run, nothing written" if dry_run else ""),
        ["statement", "account", "from", "to", "transactions", "new", "duplicates", "matched",
         "opening", "closing"],
        [[s["statement_id"] or "", s["account"] or "", s["first"] or "", s["last"] or "",
          s["transactions"], s["new"], s["duplicates"], s["matched"],
          _balance(s["opening"], s["opening_difference"], s["opening_line"]),
          _balance(s["closing"], s["closing_difference"], False)]
         for s in done["statements"]],
    )
    for skipped in done["skipped"]:
        say(f"note: {skipped}")
    for problem in done["problems"]:
        say(f"warning: {problem}", err=True)


def _balance(stated: str | None, difference: str | None, opened_journal: bool) -> str:
    """A statement balance and how the journal compares: ok, or the difference."""
    if stated is None:
        return ""
    if opened_journal:
        return f"{stated} (opening line)"
    return f"{stated} ok" if not difference or Decimal(difference) == 0 else (
        f"{stated} differs by {difference}")
