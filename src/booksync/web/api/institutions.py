"""``/api/v1/institutions``, ``POST /api/v1/connections`` and ``/api/v1/bank-accounts``:
"Add a bank account" for programs.

``POST /api/v1/connections`` connects through SimpleFIN, GoCardless or
Plaid as the page does (``booksync.web.api.connecting``), taking each
provider's own fields; GoCardless takes two calls, the first answering the
link the user opens at the bank (docs/web.md, "Add a bank account").  The
other routes of ``/api/v1/connections`` (list, read, change, fetch, delete)
live in another module: FastAPI serves one path from two routers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from booksync.app.banking import add_bank_account
from booksync.app.connect_gocardless import complete_gocardless
from booksync.app.context import Books
from booksync.app.institutions import bank_accounts, bank_journals, institution_page
from booksync.app.shapes import as_json
from booksync.errors import BooksyncError
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    LimitQuery,
    after_id,
    cursor_of,
)
from booksync.web.api.connecting import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_INTERVAL,
    GOCARDLESS,
    PLAID,
    PROVIDER,
    PROVIDER_NAMES,
    connect_plaid_bank,
    connect_sandbox,
    connect_simplefin,
    start_gocardless_link,
)
from booksync.web.api.invoices import Body
from booksync.web.auth import Caller, engine_of, need
from booksync.web.companies import chosen, opened

router = APIRouter(prefix="/api/v1", tags=["institutions"])

__all__ = ["account_currency", "router"]

SearchQuery = Annotated[
    str | None,
    Query(description="Part of the name or BIC, or a country code (`DE`).", max_length=200),
]


def account_currency(books: Books, journal: str | None, currency: str | None) -> str | None:
    """The currency a new account is in: as given, else its journal's (None: the
    company's, which a new journal takes)."""
    if currency and currency.strip():
        return currency.strip()
    if journal:
        for known in bank_journals(books):
            if known.code == journal:
                return known.currency
    return None


# -- routes ---------------------------------------------------------------------


class ConnectionRequest(BaseModel):
    """What each provider takes: SimpleFIN ``setup_token`` (or ``sandbox_institution``),
    GoCardless ``institution`` to start and ``requisition`` to complete, Plaid
    ``public_token`` (or ``sandbox_institution``)."""

    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(
        None, max_length=32, description="`simplefin` (the default with sandbox_institution), "
        "`gocardless` or `plaid`.")
    setup_token: str | None = Field(
        None, max_length=4000, description="The one-time SimpleFIN setup token.")
    sandbox_institution: str | None = Field(
        None, max_length=200,
        description="A sandbox bank's institution id or name, when the server runs --sandbox "
        "(SimpleFIN or Plaid, in one step).")
    institution: str | None = Field(
        None, max_length=200,
        description="GoCardless: the institution id to start linking (answers the link).")
    requisition: str | None = Field(
        None, max_length=200,
        description="GoCardless: the requisition id, or the `ref` the bank sent back, to "
        "link its accounts once consent is given.")
    redirect: str | None = Field(
        None, max_length=2000,
        description="GoCardless: where the bank sends the browser back; default: this "
        "server's return page, which completes the link.")
    public_token: str | None = Field(
        None, max_length=4000, description="Plaid: the public token Plaid Link handed back.")
    interval: str = Field(DEFAULT_INTERVAL, max_length=20, description="30m, 4h, 12h, 1d, ...")
    history_days: int = Field(DEFAULT_HISTORY_DAYS, ge=1, le=3650)
    include_pending: bool = True
    links: dict[str, str] = Field(
        default_factory=dict, max_length=200,
        description="Provider account id -> code of an existing bank journal to book it in.")


# The fields of ConnectionRequest only one provider takes.
OWN_FIELDS = {
    PROVIDER: {"setup_token", "sandbox_institution"},
    GOCARDLESS: {"institution", "requisition", "redirect"},
    PLAID: {"public_token", "sandbox_institution"},
}


def _provider_of(body: ConnectionRequest) -> str:
    """The provider asked for, once no field of another is given."""
    named = (body.provider or "").strip().lower()
    if not named and body.sandbox_institution is not None:
        named = PROVIDER  # as before GoCardless and Plaid: the sandbox's SimpleFIN
    if named not in OWN_FIELDS:
        raise BooksyncError(
            "provider: booksync connects through `simplefin`, `gocardless` or `plaid`.")
    given = {name for name in body.model_fields_set if getattr(body, name) is not None}
    foreign = sorted((set().union(*OWN_FIELDS.values()) - OWN_FIELDS[named]) & given)
    if foreign:
        raise BooksyncError(f"{foreign[0]}: not a field of {PROVIDER_NAMES[named]}.")
    return named


def _answer(data: Any, connection_id: int, status: int = 201) -> JSONResponse:
    """``data`` about connection ``connection_id``, with the connection's address."""
    return JSONResponse(data, status_code=status,
                        headers={"Location": f"/api/v1/connections/{connection_id}"})


