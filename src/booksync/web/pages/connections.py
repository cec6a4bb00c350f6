"""The Online Synchronization pages: the connections, one connection, Fetch now.

``/connections`` lists the company's connections with their state, last and
next refresh; ``/connections/{id}`` shows one with its settings (changed by
an admin), **Fetch now** (an accountant or admin) with its live progress,
the run log and **Disconnect** (docs/web.md, "Online Synchronization").
Every form is a plain POST answered with a redirect, so the pages work
without their script; ``fetch.js`` only adds the live progress.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from booksync.app.connection_detail import connection_detail, link_account
from booksync.app.connections import ConnectionView, change_connection, connections
from booksync.app.connections import disconnect_connection as disconnect_use_case
from booksync.app.sync import sync_log
from booksync.banking.connections import get_connection, parse_interval
from booksync.banking.states import RUN_COUNTERS, ConnectionState
from booksync.db.base import utcnow
from booksync.errors import BooksyncError
from booksync.ledger.limits import MAX_ID
from booksync.users.roles import Permission
from booksync.web.auth import Caller, engine_of, need
from booksync.web.companies import chosen, opened
from booksync.web.fetching import events as event_stream
from booksync.web.fetching import fetches
from booksync.web.templating import page, utc_text

router = APIRouter(include_in_schema=False)

STATE_LABELS = {
    ConnectionState.CONNECTED: "Connected",
    ConnectionState.ERROR: "Error",
    ConnectionState.DISCONNECTED: "Not connected",
    ConnectionState.REAUTH_REQUIRED: "Re-authorization needed",
}
INTERVALS = (("4h", "4 h"), ("12h", "12 h"), ("1d", "daily"))
CONSENT_WARNING_DAYS = 14
RUNS_PER_PAGE = 20
DONE = {
    "saved": "Settings saved.",
    "disconnected": "Disconnected: booksync forgot the credentials; the statement lines, "
                    "entries and run log stay.",
    "untold": "Disconnected, but the provider could not be told: revoke booksync's access "
              "at the provider too.",
    # Connect and Renew through GoCardless and Plaid (booksync.web.pages.connect_flows)
    "linked": "Connected {accounts}.",
    "renewed": "Renewed: {accounts} synchronized as before, due now.",
    "refused": "The bank did not give access: its answer is under Last error.",
    "unfinished": "The bank has not given access yet: nothing changed.",
    "sign-in": "Plaid still needs the account holder to sign in again through Plaid Link; "
               "then Renew again.",
}

Reader = Annotated[Caller, Depends(need(Permission.READ))]
Booker = Annotated[Caller, Depends(need(Permission.BOOK))]
Admin = Annotated[Caller, Depends(need(Permission.ADMIN))]
ConnectionId = Annotated[int, Path(ge=1, le=MAX_ID)]

__all__ = ["STATE_LABELS", "consent_warning", "linker", "next_refresh", "router"]


@dataclass(frozen=True, slots=True)
class ListRow:
    """A row of the list: the connection, its consent warning and its next refresh in
    words (attributes, not a dict: the template reads each of them on every row)."""

    c: ConnectionView
    warning: str | None
    next: str


def consent_warning(expires: dt.datetime | None, now: dt.datetime | None = None) -> str | None:
    """"Consent expires in N days" when the bank's consent ends within two weeks."""
    if expires is None:
        return None
    left = expires - (now or utcnow())
    if left.total_seconds() <= 0:
        return "Consent expired: connect the bank again."
    if left.days > CONSENT_WARNING_DAYS:
        return None
    if left.days == 0:
        return "Consent expires today."
    return f"Consent expires in {left.days} day{'s' if left.days != 1 else ''}."


def next_refresh(connection: ConnectionView, now: dt.datetime | None = None) -> str:
    """When the worker runs the connection next, in words where there is no time."""
    if connection.state == ConnectionState.DISCONNECTED:
        return "never"
    if connection.state == ConnectionState.REAUTH_REQUIRED:
        return "after renewal"
    if not connection.auto_sync:
        return "manual only"
    if connection.next_refresh is None:
        return "not scheduled"
    if connection.next_refresh <= (now or utcnow()):
        return "due now"
    return utc_text(connection.next_refresh)


def linker(request: Request) -> Callable[..., str]:
    """``link(path, **query)``: a URL of this site that keeps ``?company=`` when the
    page was asked with it (a deep link to another company than the cookie's)."""
    company = request.query_params.get("company")

    def link(path: str, **query: Any) -> str:
        params = {k: v for k, v in query.items() if v is not None}
        if company is not None:
            params["company"] = company
        return f"{path}?{urlencode(params)}" if params else path

    return link


def _common(request: Request) -> dict[str, Any]:
    return {"states": STATE_LABELS, "link": linker(request)}


@router.get("/connections")
def connections_page(request: Request, caller: Reader) -> Response:
    now = utcnow()
    with opened(request, caller) as books:
        found = connections(books)
    rows = [ListRow(c, consent_warning(c.consent_expires_at, now), next_refresh(c, now))
            for c in found]
    return page(request, caller, "connections.html", active="connections",
                title="Online Synchronization", rows=rows, **_common(request))


