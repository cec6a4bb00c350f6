"""``booksync account|journal|partner``: the chart, journals and partners.

A thin adapter over :mod:`booksync.app.masterdata`.  The listings are the
commands people run most often to look around, so they
start fast: on a SQLite file they read with the driver alone
(:mod:`booksync.ledger.lean`); the ledger services, and SQLAlchemy with
them, are imported only by the commands that need them, when they run
(docs/architecture.md, "Command line").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from booksync.cli.context import opened, state
from booksync.cli.output import emit_json, say, table
from booksync.db.location import plain_sqlite_file
from booksync.ledger import lean

account_app = typer.Typer(help="Accounts of the chart.", no_args_is_help=True)
journal_app = typer.Typer(help="Journals.", no_args_is_help=True)
partner_app = typer.Typer(help="Customers, suppliers and other partners.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON.")
Rows = list[dict[str, Any]]


def register(app: typer.Typer) -> None:
    app.add_typer(account_app, name="account")
    app.add_typer(journal_app, name="journal")
    app.add_typer(partner_app, name="partner")


def _listed(
    ctx: typer.Context,
    plain: Callable[[str, str | None], Rows],
    through_orm: Callable[[typer.Context], Rows],
) -> Rows:
    """The rows of a listing: read by ``plain`` from a plainly named SQLite file,
    else by ``through_orm`` in a transaction of the books."""
    chosen = state(ctx)
    database = plain_sqlite_file(chosen.db)
    if database is None:
        return through_orm(ctx)
    return plain(database, chosen.company)


def _through_app(ctx: typer.Context, use_case: Callable[[Any], Any]) -> Rows:
    """The rows of a listing use case of :mod:`booksync.app.masterdata`, as JSON."""
    from booksync.app.shapes import as_json

    with opened(ctx) as books:
        rows: Rows = as_json(use_case(books))
    return rows


def _accounts(ctx: typer.Context) -> Rows:
    from booksync.app.masterdata import accounts

    return _through_app(ctx, accounts)


@account_app.command("list")
def account_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the chart of accounts."""
    rows = _listed(ctx, lean.accounts, _accounts)
    if as_json:
        emit_json(rows)
        return
    table(
        "Accounts",
        ["Code", "Name", "Type", "Reconcile", "Active"],
        [(r["code"], r["name"], r["type"], "yes" if r["reconcile"] else "",
          "yes" if r["active"] else "no") for r in rows],
    )


@account_app.command("add")
def account_add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Account code, unique in the company."),
    name: str = typer.Argument(..., help="Account name."),
    type: str = typer.Option(..., "--type", help="asset, liability, equity, income or expense."),
    reconcile: bool = typer.Option(False, "--reconcile", help="Lines can be reconciled."),
) -> None:
    """Add an account to the chart."""
    from booksync.app.masterdata import add_account

    with opened(ctx) as books:
        account = add_account(books, code, name, type, reconcile=reconcile)
    say(f"added account {account.code} {account.name}")


def _journals(ctx: typer.Context) -> Rows:
    from booksync.app.masterdata import journals

    return _through_app(ctx, journals)


@journal_app.command("list")
def journal_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the journals."""
    rows = _listed(ctx, lean.journals, _journals)
    if as_json:
        emit_json(rows)
        return
    table("Journals", ["Code", "Name", "Type"], [tuple(r.values()) for r in rows])


@partner_app.command("add")
def partner_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Partner name, unique in the company."),
    iban: str | None = typer.Option(None, "--iban", help="Bank account (IBAN)."),
    email: str | None = typer.Option(None, "--email", help="Email address."),
) -> None:
    """Add a partner."""
    from booksync.app.masterdata import add_partner

    with opened(ctx) as books:
        partner = add_partner(books, name, iban=iban, email=email)
    say(f"added partner {partner.name}")


def _partners(ctx: typer.Context) -> Rows:
    from booksync.app.masterdata import partners

    return _through_app(ctx, partners)


@partner_app.command("list")
def partner_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the partners."""
    rows = _listed(ctx, lean.partners, _partners)
    if as_json:
        emit_json(rows)
        return
    table("Partners", ["Name", "IBAN", "Email"], [tuple(r.values()) for r in rows])
