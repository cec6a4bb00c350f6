"""``booksync tax|invoice|bill``: taxes, customer invoices and credit notes, vendor bills
and refunds.

A thin adapter over :mod:`booksync.app.invoices` and :mod:`booksync.app.taxes`:
it reads the command line into typed input, calls one use case in one
transaction and prints its result (docs/documents.md).  The application
layer, and SQLAlchemy with it, is imported only when a command runs
(docs/architecture.md, "Command line").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from booksync.cli.context import opened
from booksync.cli.dates import parse_date
from booksync.cli.output import emit_json, say, table
from booksync.errors import BooksyncError

if TYPE_CHECKING:
    from booksync.app.context import Books
    from booksync.app.invoices import DocumentLineInput, InvoiceView
    from booksync.documents.models import InvoiceType

JSON = typer.Option(False, "--json", help="Print JSON.")
LINE_FORMAT = "DESCRIPTION:QUANTITY:UNIT_PRICE[:TAX[:ACCOUNT]]"

tax_app = typer.Typer(help="Sales and purchase taxes.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tax_app, name="tax")
    app.add_typer(_document_app(sales=True), name="invoice")
    app.add_typer(_document_app(sales=False), name="bill")


@contextmanager
def _books(ctx: typer.Context) -> Iterator[Books]:
    """One transaction of the chosen company, committed only if the command succeeds."""

    with opened(ctx) as books:
        yield books


def _quoted(text: str) -> str:
    from booksync.ledger.limits import shown

    return shown(text)


def parse_terms(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.strip().isdigit() or len(text.strip()) > 5:
        raise BooksyncError(f"terms {_quoted(text)} must be a number of days")
    return int(text.strip())


def parse_line(spec: str) -> DocumentLineInput:
    """``DESCRIPTION:QUANTITY:UNIT_PRICE[:TAX[:ACCOUNT]]``; TAX may be left empty."""
    from booksync.app.invoices import DocumentLineInput
    from booksync.money import MoneyError, parse_amount

    parts = spec.split(":")
    if not 3 <= len(parts) <= 5:
        raise BooksyncError(
            f"line {_quoted(spec)} must be {LINE_FORMAT} (a description cannot hold ':')"
        )
    try:
        quantity, price = parse_amount(parts[1]), parse_amount(parts[2])
    except MoneyError as exc:
        raise BooksyncError(f"line {_quoted(spec)}: {exc}", code=exc.code) from None
    if not parts[1].strip() or not parts[2].strip():
        raise BooksyncError(f"line {_quoted(spec)} needs a quantity and a unit price")
    return DocumentLineInput(
        description=parts[0],
        quantity=quantity,
        unit_price=price,
        tax=(parts[3].strip() if len(parts) > 3 else "") or None,
        account=(parts[4].strip() if len(parts) > 4 else "") or None,
    )


# -- output ----------------------------------------------------------------------------


def _show(view: InvoiceView, as_json: bool) -> None:
    from booksync.app.shapes import as_json as plain

    if as_json:
        emit_json(plain(view))
        return
    number = view.number or f"draft {view.id}"
    title = (
        f"{number}  {view.type.replace('_', ' ')}  {view.partner}  {view.date.isoformat()}"
        f"  due {view.due_date.isoformat()}  {view.state}"
    )
    if view.ref:
        title += f"  ref {view.ref}"
    table(
        title,
        ["Description", "Quantity", "Unit price", "Tax", "Account", "Subtotal"],
        [
            (ln.description, _quantity(ln.quantity), ln.unit_price, ln.tax or "", ln.account,
             ln.subtotal)
            for ln in view.lines
        ],
        right=["Quantity", "Unit price", "Subtotal"],
    )
    say(
        f"untaxed {view.untaxed}  tax {view.tax}  total {view.total} {view.currency}  "
        f"residual {view.residual} ({view.payment_state.replace('_', ' ')})"
        + (f"  entry {view.entry}" if view.entry else "")
    )


def _quantity(value: Any) -> str:
    """``2.000`` as ``2``, ``1.500`` as ``1.5``: people read quantities without padding."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _list(views: list[InvoiceView], as_json: bool, title: str) -> None:
    from booksync.app.shapes import as_json as plain

    if as_json:
        emit_json(plain(views))
        return
    table(
        title,
        ["Number", "Type", "Partner", "Date", "Due", "Total", "Residual", "Currency", "State",
         "Payment"],
        [
            (v.number or f"draft {v.id}", v.type.replace("_", " "), v.partner, v.date, v.due_date,
             v.total, v.residual, v.currency, v.state, v.payment_state.replace("_", " "))
            for v in views
        ],
        right=["Total", "Residual"],
    )


# -- taxes -----------------------------------------------------------------------------