def _gocardless(request: Request, caller: Caller, body: ConnectionRequest) -> JSONResponse:
    """Start (``institution``: 201 with the link to open) or complete (``requisition``:
    200 with the connection, its accounts linked)."""
    if (body.institution is None) == (body.requisition is None):
        raise BooksyncError("Give either institution (to start) or requisition (to complete).")
    if body.requisition is not None:
        company = chosen(request, caller)
        done = complete_gocardless(engine_of(request), company.name, body.requisition,
                                   links=body.links)
        data = {**as_json(done.connection), "warnings": list(done.warnings)}
        return _answer(data, done.connection.id, 200)
    if body.links:
        raise BooksyncError("links: give them when completing the requisition.")
    started = start_gocardless_link(
        request, caller, body.institution or "", redirect=body.redirect,
        interval=body.interval, history_days=body.history_days,
        include_pending=body.include_pending)
    return _answer(as_json(started), started.connection.id)


class BankAccountRequest(Body):
    """A bank account entered by hand; no field may hold a control character."""

    account_number: str = Field(..., max_length=64, description="IBAN (checked) or other.")
    bank: str = Field(..., max_length=300, description="Bank name (found, or added).")
    bic: str | None = Field(None, max_length=40, description="Bank Identifier Code.")
    journal: str | None = Field(
        None, max_length=128, description="An existing bank journal; default: a new one.")
    currency: str | None = Field(
        None, max_length=10, description="Default: the journal's, else the company's.")


@router.get("/institutions", summary="The institutions catalogue, by name")
def list_institutions(
    request: Request,
    caller: Annotated[Caller, Depends(need(Permission.READ))],
    q: SearchQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Items as `booksync institution list --json`: id, name, bic, country, provider,
    online_sync."""
    found = institution_page(engine_of(request), q, after=after_id(cursor), limit=limit)
    return {"items": as_json(found.found),
            "next": cursor_of(found.after) if found.after is not None else None}


@router.post("/connections", status_code=201,
             summary="Connect a bank (SimpleFIN, GoCardless, Plaid or the sandbox)")
def create_connection(
    request: Request,
    caller: Annotated[Caller, Depends(need(Permission.ADMIN))],
    body: ConnectionRequest,
    company: CompanyQuery = None,
) -> JSONResponse:
    """Links every account the provider reaches and answers the connection as
    `booksync connection list --json` shows it.  GoCardless takes two calls: the
    first answers the link to open (as `booksync connect gocardless --institution
    ID --json`), the second completes it (or the browser's return does)."""
    provider = _provider_of(body)
    if provider == GOCARDLESS:
        return _gocardless(request, caller, body)
    if provider == PLAID:
        view = connect_plaid_bank(
            request, caller, public_token=body.public_token,
            sandbox_institution=body.sandbox_institution, interval=body.interval,
            history_days=body.history_days, include_pending=body.include_pending,
            links=body.links)
    elif body.sandbox_institution is not None:
        if body.setup_token is not None:
            raise BooksyncError("Give either setup_token or sandbox_institution, not both.")
        view = connect_sandbox(request, caller, body.sandbox_institution)
    else:
        if not (body.setup_token or "").strip():
            raise BooksyncError("setup_token: the SimpleFIN setup token is needed.")
        view = connect_simplefin(
            request, caller, body.setup_token or "", interval=body.interval,
            history_days=body.history_days, include_pending=body.include_pending,
            links=body.links)
    return _answer(as_json(view), view.id)


@router.get("/bank-accounts", summary="Bank accounts entered by hand")
def list_bank_accounts(
    request: Request,
    caller: Annotated[Caller, Depends(need(Permission.READ))],
    company: CompanyQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Items: account_number, bank, bic, journal, currency."""
    with opened(request, caller) as books:
        rows = bank_accounts(books, after=after_id(cursor), limit=limit + 1)
    shown = rows[:limit]
    more = len(rows) > limit
    return {"items": [as_json(row) for _, row in shown],
            "next": cursor_of(shown[-1][0]) if more and shown else None}


@router.post("/bank-accounts", status_code=201, summary="Create a bank account by hand")
def create_bank_account(
    request: Request,
    caller: Annotated[Caller, Depends(need(Permission.ADMIN))],
    body: BankAccountRequest,
    company: CompanyQuery = None,
) -> JSONResponse:
    """As `booksync bank-account create --json`: a new bank journal unless `journal`
    names one; the IBAN and BIC are checked and nothing is kept on a mistake."""
    with opened(request, caller) as books:
        made = add_bank_account(
            books, body.account_number, body.bank, bic=body.bic or None,
            journal=body.journal or None,
            currency=account_currency(books, body.journal, body.currency))
    return JSONResponse(as_json(made), status_code=201)
