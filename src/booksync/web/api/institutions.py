"""``/api/v1/institutions``, ``POST /api/v1/connections`` and ``/api/v1/bank-accounts``:
"Add a bank account" for programs, and the connecting that its page shares.

Connecting follows ``booksync connect simplefin`` with its defaults: the setup
token is claimed once, every account it gives access to gets a new bank
journal (or the one ``links`` names), and the connection is due at once.  With
``--sandbox`` the server asks its own sandbox bank for a fresh setup token,
so that the sandbox's banks connect in one click; the sandbox's banks enter
the catalogue with it, as with ``booksync demo`` (docs/banking.md,
"Institutions and bank accounts").  A setup token is a secret: it is never
written into an answer, a page or a log line (docs/web.md, "Add a bank account").

The other routes of ``/api/v1/connections`` (list, read, change, fetch,
delete) live in another module: FastAPI serves one path from two routers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from booksync.app.banking import add_bank_account
from booksync.app.connections import ConnectionView, connect
from booksync.app.context import Books
from booksync.app.institutions import bank_accounts, bank_journals, institution_page
from booksync.app.sandbox_catalogue import seed_sandbox_catalogue, uses_sandbox
from booksync.app.shapes import as_json
from booksync.banking.connections import parse_interval
from booksync.errors import BooksyncError
from booksync.providers.base import ProviderAccount
from booksync.sandbox.catalogue import INSTITUTIONS as SANDBOX_INSTITUTIONS
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    LimitQuery,
    after_id,
    cursor_of,
)
from booksync.web.auth import Caller, engine_of, need
from booksync.web.companies import chosen, opened

router = APIRouter(prefix="/api/v1", tags=["institutions"])

PROVIDER = "simplefin"
SANDBOX_TIMEOUT = 10.0  # seconds to wait for the sandbox bank's new setup token
DEFAULT_INTERVAL = "12h"  # the defaults of `booksync connect simplefin`
DEFAULT_HISTORY_DAYS = 90

__all__ = [
    "account_currency",
    "connect_sandbox",
    "connect_simplefin",
    "router",
    "sandbox_url",
]

SearchQuery = Annotated[
    str | None,
    Query(description="Part of the name or BIC, or a country code (`DE`).", max_length=200),
]



# -- connecting, shared with the page ----------------------------------------


def sandbox_url(request: Request) -> str | None:
    """The in-process sandbox bank's address when the server runs ``--sandbox``."""
    url: str | None = getattr(request.app.state.config, "sandbox_url", None)
    return url


def _sandbox_catalogue(session: Session, provider: str, accounts: Sequence[ProviderAccount]
                       ) -> None:
    """As ``booksync connect simplefin`` does: a connection to the sandbox brings its banks."""
    if uses_sandbox(provider, accounts):
        seed_sandbox_catalogue(session)


def connect_simplefin(
    request: Request,
    caller: Caller,
    setup_token: str,
    *,
    interval: str = DEFAULT_INTERVAL,
    history_days: int = DEFAULT_HISTORY_DAYS,
    include_pending: bool = True,
    links: Mapping[str, str] | None = None,
) -> ConnectionView:
    """Claim ``setup_token`` for the request's company and link its accounts."""
    seconds = parse_interval(interval)
    company = chosen(request, caller)
    return connect(
        engine_of(request),
        company.name,
        provider=PROVIDER,
        token=setup_token,
        interval_seconds=seconds,
        history_days=history_days,
        include_pending=include_pending,
        links=dict(links or {}),
        catalogue=_sandbox_catalogue,
    )


def sandbox_institution(name: str) -> str:
    """The sandbox bank's institution named by its id or name (any case)."""
    wanted = name.strip().casefold()
    for institution in SANDBOX_INSTITUTIONS:
        if wanted in (institution.id.casefold(), institution.name.casefold()):
            return institution.name
    raise BooksyncError(f"The sandbox bank has no institution {name.strip()[:80]!r}.",
                        code="not_found")


def _sandbox_token(url: str) -> str:
    """A fresh setup token from the sandbox bank (``GET /simplefin/create``)."""
    try:
        with httpx.Client(timeout=SANDBOX_TIMEOUT, trust_env=False) as client:
            answer = client.get(f"{url}/simplefin/create")
    except httpx.HTTPError:
        raise BooksyncError("The sandbox bank did not answer; try again.",
                            code="provider_unavailable") from None
    if answer.status_code != 200 or not answer.text.strip():
        raise BooksyncError(
            f"The sandbox bank did not give a setup token (HTTP {answer.status_code}).",
            code="provider_error")
    return answer.text.strip()


def connect_sandbox(request: Request, caller: Caller, institution: str) -> ConnectionView:
    """One click: a fresh token from the server's own sandbox bank, claimed at once.

    The sandbox's one token reaches every account at its banks, so the new
    connection links them all, each to a new bank journal.
    """
    url = sandbox_url(request)
    if url is None:
        raise BooksyncError(
            "This server runs without the sandbox bank (`booksync serve --sandbox`).",
            code="invalid")
    sandbox_institution(institution)
    chosen(request, caller)  # an unknown company is refused before the bank is asked
    return connect_simplefin(request, caller, _sandbox_token(url))


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
    """Either ``provider`` and ``setup_token``, or ``sandbox_institution``."""

    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(None, max_length=32, description="`simplefin`.")
    setup_token: str | None = Field(
        None, max_length=4000, description="The one-time SimpleFIN setup token.")
    sandbox_institution: str | None = Field(
        None, max_length=200,
        description="A sandbox bank's institution id or name, when the server runs --sandbox.")
    interval: str = Field(DEFAULT_INTERVAL, max_length=20, description="30m, 4h, 12h, 1d, ...")
    history_days: int = Field(DEFAULT_HISTORY_DAYS, ge=1, le=3650)
    include_pending: bool = True
    links: dict[str, str] = Field(
        default_factory=dict, max_length=200,
        description="Provider account id -> code of an existing bank journal to book it in.")


class BankAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


@router.post("/connections", status_code=201, summary="Connect a bank (SimpleFIN or sandbox)")
def create_connection(
    request: Request,
    caller: Annotated[Caller, Depends(need(Permission.ADMIN))],
    body: ConnectionRequest,
    company: CompanyQuery = None,
) -> JSONResponse:
    """Claims the setup token (once) and links every account it reaches; answers the
    connection as `booksync connection list --json` shows it."""
    if body.sandbox_institution is not None:
        if body.setup_token is not None:
            raise BooksyncError("Give either setup_token or sandbox_institution, not both.")
        view = connect_sandbox(request, caller, body.sandbox_institution)
    else:
        if (body.provider or "").strip().lower() != PROVIDER:
            raise BooksyncError("provider: booksync connects through `simplefin`.")
        if not (body.setup_token or "").strip():
            raise BooksyncError("setup_token: the SimpleFIN setup token is needed.")
        view = connect_simplefin(
            request, caller, body.setup_token or "", interval=body.interval,
            history_days=body.history_days, include_pending=body.include_pending,
            links=body.links)
    return JSONResponse(as_json(view), status_code=201,
                        headers={"Location": f"/api/v1/connections/{view.id}"})


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
