"""``/api/v1/connections``: online bank connections, their runs, Fetch now and Renew.

The shapes are the command line's: a connection as ``booksync connection
list --json`` prints it, a run's result as ``booksync sync --json``, a run
log row as ``booksync sync log --json`` (docs/banking.md).  Lists are
cursor-paginated (``{"items", "next"}``).  Reading needs a viewer, **Fetch
now** an accountant, changing, renewing or disconnecting an admin (docs/web.md,
"Connections API").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from booksync.app.connect_gocardless import GoCardlessLink
from booksync.app.connection_detail import link_account
from booksync.app.connections import (
    change_connection,
    connections,
    disconnect_connection,
    view,
)
from booksync.app.shapes import as_json
from booksync.app.sync import sync_log
from booksync.banking.connections import get_connection, parse_interval
from booksync.banking.states import ConnectionState, RunState
from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_ID
from booksync.users.roles import Permission
from booksync.web.api.common import (
    DEFAULT_LIMIT,
    CompanyQuery,
    CursorQuery,
    LimitQuery,
    after_id,
    cursor_of,
    listing,
)
from booksync.web.api.connecting import renew_connection
from booksync.web.auth import Caller, engine_of, need
from booksync.web.companies import chosen, opened
from booksync.web.fetching import execute, fetches

router = APIRouter(prefix="/api/v1/connections", tags=["connections"])

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
Admin = Annotated[Caller, Depends(need(Permission.ADMIN))]
ConnectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The connection's id.")]

__all__ = ["router"]


class LinkedAccount(BaseModel):
    """An account at the bank and the bank journal it is booked in."""

    provider_account_id: str
    name: str
    journal: str | None
    currency: str
    balance: str | None = Field(description="The bank's last balance, a decimal string.")
    balance_date: str | None = Field(description="The bank date of that balance.")
    last_sync: str | None


class ConnectionOut(BaseModel):
    """A connection's public state (never its credentials)."""

    id: int
    provider: str
    institution: str | None
    state: str = Field(description="connected, error, disconnected or reauth_required.")
    last_refresh: str | None
    next_refresh: str | None
    interval: str = Field(description="Sync interval as typed: 4h, 12h, 1d, ...")
    auto_sync: bool
    auto_reconcile: bool
    consent_expires_at: str | None
    last_error: str | None
    accounts: list[LinkedAccount]


class ConnectionList(BaseModel):
    items: list[ConnectionOut]
    next: str | None = Field(description="Cursor of the next page; null on the last.")


class ConnectionChange(BaseModel):
    """What to change; a field left out keeps its setting."""

    model_config = ConfigDict(extra="forbid")

    interval: str | None = Field(None, max_length=20, description="30m, 4h, 12h, 1d, ...")
    auto_sync: bool | None = None
    pending: bool | None = Field(None, description="Fetch pending transactions.")
    auto_reconcile: bool | None = None
    accounts: dict[str, str] | None = Field(
        None, max_length=200,
        description="Provider account id -> bank journal code; only before the "
        "account has lines.",
    )


class AccountRunOut(BaseModel):
    """One provider account's part of a run: what it brought, or why it failed while the
    connection's other accounts went on."""

    provider_account_id: str
    name: str
    journal: str | None
    currency: str
    state: str = Field(description="success or failed.")
    fetched: int
    new: int
    duplicates: int
    reversed: int
    error: str | None


class RunResultOut(BaseModel):
    """A run's result, as ``booksync sync --json`` prints it."""

    connection: int
    run: int | None
    state: str = Field(description="success, partial, error, rate_limited, reauth_required.")
    fetched: int
    new: int
    duplicates: int
    pending: int
    updated: int
    reconciled: int
    reversed: int = Field(
        description="Booked lines the provider withdrew, each reversed by a counter-line.")
    balance_difference: str | None
    error: str | None
    accounts: list[AccountRunOut] = Field(
        default_factory=list, description="Each account's part; empty for runs from before.")


class RunLogRow(RunResultOut):
    """A run of the log, as ``booksync sync log --json`` prints it."""

    trigger: str
    started_at: str
    finished_at: str | None
    window_start: str | None
    window_end: str | None


class RunList(BaseModel):
    items: list[RunLogRow]
    next: str | None = Field(description="Cursor of the next (older) page; null on the last.")


class RenewRequest(BaseModel):
    """What a renewal may say; no body at all is the usual call."""

    model_config = ConfigDict(extra="forbid")

    redirect: str | None = Field(
        None, max_length=2000,
        description="GoCardless: where the bank sends the browser back; default: this "
        "server's return page, which completes the renewal.")


class ConsentLinkOut(BaseModel):
    """A GoCardless requisition waiting for the user, as ``POST /api/v1/connections``
    answers a new one: open ``link``, then complete ``requisition``."""

    connection: ConnectionOut
    institution: str
    link: str = Field(description="The bank's consent page, for the account holder.")
    requisition: str = Field(description="Completed by POST /api/v1/connections "
                             '{"provider": "gocardless", "requisition": ...}.')
    reference: str = Field(description="The `ref` the bank sends the browser back with.")
    history_days: int
    access_days: int
    renewal: bool


