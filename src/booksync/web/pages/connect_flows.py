"""**Connect** and **Renew** through GoCardless and Plaid, and GoCardless's way back.

GoCardless links through the user's browser (docs/banking.md, "GoCardless
Bank Account Data"): **Connect** starts a requisition and shows a page
whose button opens its link at the bank (a form's answer may not send the
browser to another site: the pages' Content-Security-Policy allows forms to
reach booksync only); the bank sends the browser back to
``/connections/gocardless/return?ref=...``, which completes what the same
company started and shows the connection.  **Renew** takes the same way for
an ended consent.  Plaid connects the sandbox bank's banks in one click and
others with a public token from Plaid Link pasted into a form; its
**Renew** checks that Plaid serves the Item again (docs/web.md, "Add a bank
account").  Every route is an admin's, and never shows a token or a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from booksync.app.connect_gocardless import GoCardlessLink, _waiting, complete_gocardless
from booksync.app.connections import ConnectionView
from booksync.banking.connections import get_connection
from booksync.banking.secrets import unseal
from booksync.errors import BooksyncError
from booksync.ledger.errors import NotFound
from booksync.ledger.limits import MAX_ID
from booksync.providers.gocardless import RequisitionNotLinked
from booksync.providers.gocardless_secret import GoCardlessSecret
from booksync.users.roles import Permission
from booksync.web.api.connecting import (
    GOCARDLESS,
    PLAID,
    RETURN_PATH,
    connect_plaid_bank,
    missing_keys,
    renew_connection,
    start_gocardless_link,
)
from booksync.web.auth import Caller, engine_of, need
from booksync.web.companies import chosen, opened
from booksync.web.pages.connections import linker
from booksync.web.templating import page

router = APIRouter(include_in_schema=False)

Admin = Annotated[Caller, Depends(need(Permission.ADMIN))]
ConnectionId = Annotated[int, Path(ge=1, le=MAX_ID)]
Institution = Annotated[str, Path(max_length=200)]

__all__ = ["claim_pasted", "router"]


def _to_connection(request: Request, connection_id: int, done: str | None = None) -> Response:
    return RedirectResponse(linker(request)(f"/connections/{connection_id}", done=done),
                            status_code=303)


def _to_consent(request: Request, connection_id: int) -> Response:
    return RedirectResponse(linker(request)(f"/connections/{connection_id}/consent"),
                            status_code=303)


# -- GoCardless -------------------------------------------------------------------------


@router.post("/institutions/gocardless/{institution}")
def connect_gocardless(request: Request, caller: Admin, institution: Institution) -> Response:
    """Start a requisition at ``institution`` (the sandbox's, or with the server's
    secrets), then the page that sends the user to the bank."""
    started = start_gocardless_link(request, caller, institution)
    return _to_consent(request, started.connection.id)


@router.get("/connections/{connection_id}/consent")
def consent(request: Request, caller: Admin, connection_id: ConnectionId) -> Response:
    """The link of the requisition the connection waits for, as a button to the bank."""
    with opened(request, caller) as books:
        found = get_connection(books.session, books.company, connection_id)
        pending = None
        if found.provider == GOCARDLESS and found.credentials is not None:
            pending = GoCardlessSecret.from_text(unseal(found.credentials)).pending
        institution = found.institution.name if found.institution else found.label
        renewal = bool(found.accounts)
    if pending is None:
        raise BooksyncError(
            f"Connection {connection_id} waits for no consent at a bank.", code="conflict")
    return page(request, caller, "connection_consent.html", active="institutions",
                title=f"Consent at {institution}", institution=institution,
                link=pending.link, renewal=renewal, connection_id=connection_id,
                back=linker(request)(f"/connections/{connection_id}"))


@router.get(RETURN_PATH)
def gocardless_return(
    request: Request,
    caller: Admin,
    ref: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    """The bank's redirect back: link the accounts of the requisition ``ref`` names,
    when a connection of this company waits for it, and show the connection."""
    company = chosen(request, caller)
    with opened(request, caller) as books:
        try:
            connection_id = _waiting(books.session, books.company, ref)[0].id
        except NotFound:
            raise BooksyncError(
                f"No connection of {company.name} waits for this answer of the bank: "
                "connect it again from Add a bank account.", code="not_found") from None
    try:
        done = complete_gocardless(engine_of(request), company.name, ref)
    except RequisitionNotLinked as exc:
        # Ended: the reason is kept as the connection's last error; else nothing changed.
        return _to_connection(request, connection_id, "refused" if exc.ended else "unfinished")
    return _to_connection(request, connection_id, "renewed" if done.renewal else "linked")


# -- Plaid --------------------------------------------------------------------------------


TokenForm = Callable[[Request, Caller, str | None, int], Response]


def claim_pasted(request: Request, caller: Caller, token: str, form: TokenForm, empty: str,
                 connect: Callable[[str], ConnectionView]) -> Response:
    """A one-time token pasted into ``form``, claimed by ``connect``, then the new
    connection; a refusal shows the form again, never holding the token (a secret)."""
    if not token.strip():
        return form(request, caller, empty, 422)
    try:
        view = connect(token)
    except BooksyncError as exc:
        return form(request, caller, str(exc), exc.http_status)
    return _to_connection(request, view.id)


def _plaid_form(request: Request, caller: Caller, error: str | None = None,
                status_code: int = 200) -> Response:
    return page(request, caller, "institution_plaid.html", active="institutions",
                title="Connect through Plaid", error=error, missing=missing_keys(PLAID),
                status_code=status_code)


@router.get("/institutions/plaid")
def plaid_form(request: Request, caller: Admin) -> Response:
    return _plaid_form(request, caller)


@router.post("/institutions/plaid")
def plaid_connect(request: Request, caller: Admin,
                  public_token: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Exchange the public token Plaid Link handed back, with the server's keys."""
    return claim_pasted(
        request, caller, public_token, _plaid_form,
        "Paste the public token Plaid Link handed back.",
        lambda token: connect_plaid_bank(request, caller, public_token=token))


@router.post("/institutions/plaid/{institution}")
def plaid_sandbox(request: Request, caller: Admin, institution: Institution) -> Response:
    """One click: the sandbox bank makes a public token for its institution."""
    view = connect_plaid_bank(request, caller, sandbox_institution=institution)
    return _to_connection(request, view.id)


# -- Renew --------------------------------------------------------------------------------


@router.post("/connections/{connection_id}/renew")
def renew(request: Request, caller: Admin, connection_id: ConnectionId) -> Response:
    """GoCardless: a new consent at the bank, by way of the consent page; Plaid: back on
    the schedule once Plaid serves the Item again."""
    done = renew_connection(request, caller, connection_id)
    if isinstance(done, GoCardlessLink):
        return _to_consent(request, connection_id)
    return _to_connection(request, connection_id,
                          "renewed" if done.link_token is None else "sign-in")
