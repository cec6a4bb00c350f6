"""Partners: the list with its search, a partner's page, a new partner, a bank account.

The list is a keyset page by name.  A partner's page shows its bank
account (IBAN), what it still owes or is owed item by item, and the
balance.  Adding a partner or its bank account is for accountants and
admins; a wrong IBAN comes back next to its field, nothing saved
(docs/web.md, "Partners").
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from booksync.app.errors import user_error
from booksync.app.masterdata import add_partner_iban, find_partners, new_partner, partner_detail
from booksync.errors import BooksyncError
from booksync.users.roles import Permission
from booksync.web.api.common import MAX_ID, IdPath, after_id, cursor_of
from booksync.web.auth import Caller, need
from booksync.web.companies import opened
from booksync.web.pages.invoices import TYPE_NAMES
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
Text = Annotated[str, Form(max_length=500)]


def _failed(exc: Exception) -> BooksyncError:
    """``exc`` as the sentence a person can act on; a bug stays a bug."""
    known = user_error(exc)
    if known is None:
        raise exc
    return known


@router.get("/partners")
def partner_list(
    request: Request,
    caller: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    after: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Partners by name, a page at a time; ``q`` searches names, IBANs and emails."""
    last = after_id(after)
    with opened(request, caller) as books:
        rows = [] if last is not None and last > MAX_ID else find_partners(
            books, q=q or None, after=last, limit=PAGE_SIZE + 1)
    kept = {"q": q} if q else {}
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return page(
        request, caller, "partner_list.html", active="partners", title="Partners", rows=rows,
        q=q, next="/partners?" + urlencode({**kept, "after": cursor_of(rows[-1].id)})
        if more else None,
        first="/partners?" + urlencode(kept) if last is not None else None,
    )


def _form(request: Request, caller: Caller, values: dict[str, str], errors: dict[str, str],
          status_code: int = 200) -> Response:
    return page(request, caller, "partner_form.html", active="partners", title="Add a partner",
                values=values, errors=errors, status_code=status_code)


@router.get("/partners/new")
def partner_new(request: Request, caller: Booker) -> Response:
    return _form(request, caller, {"name": "", "iban": "", "email": ""}, {})


@router.post("/partners/new")
def partner_create(request: Request, caller: Booker, name: Text = "", iban: Text = "",
                   email: Text = "") -> Response:
    """Add a partner and show it; a refusal is shown next to its field."""
    values = {"name": name.strip(), "iban": iban.strip(), "email": email.strip()}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Give the partner's name."
    status = 422
    if not errors:
        try:
            with opened(request, caller) as books:
                made = new_partner(books, values["name"], iban=values["iban"] or None,
                                   email=values["email"] or None)
            return RedirectResponse(f"/partners/{made.id}", status_code=303)
        except Exception as exc:  # a refusal is shown, a bug re-raised
            refused = _failed(exc)
            message = str(refused)
            field = "iban" if "IBAN" in message else "email" if "email" in message else "name"
            errors[field] = message
            status = refused.http_status
    return _form(request, caller, values, errors, status)


def _partner_page(request: Request, caller: Caller, partner_id: int, *,
                  errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
                  status_code: int = 200) -> Response:
    with opened(request, caller) as books:
        detail = partner_detail(books, partner_id)
    return page(request, caller, "partner_page.html", active="partners", title=detail.name,
                partner=detail, errors=errors or {}, values=values or {"iban": ""},
                type_names=TYPE_NAMES, status_code=status_code)


@router.get("/partners/{partner_id:int}")
def partner_show(request: Request, caller: Reader, partner_id: IdPath) -> Response:
    return _partner_page(request, caller, partner_id)


@router.post("/partners/{partner_id:int}/bank-accounts")
def partner_bank_account(request: Request, caller: Booker, partner_id: IdPath,
                         iban: Text = "") -> Response:
    """Give the partner its bank account (IBAN); a wrong one is shown next to the field."""
    values = {"iban": iban.strip()}
    if not values["iban"]:
        return _partner_page(request, caller, partner_id, errors={"iban": "Give the IBAN."},
                             values=values, status_code=422)
    try:
        with opened(request, caller) as books:
            add_partner_iban(books, partner_id, values["iban"])
    except Exception as exc:  # a refusal is shown (a missing partner: 404), a bug raised
        refused = _failed(exc)
        return _partner_page(request, caller, partner_id, errors={"iban": str(refused)},
                             values=values, status_code=refused.http_status)
    return RedirectResponse(f"/partners/{partner_id}", status_code=303)
