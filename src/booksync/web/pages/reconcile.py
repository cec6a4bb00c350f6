"""The reconciliation widget of one bank statement line, and what a person does there.

The page shows the line's facts and, while it is to reconcile, its
suggestions with their reasons and scores (each applied with one click,
**Apply**), the open invoices, bills and payments to pick by hand
(**Reconcile**), the company's button rules and a write-off to any account
(**Write off**); a reconciled line shows what it was matched with and
**Undo**.  Every action is a plain form: it posts, the use case runs in one
transaction, and the browser is sent back to the widget showing the new
state; a refusal draws the widget again with the sentence that says why,
nothing kept (docs/web.md, "Reconciliation widget").
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from booksync.app import line_reconcile, reconcile
from booksync.app.context import Books
from booksync.app.errors import user_error
from booksync.app.masterdata import accounts
from booksync.app.statements import line_journal, one_line
from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_ID
from booksync.money import exponent, parse_amount, to_minor
from booksync.users.roles import Permission
from booksync.web.auth import Caller, need
from booksync.web.companies import opened
from booksync.web.pages.statements import company_query
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
LineId = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str, Form(max_length=500)]
MAX_PICKED = 100  # documents and payments named at once
DONE = {
    "reconciled": "The line is reconciled.",
    "undone": "The reconciliation is undone: the line is to reconcile again.",
}


def _failed(exc: Exception) -> BooksyncError:
    """``exc`` as the sentence a person can act on; a bug stays a bug."""
    known = user_error(exc)
    if known is None:
        raise exc
    return known


def _query(request: Request, **more: str) -> str:
    """``?company=NAME`` when the page was opened with it (and ``more``), else nothing."""
    query = {**company_query(request), **more}
    return f"?{urlencode(query)}" if query else ""


def _here(request: Request, line_id: int, **more: str) -> str:
    """The widget's address, keeping to the page's company."""
    return f"/statements/{line_id}" + _query(request, **more)


def _widget(
    request: Request, caller: Caller, line_id: int, *, q: str = "", error: str | None = None,
    status_code: int = 200, done: str | None = None,
) -> Response:
    with opened(request, caller) as books:
        row = one_line(books, line_id)
        journal, currency = line_journal(books, line_id)
        context: dict[str, Any] = {"reconciled": None, "todo": None, "items": [],
                                   "accounts": []}
        if row["reconciled"]:
            context["reconciled"] = line_reconcile.reconciliation_of(books, line_id)
        else:
            todo = line_reconcile.line_to_reconcile(books, line_id)
            context["todo"] = todo
            context["suggestions"] = [s for s in todo.suggestions if s.kind != "button"]
            context["buttons"] = [s for s in todo.suggestions if s.kind == "button"]
            context["items"] = line_reconcile.open_items(books, line_id, q)
            context["accounts"] = [a for a in accounts(books) if a.active]
    amount = Decimal(row["amount"])
    picks = [(item, _cents(item.owed, item.currency, currency)) for item in context["items"]]
    listing = {**company_query(request), "journal": journal}
    return page(
        request, caller, "reconcile.html", active="statements",
        title=f"Statement line {line_id}", line=row, amount=amount, journal=journal,
        currency=currency, exponent=exponent(currency), base=f"/statements/{line_id}",
        suffix=_query(request),
        q=q, error=error, done=DONE.get(done or ""), status_code=status_code,
        here=_here(request, line_id), back="/statements?" + urlencode(listing),
        line_cents=_cents(abs(amount), currency, currency), picks=picks,
        company_fields=company_query(request), **context,
    )


def _cents(value: Decimal, currency: str, line_currency: str) -> int | None:
    """An amount in minor units for the page's script to add up, when it is in the
    line's currency (the script never adds decimals: no floating point)."""
    if not line_currency or currency != line_currency:
        return None
    return to_minor(value, exponent(currency))


