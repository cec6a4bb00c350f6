"""Invoices and bills: the lists, the form of a new one, a document's page and its actions.

One module for both menu entries, as the command line's ``invoice`` and
``bill`` groups share their code: ``/invoices`` holds the sales documents
(invoices and their credit notes), ``/bills`` the purchase documents (bills
and their refunds).  Lists are keyset pages, newest first.  The form works
without script (**Add a line** sends it back with one more line; the totals
show once it is saved); ``static/invoice_form.js`` adds live totals in
integer minor units, and the server computes them again and is the truth.
A refusal comes back next to the field it is about, nothing saved
(docs/web.md, "Invoices and bills").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from booksync.app.context import Books
from booksync.app.errors import user_error
from booksync.app.invoices import (
    DocumentInput,
    DocumentLineInput,
    InvoiceView,
    add_invoice,
    browse_invoices,
    cancel_invoice,
    credit_note,
    document_detail,
    post_invoice,
    show_invoice,
)
from booksync.app.masterdata import accounts, find_partners, get_partner, journals
from booksync.app.payments import add_payment
from booksync.app.taxes import list_taxes
from booksync.documents.invoices import PURCHASE_KINDS, SALE_KINDS
from booksync.documents.models import InvoiceType
from booksync.documents.taxes import rate_units
from booksync.errors import BooksyncError
from booksync.ledger.limits import shown, text_ok
from booksync.money import CURRENCIES, MoneyError, parse_amount
from booksync.users.roles import Permission
from booksync.web.api.common import MAX_ID, IdPath, after_id, cursor_of
from booksync.web.auth import Caller, need
from booksync.web.companies import opened
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
NEW_LINES = 2  # the empty lines a new form starts with
MAX_LINES = 500
MAX_PARTNERS = 500  # offered as suggestions; any other name may still be typed
LINE_FIELDS = ("description", "quantity", "unit_price", "tax", "account")

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
Text = Annotated[str, Form(max_length=500)]
Field = Annotated[list[str], Form(max_length=MAX_LINES)]


@dataclass(frozen=True, slots=True)
class Side:
    """Sales or purchases: what differs between the Invoices and the Bills pages."""

    key: str  # the menu key and the path
    title: str
    noun: str
    kinds: tuple[InvoiceType, ...]
    tax_type: str
    mirror: str  # the path of the correcting document's action
    mirror_label: str


SIDES = (
    Side("invoices", "Invoices", "invoice", SALE_KINDS, "sale", "credit-note", "Credit note"),
    Side("bills", "Bills", "bill", PURCHASE_KINDS, "purchase", "refund", "Refund"),
)
FILTERS = (("all", "All"), ("open", "Open"), ("overdue", "Overdue"), ("paid", "Paid"),
           ("draft", "Draft"))
PRINTABLE = "holds a control character; only printable text is accepted"
OUTBOUND = frozenset({InvoiceType.BILL.value, InvoiceType.CREDIT_NOTE.value})
TYPE_NAMES = {"invoice": "Invoice", "credit_note": "Credit note", "bill": "Bill",
              "refund": "Refund"}


def badges(view: InvoiceView, today: dt.date) -> list[tuple[str, str]]:
    """The state badges of a document: (css class, label)."""
    if view.state != "posted":
        return [(view.state, view.state.capitalize())]
    if view.payment_state in ("paid", "reversed"):
        return [(view.payment_state, view.payment_state.capitalize())]
    found = [("partial", "Partially paid") if view.payment_state == "partial"
             else ("open", "Open")]
    if view.due_date < today:
        found.append(("overdue", "Overdue"))
    return found


def _quantity(value: Decimal) -> str:
    """``2.000`` as ``2``, ``1.500`` as ``1.5``: people read quantities without padding."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _failed(exc: Exception) -> BooksyncError:
    """``exc`` as the sentence a person can act on; a bug stays a bug."""
    known = user_error(exc)
    if known is None:
        raise exc
    return known