@router.get("/connections/{connection_id}")
def connection_page(
    request: Request,
    caller: Reader,
    connection_id: ConnectionId,
    after: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    now = utcnow()
    with opened(request, caller) as books:
        detail = connection_detail(books, connection_id)
        runs = sync_log(books, connection_id, limit=RUNS_PER_PAGE, after=after)
    job = fetches(request).current(connection_id)
    running = detail.running or (job is not None and job.running)
    view = detail.connection
    current = view.interval
    intervals = list(INTERVALS)
    if current not in {value for value, _ in intervals}:
        intervals.append((current, f"every {current} (as set)"))
    return page(
        request, caller, "connection.html", active="connections",
        title=view.institution or f"Connection {view.id}",
        detail=detail, view=view, runs=runs.rows, more=runs.more, after=after,
        counters=RUN_COUNTERS, running=running, intervals=intervals, interval=current,
        warning=consent_warning(view.consent_expires_at, now), next=next_refresh(view, now),
        notice=_notice(done, view),
        newest=runs.rows[0]["run"] if runs.rows and after is None else 0,
        **_common(request),
    )


def _notice(done: str | None, view: ConnectionView) -> str | None:
    """What was just done, in words; counts the connection's accounts where it says so."""
    text = DONE.get(done or "")
    count = len(view.accounts)
    return text.format(accounts=f"{count} account{'s' if count != 1 else ''}") if text else None


def _local(target: str | None, fallback: str) -> str:
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return fallback


def _ticked(value: str | None) -> bool:
    return value is not None and value not in ("", "0", "off", "false")


@router.post("/connections/{connection_id}/settings")
def change_settings(
    request: Request,
    caller: Admin,
    connection_id: ConnectionId,
    interval: Annotated[str, Form(max_length=20)],
    auto_sync: Annotated[str | None, Form(max_length=10)] = None,
    pending: Annotated[str | None, Form(max_length=10)] = None,
    auto_reconcile: Annotated[str | None, Form(max_length=10)] = None,
    account: Annotated[list[str] | None, Form()] = None,
    journal: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The settings form: every field is sent (an unticked box is off); each account
    is booked in the journal chosen beside it.  One transaction: all or nothing."""
    accounts, journals = account or [], journal or []
    if len(accounts) != len(journals) or len(accounts) > 200:
        raise BooksyncError("Each account needs its journal: reload the page and try again.")
    seconds = parse_interval(interval)
    with opened(request, caller) as books:
        change_connection(
            books, connection_id, interval_seconds=seconds, auto_sync=_ticked(auto_sync),
            include_pending=_ticked(pending), auto_reconcile=_ticked(auto_reconcile),
        )
        for provider_account, code in zip(accounts, journals, strict=True):
            if code.strip():
                link_account(books, connection_id, provider_account[:200], code.strip()[:16])
    return RedirectResponse(linker(request)(f"/connections/{connection_id}", done="saved"),
                            status_code=303)


@router.post("/connections/{connection_id}/fetch")
def fetch_now(
    request: Request,
    caller: Booker,
    connection_id: ConnectionId,
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Start a run (or attach to the one running) and answer at once: a redirect for
    a form, ``202`` with the event stream's address for the pages' script."""
    company = chosen(request, caller)
    with opened(request, caller) as books:
        found = get_connection(books.session, books.company, connection_id)
        if found.state == ConnectionState.DISCONNECTED:
            raise BooksyncError(
                f"Connection {found.id} is disconnected: connect the bank again.",
                code="conflict")
    _job, new = fetches(request).start(engine_of(request), company.name, connection_id)
    link = linker(request)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {"connection": connection_id, "started": new,
             "events": link(f"/connections/{connection_id}/events")},
            status_code=202,
        )
    return RedirectResponse(_local(next, link(f"/connections/{connection_id}")),
                            status_code=303)


@router.get("/connections/{connection_id}/events")
def fetch_events(
    request: Request,
    caller: Reader,
    connection_id: ConnectionId,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    """Server-sent events of the connection's run: ``progress`` as it goes, then
    ``result`` (or ``idle`` when there is no run at all), then the end."""
    company = chosen(request, caller)
    with opened(request, caller) as books:
        get_connection(books.session, books.company, connection_id)
    job = fetches(request).current(connection_id)
    stream = event_stream(job, engine_of(request), company.name, connection_id, after)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


@router.post("/connections/{connection_id}/disconnect")
def disconnect(
    request: Request,
    caller: Admin,
    connection_id: ConnectionId,
    confirm: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Forget the credentials, once the admin ticked the confirmation."""
    if confirm != "yes":
        raise BooksyncError("Tick the confirmation to disconnect.")
    with opened(request, caller) as books:
        done = disconnect_use_case(books, connection_id)
    outcome = "untold" if done.warning else "disconnected"
    return RedirectResponse(linker(request)(f"/connections/{connection_id}", done=outcome),
                            status_code=303)