@tax_app.command("list")
def tax_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the taxes."""
    from booksync.app.shapes import as_json as plain
    from booksync.app.taxes import list_taxes

    with _books(ctx) as books:
        views = list_taxes(books)
    if as_json:
        emit_json(plain(views))
        return
    table(
        "Taxes",
        ["Name", "Type", "Rate %", "Account", "Price included", "Active"],
        [(t.name, t.type, t.rate, t.account, "yes" if t.price_included else "",
          "yes" if t.active else "no") for t in views],
        right=["Rate %"],
    )


@tax_app.command("add")
def tax_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Tax name, unique among the taxes of its type."),
    rate: str = typer.Option(..., "--rate", help="Percentage, e.g. 20 or 5.5."),
    kind: str = typer.Option(..., "--type", help="sale or purchase."),
    account: str | None = typer.Option(
        None, "--account", help="Account code (default: VAT payable or VAT receivable)."
    ),
    included: bool = typer.Option(False, "--included", help="Prices already include it."),
) -> None:
    """Add a tax."""
    from booksync.app.taxes import add_tax

    with _books(ctx) as books:
        tax = add_tax(books, name, rate, kind, account=account, price_included=included)
    say(f"added {tax.type} tax {tax.name} ({tax.rate} %, account {tax.account})")


# -- invoices and bills ----------------------------------------------------------------


def _kinds(sales: bool) -> tuple[InvoiceType, ...]:
    from booksync.documents.invoices import PURCHASE_KINDS, SALE_KINDS

    return SALE_KINDS if sales else PURCHASE_KINDS


def _document_app(*, sales: bool) -> typer.Typer:
    """The ``invoice`` group (sales) or the ``bill`` group (purchases): the same verbs."""
    noun = "invoice" if sales else "bill"
    mirror = "credit-note" if sales else "refund"
    mirror_name = "credit note" if sales else "refund"
    group = typer.Typer(
        help="Customer invoices and credit notes." if sales else "Vendor bills and refunds.",
        no_args_is_help=True,
    )
    ref_help = "The customer's reference." if sales else "The vendor's number for the bill."

    def add(
        ctx: typer.Context,
        partner: str = typer.Option(..., "--partner", help="Partner name."),
        date: str = typer.Option(..., "--date", help="Date YYYY-MM-DD."),
        due: str | None = typer.Option(None, "--due", help="Due date YYYY-MM-DD."),
        terms: str | None = typer.Option(
            None, "--terms", help="Due this many days after the date (default: on the date)."
        ),
        ref: str | None = typer.Option(None, "--ref", help=ref_help),
        currency: str | None = typer.Option(
            None, "--currency", help="Currency (default: the company's)."
        ),
        reverse: bool = typer.Option(False, f"--{mirror}", help=f"Make a {mirror_name}."),
        lines: list[str] = typer.Option(..., "--line", help=f"{LINE_FORMAT}, repeat per line."),
        post: bool = typer.Option(False, "--post", help="Post it at once."),
        as_json: bool = JSON,
    ) -> None:
        from booksync.app.invoices import DocumentInput, add_invoice

        data = DocumentInput(
            type=_kinds(sales)[1 if reverse else 0],
            partner=partner,
            date=parse_date(date),
            lines=tuple(parse_line(spec) for spec in lines),
            due_date=parse_date(due, "due date") if due is not None else None,
            terms=parse_terms(terms),
            ref=ref,
            currency=currency,
        )
        with _books(ctx) as books:
            view = add_invoice(books, data, post=post)
        _show(view, as_json)

    target = typer.Argument(..., help=f"The {noun}'s number or id.")

    def post(ctx: typer.Context, ref: str = target, as_json: bool = JSON) -> None:
        from booksync.app.invoices import post_invoice

        with _books(ctx) as books:
            view = post_invoice(books, ref, _kinds(sales))
        _show(view, as_json)

    def show(ctx: typer.Context, ref: str = target, as_json: bool = JSON) -> None:
        from booksync.app.invoices import show_invoice

        with _books(ctx) as books:
            view = show_invoice(books, ref, _kinds(sales))
        _show(view, as_json)

    def correct(
        ctx: typer.Context,
        ref: str = target,
        date: str | None = typer.Option(
            None, "--date", help=f"Date of the {mirror_name} (default: the {noun}'s)."
        ),
        as_json: bool = JSON,
    ) -> None:
        from booksync.app.invoices import credit_note

        day = parse_date(date) if date is not None else None
        with _books(ctx) as books:
            view = credit_note(books, ref, _kinds(sales), date=day)
        _show(view, as_json)

    def cancel(ctx: typer.Context, ref: str = target, as_json: bool = JSON) -> None:
        from booksync.app.invoices import cancel_invoice

        with _books(ctx) as books:
            view = cancel_invoice(books, ref, _kinds(sales))
        _show(view, as_json)

    def listing(
        ctx: typer.Context,
        open_only: bool = typer.Option(False, "--open", help="Only posted ones still owed."),
        partner: str | None = typer.Option(None, "--partner", help="Only this partner's."),
        as_json: bool = JSON,
    ) -> None:
        from booksync.app.invoices import list_invoices

        with _books(ctx) as books:
            views = list_invoices(books, _kinds(sales), open_only=open_only, partner=partner)
        _list(views, as_json, "Invoices and credit notes" if sales else "Bills and refunds")

    plural = "invoices and credit notes" if sales else "bills and refunds"
    group.command("add", help=f"Add {'an invoice' if sales else 'a bill'} (a draft unless "
                              f"--post), or a {mirror_name} with --{mirror}.")(add)
    group.command("post", help=f"Post a draft {noun}: its number and its entry.")(post)
    group.command("show", help=f"Show one of the {plural}.")(show)
    group.command(mirror, help=f"Post the {mirror_name} of a posted {noun} and settle it "
                               "with what is still owed.")(correct)
    group.command("cancel", help=f"Cancel a draft {noun}.")(cancel)
    group.command("list", help=f"List the {plural}.")(listing)
    return group