def _day(text: str, name: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BooksyncError(f"{name} {shown(text)} is not a date (YYYY-MM-DD)") from None


_LINE = re.compile(r"^line (\d+): ")


def _field_of(message: str) -> str:
    """The form field a use case's refusal is about, to show it next to that field."""
    found = _LINE.match(message)
    if found:
        return f"line{found.group(1)}"
    for words, field in (("line", "lines"), ("unknown partner", "partner"),
                         ("due date", "due_date"), ("terms", "terms"), ("currency", "currency"),
                         ("ref", "ref"), ("date", "date")):
        if words in message:
            return field
    return "form"


def _rows(columns: dict[str, list[str]]) -> list[dict[str, str]]:
    """The form's lines as typed, the empty ones left out."""
    count = max(len(v) for v in columns.values())
    rows = [{k: (v[n].strip() if n < len(v) else "") for k, v in columns.items()}
            for n in range(count)]
    return [row for row in rows if row["description"] or row["unit_price"]]


def _document_input(side: Side, values: dict[str, Any], errors: dict[str, str]
                    ) -> DocumentInput | None:
    """The form read into the use case's input; each mistake noted next to its field."""

    def read(field: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except BooksyncError as exc:
            errors[field] = str(exc)
            return None

    for field in ("partner", "ref", "currency"):
        if not text_ok(values[field], len(values[field])):
            errors[field] = PRINTABLE
    for n, row in enumerate(values["lines"], 1):
        if not all(text_ok(text, len(text)) for text in row.values()):
            errors[f"line{n}"] = f"line {n}: {PRINTABLE}"
    if errors:
        return None
    if not values["partner"]:
        errors["partner"] = "Choose a partner."
    day = read("date", lambda: _day(values["date"], "date"))
    if day is None and "date" not in errors:
        errors["date"] = "Give the date."
    due = read("due_date", lambda: _day(values["due_date"], "due date"))
    terms = None
    if values["terms"]:
        if not values["terms"].isdigit() or len(values["terms"]) > 5:
            errors["terms"] = f"terms {shown(values['terms'])} must be a number of days"
        else:
            terms = int(values["terms"])
    lines = []
    for n, row in enumerate(values["lines"], 1):
        try:
            quantity, price = parse_amount(row["quantity"] or "1"), parse_amount(row["unit_price"])
        except MoneyError as exc:
            errors[f"line{n}"] = f"line {n}: {exc}"
            continue
        if not row["unit_price"]:
            errors[f"line{n}"] = f"line {n}: give a unit price"
        lines.append(DocumentLineInput(row["description"], quantity, price,
                                       row["tax"] or None, row["account"] or None))
    if not values["lines"]:
        errors["lines"] = "Add a line: a description, a quantity and a unit price."
    if errors or day is None:
        return None
    mirror = values.get("type") == side.kinds[1].value
    return DocumentInput(type=side.kinds[1 if mirror else 0], partner=values["partner"],
                         date=day, lines=tuple(lines), due_date=due, terms=terms,
                         ref=values["ref"] or None, currency=values["currency"] or None)


def _form_page(request: Request, caller: Caller, books: Books, side: Side,
               values: dict[str, Any], errors: dict[str, str], status_code: int = 200
               ) -> Response:
    taxes = [(t, rate_units(t.rate)) for t in list_taxes(books, side.tax_type) if t.active]
    return page(
        request, caller, "invoice_form.html", active=side.key, title=f"New {side.noun}",
        side=side, values=values, errors=errors, taxes=taxes,
        accounts=[a for a in accounts(books) if a.active and not a.reconcile],
        partners=[p.name for p in find_partners(books, limit=MAX_PARTNERS)],
        currencies=sorted((code, exp) for code, (exp, _) in CURRENCIES.items()),
        type_names=TYPE_NAMES, status_code=status_code,
    )


def _document_page(request: Request, caller: Caller, side: Side, doc_id: int, *,
                   errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                   status_code: int = 200) -> Response:
    today = dt.date.today()
    with opened(request, caller) as books:
        detail = document_detail(books, doc_id, side.kinds)
        banks = [j for j in journals(books) if j.type == "bank"]
    view = detail.document
    payment = {"amount": str(view.residual), "date": today.isoformat(),
               "journal": banks[0].code if banks else "", "ref": "", **(values or {})}
    return page(
        request, caller, "invoice_page.html", active=side.key,
        title=view.number or f"Draft {side.noun} {view.id}", side=side, detail=detail,
        doc=view, badges=badges(view, today), banks=banks, payment=payment,
        outbound=view.type in OUTBOUND, errors=errors or {}, type_names=TYPE_NAMES,
        qty=_quantity, status_code=status_code,
    )


def _routes(side: Side) -> None:
    """The pages of one side, registered on :data:`router`."""
    base = f"/{side.key}"

    @router.get(base, name=f"{side.key}_list")
    def listing(
        request: Request,
        caller: Reader,
        state: Annotated[str, Query(max_length=20)] = "all",
        q: Annotated[str, Query(max_length=200)] = "",
        partner: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        after: Annotated[str | None, Query(max_length=100)] = None,
    ) -> Response:
        """A page of documents, newest first; ``after`` the cursor of the page before."""
        before = after_id(after)
        with opened(request, caller) as books:
            views = browse_invoices(books, side.kinds, state=state, q=q or None,
                                    partner_id=partner, limit=PAGE_SIZE + 1,
                                    before=before if before is None or before <= MAX_ID
                                    else None)  # every id is below a larger one
            named = get_partner(books, partner).name if partner else None
        kept = {k: v for k, v in (("state", state), ("q", q), ("partner", partner)) if v}
        more = len(views) > PAGE_SIZE
        views = views[:PAGE_SIZE]
        today = dt.date.today()
        return page(
            request, caller, "invoice_list.html", active=side.key, title=side.title,
            side=side, rows=[(v, badges(v, today)) for v in views], state=state, q=q,
            filters=[(key, label, f"{base}?" + urlencode({**kept, "state": key}))
                     for key, label in FILTERS],
            partner=named, type_names=TYPE_NAMES,
            next=f"{base}?" + urlencode({**kept, "after": cursor_of(views[-1].id)})
            if more else None,
            first=f"{base}?" + urlencode(kept) if before is not None else None,
        )

    @router.get(f"{base}/new", name=f"{side.key}_new")
    def new(request: Request, caller: Booker) -> Response:
        values = {"partner": request.query_params.get("partner", "")[:200],
                  "date": dt.date.today().isoformat(), "due_date": "", "terms": "", "ref": "",
                  "currency": "", "type": side.kinds[0].value,
                  "lines": [dict.fromkeys(LINE_FIELDS, "") for _ in range(NEW_LINES)]}
        with opened(request, caller) as books:
            values["currency"] = books.company.currency_code
            return _form_page(request, caller, books, side, values, {})

    @router.post(f"{base}/new", name=f"{side.key}_create")
    def create(
        request: Request,
        caller: Booker,
        partner: Text = "",
        date: Text = "",
        due_date: Text = "",
        terms: Text = "",
        ref: Text = "",
        currency: Text = "",
        type: Text = "",
        description: Field = [],  # noqa: B006 - FastAPI copies a form's defaults
        quantity: Field = [],  # noqa: B006
        unit_price: Field = [],  # noqa: B006
        tax: Field = [],  # noqa: B006
        account: Field = [],  # noqa: B006
        action: Annotated[str, Form(max_length=20)] = "draft",
    ) -> Response:
        """Save the form as a draft or post it; ``action=add_line`` only draws the form
        again with one more line."""
        rows = _rows({"description": description, "quantity": quantity,
                      "unit_price": unit_price, "tax": tax, "account": account})
        values: dict[str, Any] = {
            "partner": partner.strip(), "date": date.strip(), "due_date": due_date.strip(),
            "terms": terms.strip(), "ref": ref.strip(), "currency": currency.strip().upper(),
            "type": type.strip(), "lines": rows,
        }
        errors: dict[str, str] = {}
        status = 200
        if action == "add_line":
            values["lines"] = [*rows, dict.fromkeys(LINE_FIELDS, "")]
        else:
            data = _document_input(side, values, errors)
            status = 422
            if data is not None:
                try:
                    with opened(request, caller) as books:  # one transaction: all or nothing
                        made = add_invoice(books, data, post=action == "post")
                    return RedirectResponse(f"{base}/{made.id}", status_code=303)
                except Exception as exc:  # a refusal is shown, a bug re-raised
                    refused = _failed(exc)
                    errors[_field_of(str(refused))] = str(refused)
                    status = refused.http_status
        with opened(request, caller) as books:
            return _form_page(request, caller, books, side, values, errors, status)

    @router.get(base + "/{doc_id:int}", name=f"{side.key}_show")
    def show(request: Request, caller: Reader, doc_id: IdPath) -> Response:
        return _document_page(request, caller, side, doc_id)

    def act(request: Request, caller: Caller, doc_id: int, field: str,
            run: Callable[[Books], int], values: dict[str, str] | None = None) -> Response:
        """Run one action on the document; go to the document it names, or show the
        refusal on the document's page next to ``field``."""
        try:
            with opened(request, caller) as books:
                target = run(books)
        except Exception as exc:  # a refusal is shown (a missing document: 404), a bug raised
            refused = _failed(exc)
            message = str(refused)
            if field == "payment":
                field = next((f for f in ("amount", "journal", "date") if f in message),
                             "payment")
            return _document_page(request, caller, side, doc_id, errors={field: message},
                                  values=values, status_code=refused.http_status)
        return RedirectResponse(f"{base}/{target}", status_code=303)

    @router.post(base + "/{doc_id:int}/post", name=f"{side.key}_post")
    def post(request: Request, caller: Booker, doc_id: IdPath) -> Response:
        return act(request, caller, doc_id, "post",
                   lambda books: post_invoice(books, doc_id, side.kinds).id)

    @router.post(base + "/{doc_id:int}/cancel", name=f"{side.key}_cancel")
    def cancel(request: Request, caller: Booker, doc_id: IdPath) -> Response:
        return act(request, caller, doc_id, "post",
                   lambda books: cancel_invoice(books, doc_id, side.kinds).id)

    @router.post(base + "/{doc_id:int}/" + side.mirror, name=f"{side.key}_mirror")
    def correct(request: Request, caller: Booker, doc_id: IdPath,
                date: Annotated[str, Form(max_length=40)] = "") -> Response:
        """Post the credit note (or refund) of a posted document and show it."""
        return act(request, caller, doc_id, "mirror", lambda books: credit_note(
            books, doc_id, side.kinds, date=_day(date, "date")).id)

    @router.post(base + "/{doc_id:int}/payment", name=f"{side.key}_payment")
    def pay(request: Request, caller: Booker, doc_id: IdPath, amount: Text = "",
            date: Text = "", journal: Text = "", ref: Text = "") -> Response:
        """Register a payment of the document through a bank journal."""
        given = {"amount": amount.strip(), "date": date.strip(), "journal": journal.strip(),
                 "ref": ref.strip()}
        errors: dict[str, str] = {}
        try:
            value = parse_amount(given["amount"])
        except MoneyError as exc:
            errors["amount"] = str(exc)
        try:
            day = _day(given["date"], "date") or dt.date.today()
        except BooksyncError as exc:
            errors["date"] = str(exc)
        if not given["journal"]:
            errors["journal"] = "Choose the bank journal the money goes through."
        for field in ("journal", "ref"):
            if not text_ok(given[field], len(given[field])):
                errors[field] = PRINTABLE
        if errors:
            return _document_page(request, caller, side, doc_id, errors=errors, values=given,
                                  status_code=422)

        def run(books: Books) -> int:
            view = show_invoice(books, doc_id, side.kinds)
            add_payment(books, journal=given["journal"], partner=view.partner, amount=value,
                        date=day, outbound=view.type in OUTBOUND,
                        invoices=[view.number or str(view.id)], ref=given["ref"] or None)
            return doc_id

        return act(request, caller, doc_id, "payment", run, given)


for _side in SIDES:
    _routes(_side)
