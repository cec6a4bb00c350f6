"""``booksync account|journal|partner``: the chart, journals and partners."""

from __future__ import annotations

import typer

from booksync.cli.context import books
from booksync.cli.output import emit_json, say, table
from booksync.ledger.accounts import add_account, list_accounts
from booksync.ledger.journals import list_journals
from booksync.ledger.partners import add_partner, list_partners

account_app = typer.Typer(help="Accounts of the chart.", no_args_is_help=True)
journal_app = typer.Typer(help="Journals.", no_args_is_help=True)
partner_app = typer.Typer(help="Customers, suppliers and other partners.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(account_app, name="account")
    app.add_typer(journal_app, name="journal")
    app.add_typer(partner_app, name="partner")


@account_app.command("list")
def account_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the chart of accounts."""
    with books(ctx) as (session, company):
        rows = [
            {
                "code": a.code,
                "name": a.name,
                "type": str(a.type),
                "reconcile": a.reconcile,
                "active": a.active,
            }
            for a in list_accounts(session, company)
        ]
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
    with books(ctx) as (session, company):
        account = add_account(session, company, code, name, type, reconcile=reconcile)
        say(f"added account {account.code} {account.name}")


@journal_app.command("list")
def journal_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the journals."""
    with books(ctx) as (session, company):
        rows = [
            {"code": j.code, "name": j.name, "type": str(j.type)}
            for j in list_journals(session, company)
        ]
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
    with books(ctx) as (session, company):
        partner = add_partner(session, company, name, iban=iban, email=email)
        say(f"added partner {partner.name}")


@partner_app.command("list")
def partner_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the partners."""
    with books(ctx) as (session, company):
        rows = [
            {"name": p.name, "iban": p.iban, "email": p.email}
            for p in list_partners(session, company)
        ]
    if as_json:
        emit_json(rows)
        return
    table("Partners", ["Name", "IBAN", "Email"], [tuple(r.values()) for r in rows])