@router.get("/statements/{line_id}")
def widget(
    request: Request,
    caller: Reader,
    line_id: LineId,
    q: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The line, its suggestions and the open items to pick (``q`` searches them)."""
    return _widget(request, caller, line_id, q=(q or "").strip(), done=done)


def _act(request: Request, caller: Caller, line_id: int, action: Callable[[Books], object],
         done: str) -> Response:
    """Run ``action(books)`` in one transaction; back to the widget, or the widget again
    with the refusal."""
    try:
        with opened(request, caller) as books:
            action(books)
    except Exception as exc:  # a refusal is shown, a bug re-raised
        error = _failed(exc)
        if error.code in ("not_found", "forbidden"):
            raise error from None
        return _widget(request, caller, line_id, error=str(error),
                       status_code=error.http_status)
    return RedirectResponse(_here(request, line_id, done=done), status_code=303)


@router.post("/statements/{line_id}/apply")
def apply_suggestion(
    request: Request,
    caller: Booker,
    line_id: LineId,
    rule: Annotated[str, Form(max_length=200)] = "",
    document: Annotated[list[str], Form(max_length=MAX_PICKED)] = [],  # noqa: B006
) -> Response:
    """**Apply** a suggestion (or press a rule's button): the rule's name and the
    documents it named, so that a suggestion that changed meanwhile is refused."""
    def action(books: Books) -> None:
        if not rule.strip():
            raise BooksyncError("Choose the suggestion to apply.")
        line_reconcile.apply_suggestion(books, line_id, rule, [d for d in document if d.strip()])

    return _act(request, caller, line_id, action, "reconciled")


def _picked(items: list[str]) -> tuple[list[str], list[int]]:
    """The ticked open items: ``document:NUMBER`` or ``payment:ID``."""
    documents: list[str] = []
    payments: list[int] = []
    for value in items:
        kind, _, what = value.partition(":")
        if kind == "document" and what.strip():
            documents.append(what.strip())
        elif kind == "payment" and what.isascii() and what.isdigit() and len(what) < 11:
            payments.append(int(what))
        else:
            raise BooksyncError(f"{value[:60]!r} is not an open item of this list.")
    return documents, payments


def _counterpart(account: str, amount: str, label: str) -> str:
    """``ACCOUNT:AMOUNT:LABEL`` as ``reconcile apply`` takes a counterpart."""
    code = account.strip()
    if not code or ":" in code:
        raise BooksyncError("Choose the account to write off to.")
    value = parse_amount(amount.replace(",", ""))
    if value <= 0:
        raise BooksyncError("The amount to write off must be more than zero.")
    return f"{code}:{value}:{label.strip()}"


@router.post("/statements/{line_id}/reconcile")
def reconcile_by_hand(
    request: Request,
    caller: Booker,
    line_id: LineId,
    item: Annotated[list[str], Form(max_length=MAX_PICKED)] = [],  # noqa: B006
    account: Annotated[str, Form(max_length=64)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    label: Text = "",
) -> Response:
    """**Reconcile** with the ticked invoices, bills and payments (settled in the order
    listed, the last partly if the money runs out), and a write-off of what is left
    over when an account and amount are given."""
    def action(books: Books) -> None:
        documents, payments = _picked(item)
        counterparts = []
        if account.strip() or amount.strip():
            counterparts.append(_counterpart(account, amount, label))
        if not (documents or payments or counterparts):
            raise BooksyncError("Tick the invoices, bills or payments this line pays.")
        reconcile.apply(books, line_id, documents, payments, counterparts)

    return _act(request, caller, line_id, action, "reconciled")


@router.post("/statements/{line_id}/write-off")
def write_off(
    request: Request,
    caller: Booker,
    line_id: LineId,
    account: Annotated[str, Form(max_length=64)] = "",
    label: Text = "",
) -> Response:
    """**Write off** the whole line to an account (bank fees, interest), with a label."""
    def action(books: Books) -> None:
        whole = abs(Decimal(one_line(books, line_id)["amount"]))
        reconcile.apply(books, line_id, counterparts=[_counterpart(account, str(whole), label)])

    return _act(request, caller, line_id, action, "reconciled")


@router.post("/statements/{line_id}/undo")
def undo(request: Request, caller: Booker, line_id: LineId) -> Response:
    """**Undo** the line's reconciliation: its clearing entry is reversed, the documents
    it settled are open again."""
    return _act(request, caller, line_id, lambda books: reconcile.undo(books, line_id),
                "undone")
