"""Connecting a bank from a web request, and renewing its consent, for the pages and the API.

Each provider is connected as its ``booksync connect`` command does, with
its defaults: every account reached gets a new bank journal (or the one
``links`` names), and the connection is due at once.  With ``--sandbox``
the server connects its own sandbox bank's banks in one step: SimpleFIN
with a fresh setup token it asks for, Plaid with a public token the sandbox
makes, GoCardless with a secret pair the sandbox accepts (its consent page
still stands between start and completion); the sandbox's banks enter the
catalogue with it, as with ``booksync demo`` (docs/banking.md,
"Institutions and bank accounts").  Elsewhere the GoCardless and Plaid
secrets are the server's own, read from its environment as the command
line reads them.  **Renew** (a connection's page, ``POST
/api/v1/connections/{id}/renew``) calls the same use cases as ``booksync
connect gocardless|plaid --renew``.  A setup token, a public token and a
secret are never written into an answer, a page or a log line (docs/web.md,
"Add a bank account").
"""

from __future__ import annotations

import os
import secrets as random_tokens
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import httpx
from fastapi import Request
from sqlalchemy.orm import Session

from booksync.app.connect_gocardless import GoCardlessLink, renew_gocardless, start_gocardless
from booksync.app.connect_plaid import Renewal, connect_plaid, renew_plaid
from booksync.app.connections import ConnectionView, connect
from booksync.app.sandbox_catalogue import (
    sandbox_ids,
    sandbox_institution_id,
    seed_sandbox_catalogue,
    uses_sandbox,
)
from booksync.banking.connections import get_connection, parse_interval
from booksync.errors import BooksyncError
from booksync.providers.base import ProviderAccount
from booksync.providers.gocardless_http import Secrets
from booksync.providers.plaid_http import PlaidKeys
from booksync.providers.url_policy import is_loopback_host
from booksync.web.auth import Caller, engine_of
from booksync.web.companies import chosen, opened

PROVIDER = "simplefin"
GOCARDLESS, PLAID = "gocardless", "plaid"
PROVIDER_NAMES = {PROVIDER: "SimpleFIN", GOCARDLESS: "GoCardless", PLAID: "Plaid"}
SANDBOX_TIMEOUT = 10.0  # seconds to wait for the sandbox bank's new setup token
DEFAULT_INTERVAL = "12h"  # the defaults of `booksync connect simplefin` (and the others)
DEFAULT_HISTORY_DAYS = 90
RETURN_PATH = "/connections/gocardless/return"  # where GoCardless sends the browser back
# The server's own keys, as the command line reads them: (id, secret, address, default).
ENVIRONMENT = {
    GOCARDLESS: ("BOOKSYNC_GOCARDLESS_SECRET_ID", "BOOKSYNC_GOCARDLESS_SECRET_KEY",
                 "BOOKSYNC_GOCARDLESS_URL", "https://bankaccountdata.gocardless.com"),
    PLAID: ("BOOKSYNC_PLAID_CLIENT_ID", "BOOKSYNC_PLAID_SECRET", "BOOKSYNC_PLAID_URL",
            "https://production.plaid.com"),
}

__all__ = [
    "DEFAULT_HISTORY_DAYS",
    "DEFAULT_INTERVAL",
    "GOCARDLESS",
    "PLAID",
    "PROVIDER",
    "PROVIDER_NAMES",
    "RETURN_PATH",
    "connect_plaid_bank",
    "connect_sandbox",
    "connect_simplefin",
    "missing_keys",
    "renew_connection",
    "return_url",
    "sandbox_base",
    "sandbox_url",
    "start_gocardless_link",
]


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
    sandbox_institution_id(PROVIDER, institution)
    chosen(request, caller)  # an unknown company is refused before the bank is asked
    return connect_simplefin(request, caller, _sandbox_token(url))


def sandbox_base(request: Request, provider: str, institution: str) -> str | None:
    """The sandbox bank's address for ``provider`` (``.../gocardless``) when the server
    runs it and ``institution`` is one of its banks there; None otherwise."""
    url = sandbox_url(request)
    if url is None or institution not in sandbox_ids(provider):
        return None
    return f"{url}/{provider}"


def missing_keys(provider: str) -> str | None:
    """What the server's environment lacks to connect through ``provider`` by itself."""
    ident, secret, _, _ = ENVIRONMENT[provider]
    if os.environ.get(ident, "").strip() and os.environ.get(secret, "").strip():
        return None
    return (f"This server has no {PROVIDER_NAMES[provider]} keys: set {ident} and {secret} "
            "in its environment.")


def _server_keys(provider: str) -> tuple[str, str, str]:
    """The server's own id, secret and API address for ``provider``, else a clear refusal."""
    missing = missing_keys(provider)
    if missing is not None:
        raise BooksyncError(missing, code="invalid")
    ident, secret, address, default = ENVIRONMENT[provider]
    return (os.environ[ident], os.environ[secret],
            os.environ.get(address, "").strip() or default)


