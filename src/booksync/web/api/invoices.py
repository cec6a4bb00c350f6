"""``/api/v1/invoices`` and ``/api/v1/bills``: documents through the API.

The same verbs as ``booksync invoice`` and ``booksync bill``, over the same
use cases, in the shape of their ``--json`` (``InvoiceView``).  Lists are
keyset pages, newest first, filtered by ``state`` (all, draft, open, overdue,
paid) and ``q``.  Amounts and quantities go in as decimal strings: a JSON
number is refused, since a float cannot say which decimal was meant
(docs/web.md, "Invoices, bills, payments and partners API").
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from booksync.app.invoices import (
    BROWSE_STATES,
    DocumentInput,
    DocumentLineInput,
    add_invoice,
    browse_invoices,
    credit_note,
    post_invoice,
    show_invoice,
)
from booksync.app.shapes import as_json
from booksync.documents.invoices import MAX_TERMS, PURCHASE_KINDS, SALE_KINDS
from booksync.documents.models import InvoiceType
from booksync.errors import BooksyncError
from booksync.ledger.limits import text_ok
from booksync.money import parse_amount
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    Day,
    IdPath,
    LimitQuery,
    after_id,
    listing,
)
from booksync.web.auth import Caller, need
from booksync.web.companies import opened

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
DecimalText = Annotated[str, Field(min_length=1, max_length=40,
                               description="A decimal string, e.g. \"150.00\".")]
StateQuery = Annotated[str, Query(max_length=20,
                                  description="One of " + ", ".join(BROWSE_STATES) + ".")]
SearchQuery = Annotated[str | None, Query(
    max_length=200, description="Part of the number, the reference or the partner's name, "
    "or the total as an amount.")]


class Body(BaseModel):
    """A request body of known fields whose texts hold no control character: no name or
    number booksync keeps holds one, and PostgreSQL refuses NUL outright."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def printable(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not text_ok(text, len(text)):
                raise ValueError("holds a control character; only printable text is accepted")
        return value


class LineBody(Body):
    """One line: ``tax`` a tax's name, ``account`` a code (default: the journal's)."""

    description: str = Field(max_length=500)
    quantity: DecimalText = "1"
    unit_price: DecimalText
    tax: str | None = Field(None, max_length=200)
    account: str | None = Field(None, max_length=128)


class DocumentBody(Body):
    """A document as ``booksync invoice add`` (or ``bill add``) takes it; a draft unless
    ``post``.  ``type``: invoice or credit_note under /invoices, bill or refund under
    /bills (default: invoice, bill)."""

    partner: str = Field(max_length=200, description="The partner's name.")
    date: Day = Field(description="YYYY-MM-DD.")
    due_date: Day | None = Field(None, description="YYYY-MM-DD.")
    terms: int | None = Field(None, ge=0, le=MAX_TERMS, strict=True,
                              description="Due this many days after the date.")
    ref: str | None = Field(None, max_length=200)
    currency: str | None = Field(None, max_length=3)
    type: str | None = Field(None, max_length=20)
    lines: list[LineBody] = Field(min_length=1, max_length=500)
    post: bool = Field(False, description="Post at once: numbered, booked, final.")


class CorrectionBody(Body):
    date: Day | None = Field(None, description="Default: the document's.")


def _routes(path: str, kinds: tuple[InvoiceType, ...], mirror: str) -> None:
    """The routes of ``/api/v1/{path}`` on :data:`router`."""
    base = f"/{path}"
    tag: list[str | Enum] = [path]

    @router.get(base, tags=tag, name=f"{path}_list")
    def listing_(request: Request, caller: Reader, company: CompanyQuery = None,
                 state: StateQuery = "all", q: SearchQuery = None,
                 cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
                 ) -> dict[str, Any]:
        """A page of documents, newest first; ``next`` is the following page's cursor."""
        before = after_id(cursor)
        with opened(request, caller) as books:
            views = browse_invoices(books, kinds, state=state, q=q, limit=limit + 1,
                                    before=before)
        return listing(as_json(views), limit)

    @router.post(base, tags=tag, name=f"{path}_create", status_code=201)
    def create(request: Request, caller: Booker, body: DocumentBody,
               company: CompanyQuery = None) -> JSONResponse:
        """A new draft, or a posted document with ``"post": true``."""
        kind = kinds[0] if body.type is None else InvoiceType(body.type) if body.type in {
            k.value for k in kinds} else None
        if kind is None:
            raise BooksyncError(f"type must be one of {', '.join(k.value for k in kinds)}")
        data = DocumentInput(
            type=kind, partner=body.partner, date=body.date, due_date=body.due_date,
            terms=body.terms, ref=body.ref, currency=body.currency,
            lines=tuple(
                DocumentLineInput(ln.description, parse_amount(ln.quantity),
                                  parse_amount(ln.unit_price), ln.tax or None,
                                  ln.account or None)
                for ln in body.lines
            ),
        )
        with opened(request, caller) as books:
            view = add_invoice(books, data, post=body.post)
        return JSONResponse(as_json(view), status_code=201)

    @router.get(base + "/{doc_id}", tags=tag, name=f"{path}_show")
    def show(request: Request, caller: Reader, doc_id: IdPath,
             company: CompanyQuery = None) -> Any:
        with opened(request, caller) as books:
            return as_json(show_invoice(books, doc_id, kinds))

    @router.post(base + "/{doc_id}/post", tags=tag, name=f"{path}_post")
    def post(request: Request, caller: Booker, doc_id: IdPath,
             company: CompanyQuery = None) -> Any:
        """Post a draft: its number, its entry, its open item."""
        with opened(request, caller) as books:
            return as_json(post_invoice(books, doc_id, kinds))

    @router.post(base + "/{doc_id}/" + mirror, tags=tag, name=f"{path}_{mirror}",
                 status_code=201)
    def correct(request: Request, caller: Booker, doc_id: IdPath,
                body: CorrectionBody | None = None, company: CompanyQuery = None
                ) -> JSONResponse:
        """Post the correcting document of a posted one and settle what it still owes."""
        with opened(request, caller) as books:
            view = credit_note(books, doc_id, kinds, date=body.date if body else None)
        return JSONResponse(as_json(view), status_code=201)


_routes("invoices", SALE_KINDS, "credit-note")
_routes("bills", PURCHASE_KINDS, "refund")
