"""``/api/v1/payments``: payments received and sent, through the API.

``POST`` registers a payment as ``booksync payment add`` does, settling the
documents it names (oldest due first) or staying on account without any;
``GET`` lists them newest first, a keyset page at a time, in the shape of
``payment list --json`` (docs/payments.md, "JSON"; docs/web.md,
"Invoices, bills, payments and partners API").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from booksync.app.payments import add_payment, payment_page
from booksync.app.shapes import as_json
from booksync.money import parse_amount
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    Day,
    LimitQuery,
    after_id,
    listing,
)
from booksync.web.api.invoices import Body
from booksync.web.auth import Caller, need
from booksync.web.companies import opened

router = APIRouter(prefix="/api/v1", tags=["payments"])

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
Number = Annotated[str, Field(max_length=64)]


class PaymentBody(Body):
    """A payment as ``booksync payment add`` takes it."""

    journal: str = Field(max_length=16, description="The bank journal's code, e.g. BNK1.")
    partner: str = Field(max_length=200, description="The partner's name.")
    amount: str = Field(min_length=1, max_length=40,
                        description="A decimal string in the journal's currency.")
    date: Day = Field(description="YYYY-MM-DD.")
    outbound: bool = Field(False, description="We pay (a vendor); else we receive.")
    invoices: list[Number] = Field(default_factory=list, max_length=500,
                                   description="Numbers of the documents it pays; none: on "
                                   "account.")
    ref: str | None = Field(None, max_length=500)


@router.get("/payments")
def payment_list(request: Request, caller: Reader, company: CompanyQuery = None,
                 cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
                 ) -> dict[str, Any]:
    """A page of payments, newest first; ``next`` is the following page's cursor."""
    before = after_id(cursor)
    with opened(request, caller) as books:
        return listing(as_json(payment_page(books, before=before, limit=limit + 1)), limit)


@router.post("/payments", status_code=201)
def payment_add(request: Request, caller: Booker, body: PaymentBody,
                company: CompanyQuery = None) -> JSONResponse:
    """Register a payment and settle the documents it names; without any it stays on
    account."""
    amount = parse_amount(body.amount)
    with opened(request, caller) as books:
        view = add_payment(books, journal=body.journal.strip(), partner=body.partner.strip(),
                           amount=amount, date=body.date, outbound=body.outbound,
                           invoices=[n.strip() for n in body.invoices],
                           ref=body.ref or None)
    return JSONResponse(as_json(view), status_code=201)