def _sandbox_pair() -> tuple[str, str]:
    """A fresh secret pair: the sandbox accepts any on its first use."""
    return f"booksync-web-{random_tokens.token_hex(6)}", random_tokens.token_urlsafe(24)


def return_url(request: Request) -> str:
    """Where GoCardless sends the browser back: this server's return page, for the
    company the request named (``?company=``), else the one the browser has chosen.

    Over ``https://``, as the session cookie is only sent there, unless the server
    answers on a loopback address (a browser keeps that cookie over plain HTTP there);
    behind a proxy that ends TLS the request itself says ``http``.
    """
    base = request.base_url
    host = base.hostname or ""
    scheme = base.scheme if is_loopback_host(host) else "https"
    company = request.query_params.get("company")
    query = f"?{urlencode({'company': company})}" if company is not None else ""
    return f"{scheme}://{base.netloc}{base.path.rstrip('/')}{RETURN_PATH}{query}"


def start_gocardless_link(
    request: Request,
    caller: Caller,
    institution: str,
    *,
    redirect: str | None = None,
    interval: str = DEFAULT_INTERVAL,
    history_days: int = DEFAULT_HISTORY_DAYS,
    include_pending: bool = True,
) -> GoCardlessLink:
    """Step 1 of linking through GoCardless: the requisition whose link the user opens.

    A sandbox bank's institution is asked at the sandbox, with a secret pair of
    its own; any other with the server's secrets.  ``redirect`` defaults to this
    server's return page, which completes the link (docs/web.md, "Add a bank account").
    """
    seconds = parse_interval(interval)
    company = chosen(request, caller)
    ident = institution.strip()
    base = sandbox_base(request, GOCARDLESS, ident)
    if base is not None:
        secret_id, secret_key = _sandbox_pair()
    else:
        secret_id, secret_key, base = _server_keys(GOCARDLESS)
    return start_gocardless(
        engine_of(request), company.name, secrets=Secrets.checked(base, secret_id, secret_key),
        institution_id=ident, redirect=_way_back(request, redirect), history_days=history_days,
        interval_seconds=seconds, include_pending=include_pending,
    )


def _way_back(request: Request, redirect: str | None) -> str:
    """Where the bank sends the browser back: ``redirect``, else this server's return page."""
    target = redirect or return_url(request)
    if not target.startswith(("https://", "http://")):
        raise BooksyncError("redirect: give an http(s) address to send the browser back to.")
    return target


def renew_connection(
    request: Request, caller: Caller, connection_id: int, *, redirect: str | None = None
) -> GoCardlessLink | Renewal:
    """**Renew**, for a page and the API alike: a GoCardless connection asks the same bank
    for a new consent (the link to open; completing it is a new connection's completion,
    which pairs the accounts); a Plaid one is back on its schedule once Plaid serves the
    Item again, else the answer holds the link token for Plaid Link's update mode.  Any
    other provider's connection is connected anew, never renewed (docs/web.md, "Add a
    bank account")."""
    company = chosen(request, caller)
    with opened(request, caller) as books:
        provider = get_connection(books.session, books.company, connection_id).provider
    name = PROVIDER_NAMES.get(provider, provider)
    if provider not in (GOCARDLESS, PLAID):
        raise BooksyncError(
            f"A {name} connection is renewed by connecting the bank again.", code="conflict")
    if provider == PLAID:
        if redirect is not None:
            raise BooksyncError(f"redirect: not a field of {name}.")
        return renew_plaid(engine_of(request), company.name, connection_id)
    return renew_gocardless(engine_of(request), company.name, connection_id,
                            redirect=_way_back(request, redirect))


def connect_plaid_bank(
    request: Request,
    caller: Caller,
    *,
    public_token: str | None = None,
    sandbox_institution: str | None = None,
    interval: str = DEFAULT_INTERVAL,
    history_days: int = DEFAULT_HISTORY_DAYS,
    include_pending: bool = True,
    links: Mapping[str, str] | None = None,
) -> ConnectionView:
    """Connect an Item through Plaid: with a public token from Plaid Link and the
    server's keys, or, for a sandbox bank's institution, in one step at the sandbox."""
    seconds = parse_interval(interval)
    company = chosen(request, caller)
    if (public_token is None) == (sandbox_institution is None):
        raise BooksyncError("Give either public_token or sandbox_institution.")
    ident: str | None = None
    if sandbox_institution is not None:
        url = sandbox_url(request)
        if url is None:
            raise BooksyncError(
                "This server runs without the sandbox bank (`booksync serve --sandbox`).")
        ident = sandbox_institution_id(PLAID, sandbox_institution)
        base = f"{url}/{PLAID}"
        client_id, secret = _sandbox_pair()
    else:
        client_id, secret, base = _server_keys(PLAID)
        if not (public_token or "").strip():
            raise BooksyncError(
                "public_token: the public token Plaid Link handed back is needed.")
    return connect_plaid(
        engine_of(request), company.name, keys=PlaidKeys(client_id, secret, base),
        public_token=public_token.strip() if public_token is not None else None,
        sandbox_institution=ident, interval_seconds=seconds, history_days=history_days,
        include_pending=include_pending, links=dict(links or {}),
    )
