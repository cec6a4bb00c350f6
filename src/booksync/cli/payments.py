"""``booksync payment``: register, list and batch payments.

A thin adapter over :mod:`booksync.app.payments`, imported only when a
payment command runs, with SQLAlchemy and the ledger (docs/architecture.md,
"Command line"); the rules are in docs/payments.md.
"""

from __future__ import annotations

from typing import Any

import typer

from booksync.cli.context import opened
from booksync.cli.dates import parse_date
from booksync.cli.ids import parse_id
from booksync.cli.output import emit_json, say, table

payment_app = typer.Typer(
    help="Payments received from customers and sent to vendors.", no_args_is_help=True
)
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(payment_app, name="payment")


@payment_app.command("add")
def payment_add(
    ctx: typer.Context,
    journal: str = typer.Option(..., "--journal", help="Bank journal the money goes through."),
    partner: str = typer.Option(..., "--partner", help="The customer or vendor."),
    amount: str = typer.Option(..., "--amount", help="Amount in the journal's currency."),
    date: str = typer.Option(..., "--date", help="Payment date (YYYY-MM-DD)."),
    outbound: bool = typer.Option(
        False, "--outbound", help="We pay (a vendor); without it, we receive."
    ),
    invoices: list[str] = typer.Option(
        [], "--invoice", metavar="NUMBER", help="A document the payment pays (repeatable)."
    ),
    ref: str | None = typer.Option(None, "--ref", help="Reference of the payment."),
    as_json: bool = JSON,
) -> None:
    """Register a payment and settle the documents it pays; without any, it stays on account."""
    from booksync.app.payments import add_payment
    from booksync.app.shapes import as_json as shaped
    from booksync.money import parse_amount

    value, day = parse_amount(amount), parse_date(date)
    with opened(ctx) as books:
        view = add_payment(
            books, journal=journal, partner=partner, amount=value, date=day,
            outbound=outbound, invoices=invoices, ref=ref,
        )
    if as_json:
        emit_json(shaped(view))
        return
    way = "to" if outbound else "from"
    pays = f", pays {', '.join(view.invoices)}" if view.invoices else ", on account"
    say(
        f"Payment {view.id}: {view.amount} {view.currency} {way} {view.partner} on "
        f"{view.date.isoformat()} ({view.entry}){pays}"
    )


@payment_app.command("list")
def payment_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List payments, oldest first."""
    from booksync.app.payments import list_payments
    from booksync.app.shapes import as_json as shaped

    with opened(ctx) as books:
        rows: list[dict[str, Any]] = shaped(list_payments(books))
    if as_json:
        emit_json(rows)
        return
    table(
        "Payments",
        ["Id", "Date", "Journal", "Partner", "Direction", "Amount", "Currency", "Documents",
         "Batch"],
        [
            (r["id"], r["date"], r["journal"], r["partner"], r["direction"], r["amount"],
             r["currency"], ", ".join(r["invoices"]) or "on account",
             "" if r["batch"] is None else r["batch"])
            for r in rows
        ],
        right=["Id", "Amount"],
    )


@payment_app.command("batch")
def payment_batch(
    ctx: typer.Context,
    payment_ids: list[str] = typer.Argument(..., metavar="PAYMENT_ID ...", show_default=False),
    journal: str = typer.Option(..., "--journal", help="Bank journal of the payments."),
    as_json: bool = JSON,
) -> None:
    """Group payments that reach the bank as one transfer into a batch."""
    from booksync.app.payments import batch_payments
    from booksync.app.shapes import as_json as shaped

    ids = [parse_id(text, "a payment id") for text in payment_ids]
    with opened(ctx) as books:
        view = batch_payments(books, journal=journal, payment_ids=ids)
    if as_json:
        emit_json(shaped(view))
        return
    count = len(view.payments)
    say(
        f"Batch {view.id}: {count} {view.direction.value} payment{'s' if count > 1 else ''}, "
        f"{view.total} {view.currency} on {view.date.isoformat()}"
    )