class PlaidRenewalOut(ConnectionOut):
    """A Plaid connection after Renew: connected, or still waiting for a sign-in."""

    link_token: str | None = Field(
        description="Set while the account holder must sign in again: open Plaid Link in "
        "update mode with it, then renew again; null once renewed.")


class DisconnectedOut(BaseModel):
    connection: ConnectionOut
    warning: str | None = Field(description="Set when the provider could not be told.")


def _one(request: Request, caller: Caller, connection: int) -> dict[str, Any]:
    with opened(request, caller) as books:
        found = get_connection(books.session, books.company, connection)
        shape: dict[str, Any] = as_json(view(found))
        return shape


@router.get("", response_model=ConnectionList, summary="List connections")
def list_connections(
    request: Request, caller: Reader, company: CompanyQuery = None,
    cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The company's connections by id with their accounts, state and schedule."""
    after = after_id(cursor)
    with opened(request, caller) as books:
        rows = [as_json(c) for c in connections(books, after=after, limit=limit + 1)]
    return listing(rows, limit)


@router.get("/{connection_id}", response_model=ConnectionOut, summary="One connection")
def get_one(request: Request, caller: Reader, connection_id: ConnectionId,
            company: CompanyQuery = None) -> dict[str, Any]:
    return _one(request, caller, connection_id)


@router.patch("/{connection_id}", response_model=ConnectionOut,
              summary="Change a connection's settings (admin)")
def change(
    request: Request, caller: Admin, connection_id: ConnectionId,
    body: Annotated[ConnectionChange, Body()], company: CompanyQuery = None,
) -> dict[str, Any]:
    """Schedule, auto-sync, pending transactions, auto-reconcile, and which bank
    journal an account is booked in; all or nothing."""
    seconds = parse_interval(body.interval) if body.interval is not None else None
    with opened(request, caller) as books:
        changed = change_connection(
            books, connection_id, interval_seconds=seconds, auto_sync=body.auto_sync,
            include_pending=body.pending, auto_reconcile=body.auto_reconcile,
        )
        for account, journal in (body.accounts or {}).items():
            changed = link_account(books, connection_id, account, journal)
        shape: dict[str, Any] = as_json(changed)
        return shape


@router.post(
    "/{connection_id}/fetch", response_model=RunResultOut,
    summary="Fetch now (accountant)",
    responses={409: {"description": "A run of this connection is in progress."}},
)
def fetch(request: Request, caller: Booker, connection_id: ConnectionId,
          company: CompanyQuery = None) -> dict[str, Any]:
    """Run the connection now and answer with the run's result once it is over; a run
    already in progress (here or in another process) is a 409."""
    name = chosen(request, caller).name
    with opened(request, caller) as books:
        found = get_connection(books.session, books.company, connection_id)
        if found.state == ConnectionState.DISCONNECTED:
            raise BooksyncError(
                f"connection {found.id} is disconnected: connect the bank again",
                code="conflict")
    job, new = fetches(request).claim(connection_id)
    if not new:
        raise BooksyncError(f"a run of connection {connection_id} is in progress",
                            code="conflict")
    result = execute(job, engine_of(request), name)
    if result["state"] == RunState.BUSY:
        raise BooksyncError(result["error"] or "another run holds the connection",
                            code="conflict")
    return result


@router.post(
    "/{connection_id}/renew", response_model=ConsentLinkOut | PlaidRenewalOut,
    summary="Renew a GoCardless or Plaid connection's consent (admin)",
    responses={409: {"description": "The provider's connections are connected anew."}},
)
def renew(
    request: Request, caller: Admin, connection_id: ConnectionId,
    body: Annotated[RenewRequest | None, Body()] = None, company: CompanyQuery = None,
) -> dict[str, Any]:
    """GoCardless: a new consent at the same bank, answered as a new GoCardless connection's
    start is; the connection syncs as before until the requisition is completed (as a new
    one is), which keeps its accounts' journals and lines.  Plaid: connected and due now
    once Plaid serves the Item again, else `link_token` for Plaid Link's update mode."""
    done = renew_connection(request, caller, connection_id,
                            redirect=body.redirect if body is not None else None)
    if isinstance(done, GoCardlessLink):
        link: dict[str, Any] = as_json(done)
        return link
    return {**as_json(done.connection), "link_token": done.link_token}


@router.get("/{connection_id}/runs", response_model=RunList, summary="The run log")
def runs(
    request: Request, caller: Reader, connection_id: ConnectionId, company: CompanyQuery = None,
    cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The connection's runs, newest first."""
    after = after_id(cursor)
    with opened(request, caller) as books:
        found = sync_log(books, connection_id, limit=limit, after=after)
    rows = [{**row, "state": str(row["state"]), "trigger": str(row["trigger"])}
            for row in found.rows]
    return {"items": rows,
            "next": cursor_of(int(rows[-1]["run"])) if found.more and rows else None}


@router.delete("/{connection_id}", response_model=DisconnectedOut,
               summary="Disconnect (admin)")
def disconnect(request: Request, caller: Admin, connection_id: ConnectionId,
               company: CompanyQuery = None) -> dict[str, Any]:
    """Forget the credentials and stop syncing; the books and the run log stay."""
    with opened(request, caller) as books:
        shape: dict[str, Any] = as_json(disconnect_connection(books, connection_id))
        return shape
