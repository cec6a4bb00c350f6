"""``booksync csv-profile``: saved ways to read banks' CSV exports.

A profile names the columns, the date format, the decimal and thousands
separators, one signed amount or debit and credit columns, the encoding and
the title rows of one bank's export (docs/banking.md, "Statement files");
``statement import FILE --format csv --profile NAME`` reads with it.  With
``--sample FILE``, ``add`` shows the first rows as the profile reads them
before keeping it, and keeps nothing when a row cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from booksync.cli.context import opened
from booksync.cli.output import emit_json, say, table

csv_profile_app = typer.Typer(help="Saved ways to read banks' CSV exports.",
                              no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(csv_profile_app, name="csv-profile")


def _column(value: str | None, header: bool) -> str | int | None:
    """A header's name, or without a header row a 1-based column number."""
    if value is None:
        return None
    return int(value) if not header and value.strip().isdigit() else value


@csv_profile_app.command("add")
def csv_profile_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The profile's name, e.g. the bank's."),
    date: str = typer.Option(..., "--date", help="The booking date's column."),
    label: list[str] = typer.Option(..., "--label", help="A label column (repeat to join)."),
    amount: str | None = typer.Option(None, "--amount", help="The signed amount's column."),
    debit: str | None = typer.Option(None, "--debit", help="Money out's column."),
    credit: str | None = typer.Option(None, "--credit", help="Money in's column."),
    value_date: str | None = typer.Option(None, "--value-date", help="The value date's column."),
    partner: str | None = typer.Option(None, "--partner", help="The counterparty's column."),
    iban: str | None = typer.Option(None, "--iban", help="The counterparty IBAN's column."),
    reference: str | None = typer.Option(None, "--reference", help="The reference's column."),
    transaction_id: str | None = typer.Option(
        None, "--transaction-id", help="The bank's transaction id's column."),
    currency: str | None = typer.Option(None, "--currency", help="The currency's column."),
    balance: str | None = typer.Option(
        None, "--balance", help="The running balance's column (the last is the closing)."),
    delimiter: str = typer.Option(",", "--delimiter", help="Field separator: , ; | or tab."),
    encoding: str = typer.Option("utf-8", "--encoding", help="utf-8, utf-8-sig, cp1252, ..."),
    skip_rows: int = typer.Option(0, "--skip-rows", min=0, help="Title lines before the header."),
    skip_footer: int = typer.Option(0, "--skip-footer", min=0, help="Total lines at the end."),
    header: bool = typer.Option(True, "--header/--no-header",
                                help="The first row names the columns."),
    date_format: str = typer.Option("%Y-%m-%d", "--date-format", help="e.g. %d.%m.%Y"),
    decimal: str = typer.Option(".", "--decimal", help="Decimal separator: . or ,"),
    thousands: str = typer.Option("", "--thousands", help="Thousands separator, if any."),
    negate: bool = typer.Option(False, "--negate", help="The bank writes money out positive."),
    currency_default: str | None = typer.Option(
        None, "--currency-default", help="Currency of rows without a currency column."),
    replace: bool = typer.Option(False, "--replace", help="Replace a profile of that name."),
    sample: Path | None = typer.Option(
        None, "--sample", help="A file to preview with the profile before it is kept.",
        dir_okay=False),
    as_json: bool = JSON,
) -> None:
    """Save a CSV profile (with --sample FILE, after previewing the file's first rows)."""
    from booksync.app.statement_files import preview_csv, save_csv_profile
    from booksync.bankfiles.csv_profile import CsvProfile

    profile = CsvProfile(
        name=name, date=_column(date, header) or date,
        label=tuple(_column(c, header) or c for c in label),
        amount=_column(amount, header), debit=_column(debit, header),
        credit=_column(credit, header), value_date=_column(value_date, header),
        partner=_column(partner, header), iban=_column(iban, header),
        reference=_column(reference, header), transaction_id=_column(transaction_id, header),
        currency=_column(currency, header), balance=_column(balance, header),
        delimiter="\t" if delimiter == "tab" else delimiter, encoding=encoding,
        skip_rows=skip_rows, skip_footer=skip_footer, header=header, date_format=date_format,
        decimal=decimal, thousands=thousands, negate=negate, currency_default=currency_default,
    )
    rows = preview_csv(sample, profile) if sample is not None else []
    if rows and not as_json:
        _show_preview(rows)
    failed = [row for row in rows if row["error"]]
    if not failed:
        with opened(ctx) as books:
            save_csv_profile(books, profile, replace=replace)
    if as_json:
        emit_json({"profile": profile.to_json(), "preview": rows, "saved": not failed})
    elif failed:
        say(f"not saved: row {failed[0]['row']}: {failed[0]['error']}", err=True)
    else:
        say(f"CSV profile {profile.name!r} saved: `booksync statement import FILE --journal "
            f"CODE --profile {profile.name}` reads with it")
    if failed:
        raise typer.Exit(1)


def _show_preview(rows: list[dict[str, Any]]) -> None:
    table("Preview: the first rows as the profile reads them",
          ["row", "date", "amount", "label", "error"],
          [[r["row"], r["date"] or "", r["amount"] or "", r["label"] or "", r["error"] or ""]
           for r in rows])


@csv_profile_app.command("list")
def csv_profile_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the saved CSV profiles."""
    from booksync.app.statement_files import csv_profiles

    with opened(ctx) as books:
        found = [p.to_json() for p in csv_profiles(books)]
    if as_json:
        emit_json(found)
        return
    if not found:
        say("no CSV profiles yet: `booksync csv-profile add NAME --date ... --label ... "
            "--amount ...`")
        return
    table("CSV profiles", ["name", "delimiter", "encoding", "date format", "amount", "columns"],
          [[p["name"], p["delimiter"], p["encoding"], p["date_format"],
            "signed" if p["amount"] is not None else "debit/credit",
            ", ".join(str(c) for c in [p["date"], *p["label"]])] for p in found])


@csv_profile_app.command("remove")
def csv_profile_remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove a saved CSV profile (files imported with it keep their lines)."""
    from booksync.app.statement_files import remove_csv_profile

    with opened(ctx) as books:
        remove_csv_profile(books, name)
    say(f"CSV profile {name!r} removed")
