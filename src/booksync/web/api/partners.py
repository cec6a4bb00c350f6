"""``/api/v1/partners``: partners, their bank account and what they owe, through the API.

A partner is given by its id; the list is a keyset page by name with ``q``
matching names, IBANs and emails.  A partner's answer adds its open items
and balances (``PartnerDetail``); a list item is ``partner list --json``'s
shape with the id (docs/web.md, "Invoices, bills, payments and partners API").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from booksync.app.masterdata import add_partner_iban, find_partners, new_partner, partner_detail
from booksync.app.shapes import as_json
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    IdPath,
    LimitQuery,
    after_id,
    listing,
)
from booksync.web.api.invoices import Body
from booksync.web.auth import Caller, need
from booksync.web.companies import opened

router = APIRouter(prefix="/api/v1", tags=["partners"])

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]


class PartnerBody(Body):
    name: str = Field(max_length=200, description="Unique in the company.")
    iban: str | None = Field(None, max_length=60, description="Its bank account.")
    email: str | None = Field(None, max_length=200)


class BankAccountBody(Body):
    iban: str = Field(max_length=60)


@router.get("/partners")
def partner_list(
    request: Request,
    caller: Reader,
    company: CompanyQuery = None,
    q: Annotated[str | None, Query(max_length=200,
                                   description="Part of the name, IBAN or email.")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """A page of partners by name; ``next`` is the following page's cursor."""
    after = after_id(cursor)
    with opened(request, caller) as books:
        rows = find_partners(books, q=q, after=after, limit=limit + 1)
    return listing(as_json(rows), limit)


@router.post("/partners", status_code=201)
def partner_add(request: Request, caller: Booker, body: PartnerBody,
                company: CompanyQuery = None) -> JSONResponse:
    """Add a partner; its IBAN, if given, is checked in full."""
    with opened(request, caller) as books:
        made = new_partner(books, body.name, iban=body.iban, email=body.email)
    return JSONResponse(as_json(made), status_code=201)


@router.get("/partners/{partner_id}")
def partner_show(request: Request, caller: Reader, partner_id: IdPath,
                 company: CompanyQuery = None) -> Any:
    """A partner with its open items (oldest due first) and balances."""
    with opened(request, caller) as books:
        return as_json(partner_detail(books, partner_id))


@router.post("/partners/{partner_id}/bank-accounts", status_code=201)
def partner_bank_account(request: Request, caller: Booker, partner_id: IdPath,
                         body: BankAccountBody, company: CompanyQuery = None) -> JSONResponse:
    """Give the partner its bank account; a partner holds one IBAN (conflict otherwise)."""
    with opened(request, caller) as books:
        made = add_partner_iban(books, partner_id, body.iban)
    return JSONResponse(as_json(made), status_code=201)
